/**
 * WGSL building blocks shared by the group-A WebGPU kernels (GEMM, Conv, pooling, Softmax,
 * normalizations, attention): uniform structs packed from named fields, the fused-activation
 * epilogue, a 2-D grid for 1-D work that may exceed `maxComputeWorkgroupsPerDimension`, and the
 * `maxStorageBufferBindingSize` capability check.
 *
 * Source: WGSL spec (uniform address space layout: scalar members align to 4 bytes, struct size a
 * multiple of 16); ONNX operator spec for the activations (Relu, Clip, Sigmoid, HardSigmoid,
 * HardSwish, LeakyRelu, Tanh, Gelu); erf from Abramowitz & Stegun 7.1.26.
 * @module
 */
/// <reference types="@webgpu/types" />
import { OptiflowError, type ErrorCode } from '../../../ir/errors.js';
import type { Node } from '../../../ir/graph.js';
import type { FusedActivation } from '../../../ops/optiflow-fused-activation.js';
import { resolveAttrs } from '../../../ops/schema.js';
import type { Support, SupportQuery } from '../../backend.js';
import type { GpuBinding, GpuCreateCtx, GpuTensor } from '../kernel.js';

/** Scalar kinds a uniform field may have. */
export type UniformType = 'u32' | 'i32' | 'f32';

/** Declared uniform fields, in struct order: `[name, type]`. */
export type UniformFields = readonly (readonly [string, UniformType])[];

/**
 * The WGSL declaration of struct `U` with `fields` and its binding `u` at `@binding(binding)`.
 * Every member is a 4-byte scalar, so the layout is the declaration order, 4 bytes each.
 */
export function uniformDecl(fields: UniformFields, binding: number): string {
  const body = fields.map(([n, t]) => `  ${n}: ${t},`).join('\n');
  return `struct U {\n${body}\n}\n@group(0) @binding(${binding}) var<uniform> u: U;\n`;
}

/**
 * Packs `values` for the struct of {@link uniformDecl} (padded to a multiple of 16 bytes).
 * @throws Error naming a field that has no value (a programming error of the kernel)
 */
export function packUniform(fields: UniformFields, values: Readonly<Record<string, number>>): GpuBinding {
  const words = new Uint32Array(Math.max(4, Math.ceil(fields.length / 4) * 4));
  const f = new Float32Array(words.buffer); const s = new Int32Array(words.buffer);
  fields.forEach(([n, t], i) => {
    const v = values[n];
    if (v === undefined) throw new Error(`uniform field '${n}' has no value`);
    if (t === 'f32') f[i] = v; else if (t === 'i32') s[i] = v; else words[i] = v >>> 0;
  });
  return { uniform: words };
}

/** Uniform fields carrying the activation's parameters (see {@link activationWgsl}). */
export const ACT_FIELDS: UniformFields = [['act0', 'f32'], ['act1', 'f32']];

/** Values of {@link ACT_FIELDS} for `act` (Clip bounds, LeakyRelu alpha, HardSigmoid alpha/beta). */
export function activationValues(act: FusedActivation): Record<string, number> {
  return { act0: act.params[0] ?? 0, act1: act.params[1] ?? 0 };
}

/** Shader-text key of an activation: its kind, plus the Gelu form (parameters travel as uniforms). */
export function activationKey(act: FusedActivation): string {
  return act.kind === 'Gelu' ? `Gelu${act.params[0] ?? 0}` : act.kind || 'none';
}

/**
 * WGSL `fn act(x: f32) -> f32` applying `act` (identity for none), reading its parameters from
 * `u.act0`/`u.act1`. Tanh is computed from `exp(-2|x|)` (no overflow); Gelu's erf form uses the
 * Abramowitz–Stegun 7.1.26 erf (absolute error < 1.5e-7).
 */
export function activationWgsl(act: FusedActivation): string {
  const tanh = `fn tanh_s(x: f32) -> f32 {\n  let ax = abs(x);\n  if (ax < 0.0005) { return x; }\n  let t = exp(-2.0 * ax);\n  return sign(x) * (1.0 - t) / (1.0 + t);\n}\n`;
  const erf = `fn erf_s(x: f32) -> f32 {\n  let ax = abs(x);\n  let t = 1.0 / (1.0 + 0.3275911 * ax);\n  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-ax * ax);\n  return sign(x) * y;\n}\n`;
  switch (act.kind) {
    case '': return 'fn act(x: f32) -> f32 { return x; }\n';
    case 'Relu': return 'fn act(x: f32) -> f32 { return max(x, 0.0); }\n';
    case 'Clip': return 'fn act(x: f32) -> f32 { return min(max(x, u.act0), u.act1); }\n';
    case 'Sigmoid': return 'fn act(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }\n';
    case 'HardSigmoid': return 'fn act(x: f32) -> f32 { return clamp(u.act0 * x + u.act1, 0.0, 1.0); }\n';
    case 'HardSwish': return 'fn act(x: f32) -> f32 { return x * clamp(x / 6.0 + 0.5, 0.0, 1.0); }\n';
    case 'LeakyRelu': return 'fn act(x: f32) -> f32 { return select(u.act0 * x, x, x >= 0.0); }\n';
    case 'Tanh': return `${tanh}fn act(x: f32) -> f32 { return tanh_s(x); }\n`;
    case 'Gelu':
      return act.params[0] === 1
        ? `${tanh}fn act(x: f32) -> f32 { return 0.5 * x * (1.0 + tanh_s(0.7978845608028654 * (x + 0.044715 * x * x * x))); }\n`
        : `${erf}fn act(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_s(x * 0.7071067811865476)); }\n`;
  }
}

/**
 * Element type of the storage buffers a shader reads and writes: float32, or float16 in precision
 * mode `fp16` (the runner then stores every float32 tensor as float16). Arithmetic stays float32.
 */
export type StorageType = 'f32' | 'f16';

/** The storage type of a kernel created with `ctx`. */
export function storageOf(ctx: { readonly precision: 'fp32' | 'fp16' }): StorageType {
  return ctx.precision === 'fp16' ? 'f16' : 'f32';
}

/**
 * The shader prologue for storage type `st`: `enable f16;` when needed and `alias ST = <st>;`.
 * Shaders declare storage as `array<ST>`, read through `f32(...)` and write `ST(...)`.
 */
export function storageHeader(st: StorageType): string {
  return `${st === 'f16' ? 'enable f16;\n' : ''}alias ST = ${st};\n`;
}

/** WGSL declaration of storage array `name` of `ST` at `binding`. */
export function storageDecl(binding: number, name: string, rw = false): string {
  return `@group(0) @binding(${binding}) var<storage, ${rw ? 'read_write' : 'read'}> ${name}: array<ST>;\n`;
}

/** Largest workgroup count per dispatch dimension WebGPU guarantees. */
export const MAX_GROUPS_PER_DIM = 65535;

/**
 * A dispatch of `count` workgroups laid out as `[x, y, 1]` with `x <= 65535`; the shader
 * recovers the linear index as {@link GRID_INDEX_WGSL}'s `grid_index`.
 * @throws OptiflowError `runtime_error` when even a 2-D grid cannot hold `count`
 */
export function grid(count: number, node: Node): [number, number, number] {
  const x = Math.max(1, Math.min(count, MAX_GROUPS_PER_DIM));
  const y = Math.ceil(count / x);
  if (y > MAX_GROUPS_PER_DIM) {
    throw new OptiflowError('runtime_error', `${count} workgroups exceed the WebGPU dispatch limit`, [`node ${node.name} (${node.opType})`]);
  }
  return [x, Math.max(1, y), 1];
}

/**
 * WGSL: `neg_inf()` returns -∞ at run time (a constant -∞ is rejected by WGSL's const evaluation,
 * so it is read from a private variable).
 */
export const NEG_INF_WGSL = 'var<private> neg_inf_bits: u32 = 0xff800000u;\nfn neg_inf() -> f32 { return bitcast<f32>(neg_inf_bits); }\n';

/** WGSL: the linear workgroup index of a {@link grid} dispatch. */
export const GRID_INDEX_WGSL = 'fn grid_index(wg: vec3<u32>, nwg: vec3<u32>) -> u32 { return wg.y * nwg.x + wg.x; }\n' + NEG_INF_WGSL;

/** The number of elements of `dims`. */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Ceiling division of non-negative integers. */
export function cdiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** An {@link OptiflowError} located at `node`. */
export function nodeError(node: Node, code: ErrorCode, message: string): OptiflowError {
  return new OptiflowError(code, message, [`node ${node.name} (${node.opType})`]);
}

/**
 * Declines a node when a tensor it reads or writes is statically known to exceed the device's
 * `maxStorageBufferBindingSize` (4 bytes per element: float32). Output shapes come from the
 * schema's inference on the static input infos; unknown shapes pass (the runner checks again).
 */
export function checkBindingSizes(q: SupportQuery, limits: GPUSupportedLimits): Support {
  const max = limits.maxStorageBufferBindingSize;
  const big = (dims: readonly (number | string)[] | undefined): boolean =>
    !!dims && dims.every((d) => typeof d === 'number') && numel(dims as number[]) * 4 > max;
  for (const [i, x] of q.inputs.entries()) {
    if (big(x?.shape)) return { ok: false, reason: `input ${i} [${x!.shape!.join(',')}] exceeds maxStorageBufferBindingSize ${max}` };
  }
  try {
    const outs = q.schema.infer({
      attrs: resolveAttrs(q.schema, q.node), opset: q.opset, node: q.node, inputs: q.inputs,
      outputCount: q.node.outputs.length,
    });
    for (const [i, o] of outs.entries()) {
      if (big(o.shape)) return { ok: false, reason: `output ${i} [${o.shape!.join(',')}] exceeds maxStorageBufferBindingSize ${max}` };
    }
  } catch {
    // Inference errors surface when the graph is checked; capability says nothing more here.
  }
  return { ok: true };
}

/** Combines capability checks: the first refusal wins. */
export function allOk(...checks: (() => Support)[]): Support {
  for (const c of checks) {
    const r = c();
    if (!r.ok) return r;
  }
  return { ok: true };
}

/**
 * Uploads every float32 constant input once (the kernel owns the buffers; see
 * {@link GpuCreateCtx.upload}); the others stay `undefined` and arrive at encode time.
 */
export function uploadConstants(ctx: GpuCreateCtx<unknown>): (GpuTensor | undefined)[] {
  return ctx.constants.map((c) => (c && c.type === 'float32' ? ctx.upload(c) : undefined));
}

/**
 * Input `i` at encode time: the kernel's own upload of that constant (possibly pre-transformed),
 * else the tensor the runner passes.
 * @throws OptiflowError `runtime_error` when neither exists
 */
export function inputAt(node: Node, inputs: readonly (GpuTensor | undefined)[], uploaded: readonly (GpuTensor | undefined)[],
  i: number): GpuTensor {
  const t = uploaded[i] ?? inputs[i];
  if (!t) throw nodeError(node, 'runtime_error', `input ${i} is missing`);
  return t;
}

/** Whether the node's optional input `i` is given (a non-empty name). */
export function hasInput(node: Node, i: number): boolean {
  return !!node.inputs[i];
}

/** Row-major element strides of `dims`. */
export function contiguousStrides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]!; }
  return s;
}
