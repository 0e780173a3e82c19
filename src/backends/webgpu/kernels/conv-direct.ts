/**
 * Direct 2-D convolution shader (NCHW, one thread per output element), used for depthwise and
 * other grouped convolutions with one input channel per group, where a GEMM would waste its tile:
 * `Y[n, m, oy, ox] = act(Σ_{c, ky, kx} X[n, g·Cg + c, iy, ix] · W[m, c, ky, kx] + B[m] + Z[n, m, oy, ox])`.
 * Source: ONNX operator spec (Conv); `src/ops/optiflow-fused.ts` (FusedConv).
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import type { FusedActivation } from '../../../ops/optiflow-fused-activation.js';
import type { GpuBinding, GpuCreateCtx, GpuEncoder, GpuTensor } from '../kernel.js';
import {
  ACT_FIELDS, activationKey, activationValues, activationWgsl, cdiv, grid, GRID_INDEX_WGSL, packUniform, storageDecl, storageHeader,
  storageOf, uniformDecl, type StorageType, type UniformFields,
} from './wgsl-a.js';

/** Default workgroup size (threads, one output element each). */
export const DIRECT_CONV_WG = 64;

/** Workgroup sizes `optiflow bench --tune` may time for a direct convolution (the first is the default). */
export const DIRECT_CONV_WG_CANDIDATES: readonly (readonly [number])[] = [[DIRECT_CONV_WG], [32], [128], [256]];

/** Whether `c` is a usable workgroup-size choice `[wg]` (a power of two in 32..256). */
export function validDirectWg(c: readonly number[] | undefined): c is readonly [number] {
  return !!c && c.length === 1 && [32, 64, 128, 256].includes(c[0]!);
}
const FIELDS: UniformFields = [
  ['total', 'u32'], ['M', 'u32'], ['Mg', 'u32'], ['C', 'u32'], ['Cg', 'u32'], ['H', 'u32'], ['W', 'u32'],
  ['outH', 'u32'], ['outW', 'u32'], ['kh', 'u32'], ['kw', 'u32'], ['sh', 'u32'], ['sw', 'u32'],
  ['ph', 'u32'], ['pw', 'u32'], ['dh', 'u32'], ['dw', 'u32'], ...ACT_FIELDS,
];

function wgsl(hasB: boolean, hasZ: boolean, act: FusedActivation, st: StorageType, WG: number): string {
  let b = 0;
  const decl = (name: string, rw = false): string => storageDecl(b++, name, rw);
  let s = storageHeader(st) + decl('X') + decl('Wt') + (hasB ? decl('Bias') : '') + (hasZ ? decl('Z') : '') + decl('Y', true);
  s += uniformDecl(FIELDS, b) + activationWgsl(act) + GRID_INDEX_WGSL;
  s += `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let idx = grid_index(wg, nwg) * ${WG}u + lid.x;
  if (idx >= u.total) { return; }
  let ox = idx % u.outW; let t = idx / u.outW; let oy = t % u.outH; let t2 = t / u.outH;
  let m = t2 % u.M; let n = t2 / u.M;
  let g = m / u.Mg;
  let hw = u.H * u.W;
  let xb = (n * u.C + g * u.Cg) * hw;
  let wb = m * u.Cg * u.kh * u.kw;
  var acc = 0.0;
  for (var c = 0u; c < u.Cg; c++) {
    for (var ky = 0u; ky < u.kh; ky++) {
      let iy = i32(oy * u.sh + ky * u.dh) - i32(u.ph);
      if (iy < 0 || iy >= i32(u.H)) { continue; }
      let xr = xb + c * hw + u32(iy) * u.W;
      let wr = wb + (c * u.kh + ky) * u.kw;
      for (var kx = 0u; kx < u.kw; kx++) {
        let ix = i32(ox * u.sw + kx * u.dw) - i32(u.pw);
        if (ix < 0 || ix >= i32(u.W)) { continue; }
        acc = fma(f32(X[xr + u32(ix)]), f32(Wt[wr + kx]), acc);
      }
    }
  }
${hasB ? '  acc = acc + f32(Bias[m]);\n' : ''}${hasZ ? '  acc = acc + f32(Z[idx]);\n' : ''}  Y[idx] = ST(act(acc));
}
`;
  return s;
}

/** 2-D geometry of one direct convolution (1-D convolutions use H = 1). */
export interface DirectConvGeometry {
  readonly n: number; readonly c: number; readonly m: number; readonly group: number;
  readonly h: number; readonly w: number; readonly outH: number; readonly outW: number;
  readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number;
  readonly ph: number; readonly pw: number; readonly dh: number; readonly dw: number;
}

/** A created direct-conv pipeline. */
export interface DirectConv {
  readonly pipeline: GPUComputePipeline;
  /** Workgroup size. */
  readonly wg: number;
  readonly hasB: boolean; readonly hasZ: boolean; readonly act: FusedActivation;
}

/**
 * Creates (or fetches) the direct-conv pipeline of this variant.
 * @param wg workgroup size (a tuned choice; default {@link DIRECT_CONV_WG})
 * @throws (rejects) when `wg` is not a {@link validDirectWg} choice or the shader does not compile
 */
export async function createDirectConv(ctx: GpuCreateCtx<unknown>, hasB: boolean, hasZ: boolean, act: FusedActivation,
  wg = DIRECT_CONV_WG): Promise<DirectConv> {
  if (!validDirectWg([wg])) throw new Error(`invalid direct-conv workgroup size ${wg}`);
  const st = storageOf(ctx);
  const key = `a/conv-direct/${st}/${hasB ? 'B' : ''}${hasZ ? 'Z' : ''}/${activationKey(act)}/wg${wg}`;
  return { pipeline: await ctx.pipelines.get(key, () => wgsl(hasB, hasZ, act, st, wg)), wg, hasB, hasZ, act };
}

/** Records the direct convolution of `x` with `w` (plus bias `b`, residual `z`) into `y`. */
export function encodeDirectConv(enc: GpuEncoder, node: Node, d: DirectConv, g: DirectConvGeometry,
  t: { x: GpuTensor; w: GpuTensor; b?: GpuTensor; z?: GpuTensor; y: GpuTensor }): void {
  const total = g.n * g.m * g.outH * g.outW;
  if (total === 0) return;
  const vals = {
    total, M: g.m, Mg: g.m / g.group, C: g.c, Cg: g.c / g.group, H: g.h, W: g.w, outH: g.outH, outW: g.outW,
    kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, ph: g.ph, pw: g.pw, dh: g.dh, dw: g.dw, ...activationValues(d.act),
  };
  const binds: GpuBinding[] = [t.x, t.w];
  if (d.hasB) binds.push(t.b!);
  if (d.hasZ) binds.push(t.z!);
  binds.push(t.y, packUniform(FIELDS, vals));
  enc.dispatch(d.pipeline, binds, grid(cdiv(total, d.wg), node));
}
