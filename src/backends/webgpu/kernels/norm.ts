/**
 * WebGPU float32 normalization kernels:
 * - LayerNormalization (ONNX, opset 17+) and optiflow::LayerNormalization (the same op at any
 *   opset): one workgroup per row of the dims from `axis` on; mean, then the variance of
 *   `x - mean` (two passes, float32), then `(x - mean) · invstd · Scale + B`; the optional Mean and
 *   InvStdDev outputs (stash_type float32 only). Scale and B must broadcast as trailing dims of X.
 * - BatchNormalization (inference mode): one thread per element,
 *   `(x - mean[c]) / sqrt(var[c] + epsilon) · scale[c] + B[c]`.
 * Source: ONNX operator spec (LayerNormalization-17, BatchNormalization).
 * @module
 */
import type { Dim, Node } from '../../../ir/graph.js';
import { OptiflowLayerNormalization } from '../../../ops/optiflow-patterns.js';
import { BatchNormalization, LayerNormalization } from '../../../ops/reduce-norm-normalization.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuBinding, type GpuCreateCtx, type GpuKernel, type GpuTensor } from '../kernel.js';
import { wgReduceWgsl } from './softmax.js';
import {
  allOk, cdiv, checkBindingSizes, grid, GRID_INDEX_WGSL, hasInput, inputAt, nodeError, numel, packUniform, storageDecl, storageHeader,
  storageOf, uniformDecl, uploadConstants, type StorageType, type UniformFields,
} from './wgsl-a.js';

const WG = 64;
const LN_FIELDS: UniformFields = [['rows', 'u32'], ['cols', 'u32'], ['eps', 'f32'], ['nScale', 'u32'], ['nB', 'u32']];

function lnWgsl(hasB: boolean, stats: boolean, st: StorageType): string {
  let b = 0;
  const decl = (name: string, rw = false): string => storageDecl(b++, name, rw);
  let s = storageHeader(st) + decl('X') + decl('Sc') + (hasB ? decl('Bi') : '') + decl('Y', true) + (stats ? decl('Mean', true) + decl('Inv', true) : '');
  s += uniformDecl(LN_FIELDS, b) + GRID_INDEX_WGSL + `var<workgroup> sh: array<f32, ${WG}>;\n` + wgReduceWgsl(WG, 'reduce_sum', 'a + b');
  s += `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = grid_index(wg, nwg);
  if (row >= u.rows) { return; }
  let base = row * u.cols;
  var s = 0.0;
  for (var j = lid.x; j < u.cols; j += ${WG}u) { s = s + f32(X[base + j]); }
  sh[lid.x] = s;
  reduce_sum(lid.x);
  let mean = sh[0] / f32(u.cols);
  workgroupBarrier();
  var q = 0.0;
  for (var j = lid.x; j < u.cols; j += ${WG}u) { let d = f32(X[base + j]) - mean; q = q + d * d; }
  sh[lid.x] = q;
  reduce_sum(lid.x);
  let inv = 1.0 / sqrt(sh[0] / f32(u.cols) + u.eps);
  for (var j = lid.x; j < u.cols; j += ${WG}u) {
    let i = base + j;
    Y[i] = ST((f32(X[i]) - mean) * inv * f32(Sc[i % u.nScale])${hasB ? ' + f32(Bi[i % u.nB])' : ''});
  }
${stats ? '  if (lid.x == 0u) { Mean[row] = ST(mean); Inv[row] = ST(inv); }\n' : ''}}
`;
  return s;
}

/** Whether `s` (static) broadcasts to `x` as X's trailing dims (leading 1s dropped). */
function trailingDims(s: readonly Dim[], x: readonly Dim[]): boolean {
  let i = 0;
  while (i < s.length && s[i] === 1) i++;
  const t = s.slice(i);
  return t.length <= x.length && t.every((d, k) => d === x[x.length - t.length + k]);
}

/** Declines stash types other than float32, Scale/B that are not trailing dims of X, big tensors. */
function lnSupports(q: SupportQuery, limits: GPUSupportedLimits): Support {
  const st = q.node.attributes.get('stash_type');
  return allOk(
    () => (st && st.type === 'int' && st.value !== 1 ? { ok: false, reason: `stash_type ${st.value}: webgpu keeps statistics in float32` } : { ok: true }),
    () => {
      const x = q.inputs[0]?.shape;
      for (const i of [1, 2]) {
        const s = q.inputs[i]?.shape;
        if (x && s && s.every((d) => typeof d === 'number') && x.every((d) => typeof d === 'number') && !trailingDims(s, x)) {
          return { ok: false, reason: `input ${i} [${s.join(',')}] does not broadcast as trailing dims of X [${x.join(',')}]` };
        }
      }
      return { ok: true };
    },
    () => checkBindingSizes(q, limits),
  );
}

async function createLayerNorm(ctx: GpuCreateCtx<{ readonly axis: number; readonly epsilon: number }>): Promise<GpuKernel> {
  const node = ctx.node; const { axis, epsilon } = ctx.attrs;
  const hasB = hasInput(node, 2);
  const stats = !!node.outputs[1] || !!node.outputs[2];
  const up = uploadConstants(ctx);
  const st = storageOf(ctx);
  const pipeline = await ctx.pipelines.get(`a/layernorm/${st}/${hasB ? 'B' : ''}${stats ? 'S' : ''}`, () => lnWgsl(hasB, stats, st));
  return {
    encode(enc, inputs, outputs) {
      const x = inputAt(node, inputs, up, 0); const sc = inputAt(node, inputs, up, 1);
      const bi = hasB ? inputAt(node, inputs, up, 2) : undefined;
      const r = x.dims.length; const a = axis < 0 ? axis + r : axis;
      if (a < 0 || a >= r) throw nodeError(node, 'invalid_attribute', `axis ${axis} out of range for rank ${r}`);
      for (const [i, t] of [[1, sc], [2, bi]] as const) {
        if (t && !trailingDims(t.dims, x.dims)) {
          throw nodeError(node, 'shape_mismatch', `input ${i} [${t.dims.join(',')}] does not broadcast as trailing dims of X [${x.dims.join(',')}]`);
        }
      }
      const rows = numel(x.dims.slice(0, a)); const cols = numel(x.dims.slice(a));
      if (rows * cols === 0) return;
      const binds: GpuBinding[] = [x, sc];
      if (bi) binds.push(bi);
      binds.push(outputs[0]!);
      if (stats) binds.push(statOut(enc, outputs[1], rows), statOut(enc, outputs[2], rows));
      binds.push(packUniform(LN_FIELDS, { rows, cols, eps: epsilon, nScale: numel(sc.dims), nB: bi ? numel(bi.dims) : 1 }));
      enc.dispatch(pipeline, binds, grid(rows, node));
    },
  };
}

/** A declared statistics output, or scratch when the node omits it. */
function statOut(enc: Parameters<GpuKernel['encode']>[0], t: GpuTensor | undefined, rows: number): GpuTensor {
  return t ?? enc.scratch([rows], 'float32');
}

/** LayerNormalization (opset 17+), float32. */
export const gpuLayerNormalization = defineGpuKernel(LayerNormalization, { supports: lnSupports, create: createLayerNorm });
/** optiflow::LayerNormalization, float32. */
export const gpuOptiflowLayerNormalization = defineGpuKernel(OptiflowLayerNormalization, { supports: lnSupports, create: createLayerNorm });

const BN_FIELDS: UniformFields = [['total', 'u32'], ['C', 'u32'], ['inner', 'u32'], ['eps', 'f32']];

const bnWgsl = (st: StorageType): string => `${storageHeader(st)}${['X', 'Sc', 'Bi', 'Mu', 'Var'].map((n, i) => storageDecl(i, n)).join('')}${storageDecl(5, 'Y', true)}${uniformDecl(BN_FIELDS, 6)}${GRID_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = grid_index(wg, nwg) * ${WG}u + lid.x;
  if (i >= u.total) { return; }
  let c = (i / u.inner) % u.C;
  Y[i] = ST((f32(X[i]) - f32(Mu[c])) * (1.0 / sqrt(f32(Var[c]) + u.eps)) * f32(Sc[c]) + f32(Bi[c]));
}
`;

/** Declines training mode, extra outputs, spatial=0, per-channel inputs not of length C or not float32. */
function bnSupports(q: SupportQuery, limits: GPUSupportedLimits): Support {
  const a = q.node.attributes;
  const tm = a.get('training_mode'); const sp = a.get('spatial');
  return allOk(
    () => (tm?.type === 'int' && tm.value !== 0) || q.node.outputs.filter((o) => o).length > 1
      ? { ok: false, reason: 'BatchNormalization training mode (batch statistics, running outputs) is not on webgpu' } : { ok: true },
    () => (q.opset < 9 && sp?.type === 'int' && sp.value === 0 ? { ok: false, reason: 'BatchNormalization spatial=0 is not on webgpu' } : { ok: true }),
    () => {
      const c = q.inputs[0]?.shape?.[1];
      for (let i = 1; i < 5; i++) {
        const t = q.inputs[i];
        if (t && t.dtype !== 'float32') return { ok: false, reason: `input ${i} has dtype ${t.dtype}; webgpu needs float32` };
        const s = t?.shape;
        if (s && (s.length !== 1 || (typeof c === 'number' && typeof s[0] === 'number' && s[0] !== c))) {
          return { ok: false, reason: `input ${i} [${s.join(',')}] is not 1-D of the ${c} channels` };
        }
      }
      return { ok: true };
    },
    () => checkBindingSizes(q, limits),
  );
}

async function createBatchNorm(ctx: GpuCreateCtx<{ readonly epsilon: number }>): Promise<GpuKernel> {
  const node: Node = ctx.node; const eps = ctx.attrs.epsilon;
  const up = uploadConstants(ctx);
  const st = storageOf(ctx);
  const pipeline = await ctx.pipelines.get(`a/batchnorm/${st}`, () => bnWgsl(st));
  return {
    encode(enc, inputs, [y]) {
      const x = inputAt(node, inputs, up, 0);
      const total = numel(x.dims);
      if (total === 0) return;
      const c = x.dims.length > 1 ? x.dims[1]! : 1;
      const inner = numel(x.dims.slice(2));
      const p = [1, 2, 3, 4].map((i) => inputAt(node, inputs, up, i));
      for (const [k, t] of p.entries()) {
        if (numel(t.dims) !== c) throw nodeError(node, 'shape_mismatch', `input ${k + 1} [${t.dims.join(',')}] must have ${c} elements`);
      }
      enc.dispatch(pipeline, [x, ...p, y!, packUniform(BN_FIELDS, { total, C: c, inner, eps })], grid(cdiv(total, WG), node));
    },
  };
}

/** BatchNormalization (inference mode, all opsets), float32. */
export const gpuBatchNormalization = defineGpuKernel(BatchNormalization, { supports: bnSupports, create: createBatchNorm });

/** The normalization kernels. */
export const NORM_KERNELS_A: readonly AnyGpuKernel[] = [gpuLayerNormalization, gpuOptiflowLayerNormalization, gpuBatchNormalization];
