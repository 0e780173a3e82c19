/**
 * Shared pieces of the `webgpu` kernels: WGSL snippets (uniform access, invocation index of a
 * 2-D dispatch, storage element types), uniform packing on the host side, stride math for
 * broadcasting and strided copies, constant reading and the capability checks every kernel runs
 * (GPU dtypes only, constant shape-like inputs, `maxStorageBufferBindingSize`).
 *
 * Uniform convention: each dispatch gets ONE uniform binding declared as
 * `var<uniform> P: array<vec4<u32>, N>`; {@link Uniforms} packs u32/i32/f32 values into it and the
 * WGSL helpers `pu(i)`, `pi(i)`, `pf(i)` read slot `i` back. Shapes therefore never reach the
 * WGSL text: one pipeline serves every shape of a given rank bound (`MAX_RANK`).
 *
 * Source: onnxruntime-web WebGPU EP (shape uniforms, program cache keys); TFLite GPU delegate.
 * @module
 */
/// <reference types="@webgpu/types" />
import type { DType } from '../../../ir/dtype.js';
import { OptiflowError } from '../../../ir/errors.js';
import type { Dim } from '../../../ir/graph.js';
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { resolveAttrs } from '../../../ops/schema.js';
import type { Support, SupportQuery } from '../../backend.js';
import type { GpuCreateCtx, GpuDType, GpuTensor } from '../kernel.js';

/** Threads per workgroup of the one-thread-per-element kernels. */
export const WG = 64;
/** Highest tensor rank the generic kernels handle (the uniform arrays are sized for it). */
export const MAX_RANK = 8;
/** Largest workgroup count of one dispatch dimension (WebGPU's default limit). */
export const MAX_GROUPS = 65535;

/** Host-side packer of one uniform binding (slots of 4 bytes, padded to whole vec4s). */
export class Uniforms {
  private readonly words: Uint32Array;
  private readonly f32: Float32Array;
  private readonly i32: Int32Array;
  /** @param slots number of 4-byte slots the shader declares (rounded up to a multiple of 4) */
  constructor(slots: number) {
    const n = Math.max(4, Math.ceil(slots / 4) * 4);
    const buf = new ArrayBuffer(n * 4);
    this.words = new Uint32Array(buf); this.f32 = new Float32Array(buf); this.i32 = new Int32Array(buf);
  }
  /** Writes an unsigned integer at slot `i`. */
  u(i: number, v: number): this { this.words[i] = v >>> 0; return this; }
  /** Writes a signed integer at slot `i`. */
  i(i: number, v: number): this { this.i32[i] = v | 0; return this; }
  /** Writes a float32 at slot `i`. */
  f(i: number, v: number): this { this.f32[i] = v; return this; }
  /** The binding value for {@link GpuEncoder.dispatch}. */
  get binding(): { readonly uniform: Uint32Array } { return { uniform: this.words }; }
}

/** Number of vec4s a uniform of `slots` slots declares. */
export function vec4s(slots: number): number {
  return Math.max(1, Math.ceil(slots / 4));
}

/** WGSL declaration of the uniform `P` at `binding` with `slots` slots, plus the readers `pu`/`pi`/`pf`. */
export function uniformDecl(binding: number, slots: number): string {
  return `@group(0) @binding(${binding}) var<uniform> P: array<vec4<u32>, ${vec4s(slots)}>;
fn pu(i: u32) -> u32 { return P[i >> 2u][i & 3u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(P[i >> 2u][i & 3u]); }
fn pf(i: u32) -> f32 { return bitcast<f32>(P[i >> 2u][i & 3u]); }
`;
}

/** WGSL entry header of a one-dimensional kernel over a 2-D dispatch; the body sees `idx: u32`. */
export function mainHeader(wg = WG): string {
  return `@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * ${wg}u;`;
}

/** Dispatch size covering `n` invocations of `wg` threads (2-D beyond {@link MAX_GROUPS} groups). */
export function grid(n: number, wg = WG): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y, 1];
}

/** Dispatch size of one workgroup per item, for `n` items (2-D beyond {@link MAX_GROUPS}). */
export function groupGrid(n: number): [number, number, number] {
  return grid(n, 1);
}

/** WGSL storage element type of a GPU dtype. */
export function wgslType(t: GpuDType): 'f32' | 'f16' | 'i32' | 'u32' {
  return t === 'float32' ? 'f32' : t === 'float16' ? 'f16' : t === 'int32' ? 'i32' : 'u32';
}

/** `enable f16;` when `t` is float16, else ''. */
export function enableFor(...ts: GpuDType[]): string {
  return ts.includes('float16') ? 'enable f16;\n' : '';
}

/** Row-major strides of `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]!; }
  return s;
}

/**
 * Strides of an input of dims `inDims` read at the coordinates of `outDims` under numpy
 * broadcasting (aligned right, 0 along broadcast dims).
 * @throws Error when `inDims` does not broadcast to `outDims`
 */
export function broadcastStrides(outDims: readonly number[], inDims: readonly number[]): number[] {
  const s = stridesOf(inDims);
  const r = outDims.length; const k = inDims.length;
  if (k > r) throw new Error(`cannot broadcast [${inDims.join(',')}] to [${outDims.join(',')}]`);
  return outDims.map((d, i) => {
    const j = i - (r - k);
    if (j < 0) return 0;
    const e = inDims[j]!;
    if (e === d) return e === 1 ? 0 : s[j]!;
    if (e === 1) return 0;
    throw new Error(`cannot broadcast [${inDims.join(',')}] to [${outDims.join(',')}]`);
  });
}

/** Element count of a tensor. */
export function numelOf(t: { readonly dims: readonly number[] }): number {
  return sizeOf(t.dims);
}

/** Throws an OptiflowError naming the node: for states a kernel's `create`/`encode` cannot handle. */
export function gpuFail(node: { name: string; opType: string }, message: string): never {
  throw new OptiflowError('unsupported_op', message, [`node ${node.name} (${node.opType})`]);
}

/** Integer values of a constant (int32/int64/float) tensor. */
export function constNumbers(t: TensorData): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/**
 * Storage dtypes a kernel compiles pipelines for, given the graph dtype of its data input:
 * the dtype itself, plus float16 for float32 data when the adapter offers `shader-f16` (a
 * pipeline per variant is created in `create`; `encode` picks by the tensors' actual dtype).
 */
export function storageVariants(d: DType, ctx: Pick<GpuCreateCtx<unknown>, 'precision' | 'device'>): GpuDType[] {
  const base: GpuDType = d === 'int32' ? 'int32' : d === 'uint32' ? 'uint32' : d === 'float16' ? 'float16' : 'float32';
  const out: GpuDType[] = [base];
  if (base === 'float32' && ctx.precision === 'fp16' && ctx.device.features.has('shader-f16')) out.push('float16');
  return out;
}

/** Dtypes that live on the GPU as 32-bit or 16-bit storage. */
const GPU_DTYPES: readonly DType[] = ['float32', 'float16', 'int32', 'uint32'];

/** Largest element count of static dims, or undefined when a dim is symbolic. */
function staticBytes(shape: readonly Dim[] | undefined, dtype: DType): number | undefined {
  if (!shape || shape.some((d) => typeof d !== 'number')) return undefined;
  return sizeOf(shape as number[]) * (dtype === 'float16' ? 2 : 4);
}

/** Options of {@link checkSupport}. */
export interface SupportOptions {
  /** Input indices read as constants at create time (shape-like: axes, pads, starts); must be constant. */
  readonly constant?: readonly number[];
  /** Input indices the kernel ignores entirely (Dropout's ratio, training_mode). */
  readonly ignore?: readonly number[];
  /** Dtypes allowed for the data inputs (default float32, float16). */
  readonly dtypes?: readonly DType[];
}

/**
 * The checks every kernel of this group runs: data inputs have GPU dtypes (int64 and bool stay on
 * the CPU), shape-like inputs are constants, and no static input or output exceeds the device's
 * `maxStorageBufferBindingSize`.
 */
export function checkSupport(q: SupportQuery, limits: GPUSupportedLimits, opts: SupportOptions = {}): Support {
  const dtypes = opts.dtypes ?? ['float32', 'float16'];
  const max = limits.maxStorageBufferBindingSize;
  for (let i = 0; i < q.inputs.length; i++) {
    const x = q.inputs[i];
    if (!x || opts.ignore?.includes(i)) continue;
    if (opts.constant?.includes(i)) {
      if (!x.value) return { ok: false, reason: `input ${i} must be a constant (shape-like inputs are read at session creation)` };
      continue;
    }
    if (x.shape && x.shape.length > MAX_RANK) return { ok: false, reason: `input ${i} has rank ${x.shape.length}, above ${MAX_RANK}` };
    if (!GPU_DTYPES.includes(x.dtype)) return { ok: false, reason: `input ${i} has dtype ${x.dtype}: ${x.dtype} tensors stay on the CPU` };
    if (!dtypes.includes(x.dtype)) return { ok: false, reason: `input ${i} has dtype ${x.dtype}; this kernel handles ${dtypes.join(', ')}` };
    const b = staticBytes(x.shape, x.dtype);
    if (b !== undefined && b > max) return { ok: false, reason: `input ${i} is ${b} bytes, above maxStorageBufferBindingSize ${max}` };
  }
  for (const [k, o] of staticOutputs(q).entries()) {
    if (!q.node.outputs[k]) continue;
    if (o.shape && o.shape.length > MAX_RANK) return { ok: false, reason: `an output has rank ${o.shape.length}, above ${MAX_RANK}` };
    if (!GPU_DTYPES.includes(o.dtype)) return { ok: false, reason: `output dtype ${o.dtype} stays on the CPU` };
    const b = staticBytes(o.shape, o.dtype);
    if (b !== undefined && b > max) return { ok: false, reason: `an output is ${b} bytes, above maxStorageBufferBindingSize ${max}` };
  }
  return { ok: true };
}

/** The node's outputs as the schema infers them from the static inputs ([] when inference fails). */
export function staticOutputs(q: SupportQuery): { dtype: DType; shape?: Dim[] }[] {
  try {
    const attrs = resolveAttrs(q.schema, q.node);
    return q.schema.infer({ attrs, opset: q.opset, inputs: q.inputs, outputCount: q.node.outputs.length, node: q.node })
      .map((o) => ({ dtype: o.dtype, shape: o.shape }));
  } catch {
    return [];
  }
}

/** A refusal. */
export function no(reason: string): Support {
  return { ok: false, reason };
}

/** Frees uploaded constants (GPU buffers created by `ctx.upload`). */
export function disposeAll(ts: readonly (GpuTensor | undefined)[]): void {
  for (const t of ts) t?.buffer.destroy();
}

/**
 * Private variables holding the bit patterns of +∞ and NaN: reading them is not a const-expression,
 * so shaders can produce non-finite values without a shader-creation error.
 */
export const WGSL_SPECIALS = `var<private> INF_BITS: u32 = 0x7f800000u;
var<private> NAN_BITS: u32 = 0x7fc00000u;
fn inf_f() -> f32 { return bitcast<f32>(INF_BITS); }
fn nan_f() -> f32 { return bitcast<f32>(NAN_BITS); }
`;

/** A WGSL f32 expression that reproduces `v` exactly (infinities and NaN through {@link WGSL_SPECIALS}). */
export function f32Literal(x: number): string {
  const v = Math.fround(x);
  if (Number.isNaN(v)) return 'nan_f()';
  if (v === Infinity) return 'inf_f()';
  if (v === -Infinity) return '(-inf_f())';
  const b = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  return `bitcast<f32>(${b}u)`;
}

/** WGSL of the error function to float32 accuracy (Numerical Recipes `erfcc`, Taylor series near 0). */
export const WGSL_ERF = `fn erf_f(x: f32) -> f32 {
  let z = abs(x);
  if (z < 0.5) {
    let s = x * x;
    return x * (1.1283791670955126 + s * (-0.37612638903183754 + s * (0.11283791670955126 + s * (-0.026866170645131252
      + s * (0.005223977625442188 + s * (-0.0008548327023450852 + s * 0.00012055332981789664))))));
  }
  if (!(z < 10.0)) { return select(sign(x), x, x != x); }
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(r - 1.0, 1.0 - r, x >= 0.0);
}
`;
