/**
 * WebGPU float32 Softmax and LogSoftmax. One workgroup per normalized row: a max reduction, a sum
 * of `exp(x - max)`, then the outputs, with the row addressed as `base + j · inner` so any axis
 * works without a transpose. Before opset 13 the input is flattened to 2-D at `axis` (the row is
 * every dim from `axis` on); from opset 13 the row is the single axis `axis`.
 * Source: ONNX operator spec (Softmax, LogSoftmax, both opset families).
 * @module
 */
import { LogSoftmax, Softmax, softmaxAxis } from '../../../ops/reduce-norm-softmax.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuCreateCtx, type GpuKernel } from '../kernel.js';
import {
  checkBindingSizes, grid, GRID_INDEX_WGSL, inputAt, nodeError, numel, packUniform, storageDecl, storageHeader, storageOf, uniformDecl,
  type StorageType, type UniformFields,
} from './wgsl-a.js';

const WG = 64;
const FIELDS: UniformFields = [['rows', 'u32'], ['len', 'u32'], ['inner', 'u32']];

/** A workgroup tree reduction of `sh` with `op`, leaving the result in `sh[0]` (WGSL). */
export function wgReduceWgsl(wg: number, name: string, op: string): string {
  return `fn ${name}(lid: u32) {
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) { let a = sh[lid]; let b = sh[lid + s]; sh[lid] = ${op}; }
  }
  workgroupBarrier();
}
`;
}

function wgsl(log: boolean, st: StorageType): string {
  return `${storageHeader(st)}${storageDecl(0, 'X')}${storageDecl(1, 'Y', true)}${uniformDecl(FIELDS, 2)}${GRID_INDEX_WGSL}var<workgroup> sh: array<f32, ${WG}>;
${wgReduceWgsl(WG, 'reduce_max', 'max(a, b)')}${wgReduceWgsl(WG, 'reduce_sum', 'a + b')}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = grid_index(wg, nwg);
  if (row >= u.rows) { return; }
  let base = (row / u.inner) * u.len * u.inner + row % u.inner;
  var m = neg_inf();
  for (var j = lid.x; j < u.len; j += ${WG}u) { m = max(m, f32(X[base + j * u.inner])); }
  sh[lid.x] = m;
  reduce_max(lid.x);
  let mx = sh[0];
  workgroupBarrier();
  var s = 0.0;
  for (var j = lid.x; j < u.len; j += ${WG}u) { s = s + exp(f32(X[base + j * u.inner]) - mx); }
  sh[lid.x] = s;
  reduce_sum(lid.x);
  let sum = sh[0];
  ${log ? 'let ls = log(sum);' : 'let inv = 1.0 / sum;'}
  for (var j = lid.x; j < u.len; j += ${WG}u) {
    let i = base + j * u.inner;
    Y[i] = ST(${log ? 'f32(X[i]) - mx - ls' : 'exp(f32(X[i]) - mx) * inv'});
  }
}
`;
}

async function createSoftmax(ctx: GpuCreateCtx<{ readonly axis: number | undefined }>, log: boolean): Promise<GpuKernel> {
  const node = ctx.node; const opset = ctx.opset;
  const st = storageOf(ctx);
  const pipeline = await ctx.pipelines.get(`a/softmax/${st}/${log ? 'log' : 'exp'}`, () => wgsl(log, st));
  const axisAttr = softmaxAxis(ctx.attrs.axis, opset);
  return {
    encode(enc, inputs, [y]) {
      const x = inputAt(node, inputs, [], 0);
      const d = x.dims; const r = d.length;
      const total = numel(d);
      if (total === 0) return;
      let outer: number; let len: number; let inner: number;
      if (opset < 13) {
        const a = axisAttr < 0 ? axisAttr + r : axisAttr;
        if (a < 0 || a > r) throw nodeError(node, 'invalid_attribute', `axis ${axisAttr} out of range for rank ${r}`);
        outer = numel(d.slice(0, a)); len = numel(d.slice(a)); inner = 1;
      } else {
        const a = axisAttr < 0 ? axisAttr + Math.max(r, 1) : axisAttr;
        if (a < 0 || a >= Math.max(r, 1)) throw nodeError(node, 'invalid_attribute', `axis ${axisAttr} out of range for rank ${r}`);
        outer = numel(d.slice(0, a)); len = d[a] ?? 1; inner = numel(d.slice(a + 1));
      }
      const rows = outer * inner;
      enc.dispatch(pipeline, [x, y!, packUniform(FIELDS, { rows, len, inner })], grid(rows, node));
    },
  };
}

/** Softmax (all opsets), float32. */
export const gpuSoftmax = defineGpuKernel(Softmax, { supports: checkBindingSizes, create: (ctx) => createSoftmax(ctx, false) });
/** LogSoftmax (all opsets), float32. */
export const gpuLogSoftmax = defineGpuKernel(LogSoftmax, { supports: checkBindingSizes, create: (ctx) => createSoftmax(ctx, true) });

/** The softmax kernels. */
export const SOFTMAX_KERNELS_A: readonly AnyGpuKernel[] = [gpuSoftmax, gpuLogSoftmax];
