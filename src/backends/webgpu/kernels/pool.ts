/**
 * WebGPU float32 pooling kernels: MaxPool (Y only), AveragePool (count_include_pad, ceil_mode,
 * dilations), GlobalAveragePool and GlobalMaxPool, for 1 to 3 spatial axes (padded to D, H, W).
 * Windowed pools run one thread per output element; global pools one workgroup per (n, c) plane
 * with a tree reduction in workgroup memory.
 * Source: ONNX operator spec (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool).
 * @module
 */
import { windowGeometry, windowParams, type WindowAttrs } from '../../../ops/nn-shape.js';
import { AveragePool, GlobalAveragePool, GlobalMaxPool, MaxPool } from '../../../ops/nn-pool.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuKernel, type GpuCreateCtx } from '../kernel.js';
import {
  allOk, cdiv, checkBindingSizes, grid, GRID_INDEX_WGSL, inputAt, nodeError, numel, packUniform, storageDecl, storageHeader,
  storageOf, uniformDecl, type StorageType, type UniformFields,
} from './wgsl-a.js';

const WG = 64;
const NEG_INF = 'neg_inf()';
const AXES = ['d', 'h', 'w'] as const;
const FIELDS: UniformFields = [
  ['total', 'u32'], ['incl', 'u32'],
  ...AXES.flatMap((a) => [[`in_${a}`, 'u32'], [`o_${a}`, 'u32'], [`k_${a}`, 'u32'], [`s_${a}`, 'u32'], [`pb_${a}`, 'u32'], [`pe_${a}`, 'u32'], [`dl_${a}`, 'u32']] as const),
];

function windowWgsl(kind: 'max' | 'avg', st: StorageType): string {
  let s = storageHeader(st) + storageDecl(0, 'X') + storageDecl(1, 'Y', true);
  s += uniformDecl(FIELDS, 2) + GRID_INDEX_WGSL;
  // Per axis: the number of taps inside the input (`valid`) and inside input + explicit padding.
  s += `fn taps(o: u32, n: u32, k: u32, st: u32, pb: u32, pe: u32, dl: u32) -> vec2<u32> {
  var valid = 0u; var padded = 0u;
  for (var t = 0u; t < k; t++) {
    let p = i32(o * st + t * dl) - i32(pb);
    if (p < i32(n + pe)) { padded++; }
    if (p >= 0 && p < i32(n)) { valid++; }
  }
  return vec2<u32>(valid, padded);
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let idx = grid_index(wg, nwg) * ${WG}u + lid.x;
  if (idx >= u.total) { return; }
  let ow = idx % u.o_w; let t1 = idx / u.o_w; let oh = t1 % u.o_h; let t2 = t1 / u.o_h; let od = t2 % u.o_d; let plane = t2 / u.o_d;
  let base = plane * u.in_d * u.in_h * u.in_w;
  var acc = ${kind === 'max' ? NEG_INF : '0.0'};
  for (var a = 0u; a < u.k_d; a++) {
    let id = i32(od * u.s_d + a * u.dl_d) - i32(u.pb_d);
    if (id < 0 || id >= i32(u.in_d)) { continue; }
    for (var b = 0u; b < u.k_h; b++) {
      let ih = i32(oh * u.s_h + b * u.dl_h) - i32(u.pb_h);
      if (ih < 0 || ih >= i32(u.in_h)) { continue; }
      let row = base + (u32(id) * u.in_h + u32(ih)) * u.in_w;
      for (var c = 0u; c < u.k_w; c++) {
        let iw = i32(ow * u.s_w + c * u.dl_w) - i32(u.pb_w);
        if (iw < 0 || iw >= i32(u.in_w)) { continue; }
        let v = f32(X[row + u32(iw)]);
        ${kind === 'max' ? 'acc = max(acc, v);' : 'acc = acc + v;'}
      }
    }
  }
${kind === 'avg' ? `  let td = taps(od, u.in_d, u.k_d, u.s_d, u.pb_d, u.pe_d, u.dl_d);
  let th = taps(oh, u.in_h, u.k_h, u.s_h, u.pb_h, u.pe_h, u.dl_h);
  let tw = taps(ow, u.in_w, u.k_w, u.s_w, u.pb_w, u.pe_w, u.dl_w);
  let div = select(td.x * th.x * tw.x, td.y * th.y * tw.y, u.incl != 0u);
  acc = acc / f32(div);
` : ''}  Y[idx] = ST(acc);
}
`;
  return s;
}

/** Declines MaxPool's Indices output, more than 3 spatial axes and oversized tensors. */
function poolSupports(q: SupportQuery, limits: GPUSupportedLimits): Support {
  return allOk(
    () => (q.node.outputs[1] ? { ok: false, reason: 'MaxPool Indices (int64) output is not computed on webgpu' } : { ok: true }),
    () => {
      const r = q.inputs[0]?.shape?.length;
      return r !== undefined && (r < 3 || r > 5) ? { ok: false, reason: `rank-${r} pooling: webgpu handles 1 to 3 spatial axes` } : { ok: true };
    },
    () => checkBindingSizes(q, limits),
  );
}

/** Pads per-axis values to the three axes D, H, W. */
function to3(v: readonly number[], fill: number): number[] {
  return [...Array<number>(3 - v.length).fill(fill), ...v];
}

type PoolAttrs = WindowAttrs & { readonly kernel_shape: number[]; readonly ceil_mode: number };

async function createWindowPool(ctx: GpuCreateCtx<PoolAttrs>, kind: 'max' | 'avg', includePad: boolean): Promise<GpuKernel> {
  const node = ctx.node; const attrs = ctx.attrs;
  const st = storageOf(ctx);
  const pipeline = await ctx.pipelines.get(`a/pool/${st}/${kind}`, () => windowWgsl(kind, st));
  return {
    encode(enc, inputs, [y]) {
      const x = inputAt(node, inputs, [], 0);
      const xd = x.dims; const r = xd.length - 2;
      if (r < 1 || r > 3) throw nodeError(node, 'shape_mismatch', `webgpu pooling handles 1 to 3 spatial axes, input is [${xd.join(',')}]`);
      const p = windowParams(node, r, attrs, attrs.kernel_shape, attrs.ceil_mode !== 0);
      const geo = windowGeometry(node, xd.slice(2), p);
      const total = numel(y!.dims);
      if (total === 0) return;
      const vals: Record<string, number> = { total, incl: includePad ? 1 : 0 };
      const per = {
        in: to3(xd.slice(2), 1), o: to3(geo.out, 1), k: to3(p.kernel, 1), s: to3(p.strides, 1),
        pb: to3(geo.padsBegin, 0), pe: to3(geo.padsEnd, 0), dl: to3(p.dilations, 1),
      };
      AXES.forEach((a, i) => { for (const [f, v] of Object.entries(per)) vals[`${f}_${a}`] = v[i]!; });
      enc.dispatch(pipeline, [x, y!, packUniform(FIELDS, vals)], grid(cdiv(total, WG), node));
    },
  };
}

const GLOBAL_FIELDS: UniformFields = [['planes', 'u32'], ['size', 'u32']];

function globalWgsl(kind: 'max' | 'avg', st: StorageType): string {
  const combine = kind === 'max' ? 'max(a, b)' : 'a + b';
  return `${storageHeader(st)}${storageDecl(0, 'X')}${storageDecl(1, 'Y', true)}${uniformDecl(GLOBAL_FIELDS, 2)}${GRID_INDEX_WGSL}var<workgroup> sh: array<f32, ${WG}>;
fn comb(a: f32, b: f32) -> f32 { return ${combine}; }
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let plane = grid_index(wg, nwg);
  if (plane >= u.planes) { return; }
  let base = plane * u.size;
  var acc = ${kind === 'max' ? NEG_INF : '0.0'};
  for (var i = lid.x; i < u.size; i += ${WG}u) { acc = comb(acc, f32(X[base + i])); }
  sh[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { sh[lid.x] = comb(sh[lid.x], sh[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) { Y[plane] = ST(${kind === 'max' ? 'sh[0]' : 'sh[0] / f32(u.size)'}); }
}
`;
}

async function createGlobalPool(ctx: GpuCreateCtx<unknown>, kind: 'max' | 'avg'): Promise<GpuKernel> {
  const node = ctx.node;
  const st = storageOf(ctx);
  const pipeline = await ctx.pipelines.get(`a/global-pool/${st}/${kind}`, () => globalWgsl(kind, st));
  return {
    encode(enc, inputs, [y]) {
      const x = inputAt(node, inputs, [], 0);
      const planes = x.dims[0]! * x.dims[1]!; const size = numel(x.dims.slice(2));
      if (planes === 0) return;
      enc.dispatch(pipeline, [x, y!, packUniform(GLOBAL_FIELDS, { planes, size })], grid(planes, node));
    },
  };
}

function globalSupports(q: SupportQuery, limits: GPUSupportedLimits): Support {
  return checkBindingSizes(q, limits);
}

/** MaxPool (all opsets), float32, Y output only. */
export const gpuMaxPool = defineGpuKernel(MaxPool, { supports: poolSupports, create: (ctx) => createWindowPool(ctx, 'max', false) });
/** AveragePool (all opsets), float32. */
export const gpuAveragePool = defineGpuKernel(AveragePool, {
  supports: poolSupports, create: (ctx) => createWindowPool(ctx, 'avg', ctx.attrs.count_include_pad !== 0),
});
/** GlobalAveragePool, float32. */
export const gpuGlobalAveragePool = defineGpuKernel(GlobalAveragePool, { supports: globalSupports, create: (ctx) => createGlobalPool(ctx, 'avg') });
/** GlobalMaxPool, float32. */
export const gpuGlobalMaxPool = defineGpuKernel(GlobalMaxPool, { supports: globalSupports, create: (ctx) => createGlobalPool(ctx, 'max') });

/** The pooling kernels. */
export const POOL_KERNELS_A: readonly AnyGpuKernel[] = [gpuMaxPool, gpuAveragePool, gpuGlobalAveragePool, gpuGlobalMaxPool];
