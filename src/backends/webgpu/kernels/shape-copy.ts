/**
 * The strided-copy template behind every data-movement kernel of the `webgpu` backend (Transpose,
 * Slice, Pad, Expand, Tile, Concat, Split, Reshape and friends, Cast): one thread per element of an
 * iteration space; its coordinates `c_d` give the destination offset `dstBase + Σ c_d·dS_d` and
 * the source offset `srcBase + Σ ((c_d − lo_d) mod m_d)·sS_d`, or the pad value where
 * `c_d − lo_d` falls outside `[0, hi_d)`. Every op is a choice of these per-dim numbers (all
 * uniforms), so ONE pipeline per element type serves all of them and all shapes.
 *
 * 32-bit data (float32, int32, uint32) is copied as raw `u32` bits; float16 as `f16`. Cast passes a
 * conversion instead of a bit copy.
 * @module
 */
/// <reference types="@webgpu/types" />
import type { GpuCreateCtx, GpuDType, GpuEncoder, GpuTensor } from '../kernel.js';
import { enableFor, gpuFail, grid, mainHeader, MAX_RANK, stridesOf, uniformDecl, Uniforms } from './wgsl-common.js';

/** Per-dim numbers of one strided copy (see the module comment); omitted arrays take defaults. */
export interface CopySpec {
  /** Iteration dims (the destination block's dims). */
  readonly dims: readonly number[];
  /** Source strides per iteration dim (may be negative or 0). */
  readonly src: readonly number[];
  /** Destination strides per iteration dim (default: row-major strides of `dims`). */
  readonly dst?: readonly number[];
  /** Source coordinate shift per dim (Pad's begin amounts; default 0). */
  readonly lo?: readonly number[];
  /** Source coordinate bound per dim (outside → pad value; default unbounded). */
  readonly hi?: readonly number[];
  /** Source coordinate modulus per dim (Tile; default none). */
  readonly mod?: readonly number[];
  /** Source offset in elements (default 0). */
  readonly srcBase?: number;
  /** Destination offset in elements (default 0). */
  readonly dstBase?: number;
  /** Pad value as raw 32-bit pattern (float bits for float data). */
  readonly padBits?: number;
}

const BIG = 0x7fffffff;
// Uniform slots: 0 n, 1 rank, 2 srcBase, 3 dstBase, 4 pad bits; per-dim arrays from 8.
const D = 8; const LO = D + MAX_RANK; const HI = LO + MAX_RANK; const MOD = HI + MAX_RANK;
const SS = MOD + MAX_RANK; const DS = SS + MAX_RANK; const SLOTS = DS + MAX_RANK;

/** Storage element of a copy: `u32` bits for 32-bit types, `f16` for float16. */
function elemOf(t: GpuDType): 'u32' | 'f16' {
  return t === 'float16' ? 'f16' : 'u32';
}

/** A conversion between storage types (Cast); `undefined` = bit copy. */
export type Conversion = { readonly from: 'f32' | 'i32' | 'f16' | 'u32'; readonly to: 'f32' | 'i32' | 'f16' | 'u32' };

/** The WGSL of the strided copy for element type `t` (or a conversion). */
export function copyShader(t: GpuDType, conv?: Conversion): string {
  const src = conv ? conv.from : elemOf(t);
  const dst = conv ? conv.to : elemOf(t);
  const pad = dst === 'u32' ? 'pu(4u)' : `${dst}(bitcast<f32>(pu(4u)))`;
  const load = conv ? `${dst}(X[u32(s)])` : 'X[u32(s)]';
  return `${enableFor(src === 'f16' || dst === 'f16' ? 'float16' : 'float32')}
@group(0) @binding(0) var<storage, read> X: array<${src}>;
@group(0) @binding(1) var<storage, read_write> Y: array<${dst}>;
${uniformDecl(2, SLOTS)}
${mainHeader()}
  if (idx >= pu(0u)) { return; }
  var rem = idx; var s = pi(2u); var o = pu(3u); var outside = false;
  for (var d = i32(pu(1u)) - 1; d >= 0; d = d - 1) {
    let k = u32(d);
    let c = rem % pu(${D}u + k);
    rem = rem / pu(${D}u + k);
    var q = i32(c) - pi(${LO}u + k);
    if (q < 0 || q >= pi(${HI}u + k)) { outside = true; }
    q = q % pi(${MOD}u + k);
    s += q * pi(${SS}u + k);
    o += c * pu(${DS}u + k);
  }
  if (outside) { Y[o] = ${pad}; } else { Y[o] = ${load}; }
}
`;
}

/** Pipeline key of {@link copyShader}. */
export function copyKey(t: GpuDType, conv?: Conversion): string {
  return conv ? `copy|${conv.from}>${conv.to}` : `copy|${elemOf(t)}`;
}

/** Creates the copy pipelines for every storage variant (call in `create`). */
export async function createCopyPipelines(ctx: Pick<GpuCreateCtx<unknown>, 'pipelines'>, variants: readonly GpuDType[]): Promise<void> {
  await Promise.all(variants.map((t) => ctx.pipelines.get(copyKey(t), () => copyShader(t))));
}

/**
 * Records one strided copy from `x` into `y` (nothing for an empty iteration space).
 * @throws OptiflowError when the rank exceeds {@link MAX_RANK} or the pipeline is missing
 */
export function encodeCopy(enc: GpuEncoder, ctx: Pick<GpuCreateCtx<unknown>, 'pipelines' | 'node'>, x: GpuTensor, y: GpuTensor,
  spec: CopySpec, conv?: Conversion): void {
  const dims = spec.dims.length ? spec.dims : [1];
  const n = dims.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  if (dims.length > MAX_RANK) gpuFail(ctx.node, `rank ${dims.length} above ${MAX_RANK}`);
  const pipe = ctx.pipelines.peek(copyKey(x.dtype, conv)) ?? gpuFail(ctx.node, `no copy pipeline for ${x.dtype}`);
  const r = spec.dims.length;
  const u = new Uniforms(SLOTS);
  u.u(0, n).u(1, dims.length).i(2, spec.srcBase ?? 0).u(3, spec.dstBase ?? 0).u(4, spec.padBits ?? 0);
  const dst = spec.dst ?? stridesOf(dims);
  dims.forEach((d, i) => {
    u.u(D + i, d).i(LO + i, spec.lo?.[i] ?? 0).i(HI + i, spec.hi?.[i] ?? BIG).i(MOD + i, spec.mod?.[i] ?? BIG)
      .i(SS + i, r ? spec.src[i]! : 1).u(DS + i, r ? dst[i]! : 1);
  });
  enc.dispatch(pipe, [x, y, u.binding], grid(n));
}

/** A plain copy of `x`'s elements into `y` (Reshape, Squeeze, Identity, ...). */
export function encodeFlatCopy(enc: GpuEncoder, ctx: Pick<GpuCreateCtx<unknown>, 'pipelines' | 'node'>, x: GpuTensor, y: GpuTensor): void {
  const n = x.dims.reduce((a, b) => a * b, 1);
  encodeCopy(enc, ctx, x, y, { dims: [n], src: [1], dst: [1] });
}
