/**
 * `wasm` kernels of BatchNormalization (inference) and LayerNormalization (ONNX and
 * `optiflow::LayerNormalization`) on float32.
 * BatchNormalization folds its statistics into a per-channel scale and shift
 * (`s = scale / sqrt(var + eps)`, `t = B - mean · s`), computed in double precision once at
 * `create` when all four are constants, and runs `channel_affine_f32` over the NCHW planes.
 * LayerNormalization normalizes rows of the dims from `axis` on (`layernorm_f32`), with optional
 * bias and the optional Mean and InvStdDev outputs.
 * Source: ONNX operator spec (docs/Operators.md); Ioffe & Szegedy 2015; Ba et al. 2016.
 * @module
 */
import { OptiflowError } from '../../../ir/errors.js';
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { BatchNormalization, LayerNormalization } from '../../../ops/reduce-norm-normalization.js';
import { OptiflowLayerNormalization } from '../../../ops/optiflow-patterns.js';
import { normalizeAxis } from '../../../ops/shape-utils.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { Scratch, WasmRuntime } from '../runtime.js';
import {
  allOf, float32Support, freeConstants, inputPtr, packConstants, withScratch, type PackedConstants,
} from './shape-util.js';

/** Folded BatchNormalization parameters: per-channel scale and shift (both float32). */
function foldBatchNorm(scale: TensorData, bias: TensorData, mean: TensorData, variance: TensorData,
  eps: number): { s: Float32Array; t: Float32Array } {
  const c = scale.data.length;
  const sv = scale.data as Float32Array; const bv = bias.data as Float32Array;
  const mv = mean.data as Float32Array; const vv = variance.data as Float32Array;
  for (const [what, p] of [['B', bv], ['input_mean', mv], ['input_var', vv]] as const) {
    if (p.length !== c) throw new OptiflowError('shape_mismatch', `${what} has ${p.length} elements; scale has ${c}`);
  }
  const s = new Float32Array(c); const t = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const k = sv[i]! / Math.sqrt(vv[i]! + eps);
    s[i] = k; t[i] = bv[i]! - mv[i]! * k;
  }
  return { s, t };
}

function batchNormSupport(q: SupportQuery): Support {
  const tm = q.node.attributes.get('training_mode');
  if (q.opset >= 14 && tm?.type === 'int' && tm.value !== 0) return { ok: false, reason: 'wasm BatchNormalization runs inference only (training_mode=1)' };
  if (q.node.outputs.slice(1).some((o) => o !== '')) return { ok: false, reason: 'wasm BatchNormalization runs inference only (statistics outputs requested)' };
  const sp = q.node.attributes.get('spatial');
  if (q.opset < 9 && sp?.type === 'int' && sp.value === 0) return { ok: false, reason: 'wasm BatchNormalization does not handle spatial=0' };
  const r = q.inputs[0]?.shape?.length;
  if (r !== undefined && r < 2) return { ok: false, reason: `wasm BatchNormalization needs X of rank >= 2, got ${r}` };
  return { ok: true };
}

/** Folded per-channel parameters in wasm memory: packed at `create`, or undefined (computed per run). */
interface BatchNormState { s: number; t: number }

const batchNorm = defineWasmKernel<typeof BatchNormalization.attrs, BatchNormState | undefined>(BatchNormalization, {
  supports: allOf(float32Support, batchNormSupport),
  create: ({ attrs, constants: [, sc, b, m, v] }, rt) => {
    if (!sc || !b || !m || !v) return undefined;
    const f = foldBatchNorm(sc, b, m, v, attrs.epsilon);
    return { s: rt.persist(f.s), t: rt.persist(f.t) };
  },
  dispose: (st, rt) => { if (st) { rt.free(st.s); rt.free(st.t); } },
  run: ({ attrs, inputs: [x, sc, b, m, v], state, node }, rt) => withScratch(rt, (s) => {
    const dims = x!.dims;
    const c = dims[1]!; const inner = sizeOf(dims.slice(2));
    let st = state;
    if (!st) {
      const f = foldBatchNorm(sc!, b!, m!, v!, attrs.epsilon);
      st = { s: rt.input({ type: 'float32', dims: [c], data: f.s }, s), t: rt.input({ type: 'float32', dims: [c], data: f.t }, s) };
    }
    if (sc!.data.length !== c) throw new OptiflowError('shape_mismatch', `scale has ${sc!.data.length} elements; X has ${c} channels`, [`node ${node.name}`]);
    const { ptr, tensor } = rt.output(dims);
    const rows = dims[0]! * c;
    rt.parallelFor('channel_affine_f32', [rt.input(x!, s), st.s, st.t, ptr, c, inner], rows, rows * inner);
    return [tensor];
  }),
});

/** Scale or bias as `d` floats per row: used as is when it has exactly `d` elements, else broadcast. */
function rowParam(rt: WasmRuntime, s: Scratch, p: TensorData, packed: number | undefined, normDims: readonly number[],
  node: { name: string }): number {
  const d = sizeOf(normDims);
  const n = p.data.length;
  if (n === d) return packed ?? rt.input(p, s);
  // Right-aligned broadcast of p's dims onto the normalized dims.
  const pd = p.dims; const off = normDims.length - pd.length;
  if (off < 0 || pd.some((k, i) => k !== 1 && k !== normDims[off + i])) {
    throw new OptiflowError('shape_mismatch', `parameter of dims [${pd.join(',')}] does not broadcast to the normalized dims [${normDims.join(',')}]`, [`node ${node.name}`]);
  }
  const src = p.data as Float32Array; const out = new Float32Array(d);
  const strides = pd.map((_, i) => (pd[i] === 1 ? 0 : sizeOf(pd.slice(i + 1))));
  for (let j = 0; j < d; j++) {
    let rest = j; let o = 0;
    for (let k = normDims.length - 1; k >= off; k--) {
      const nd = normDims[k]!; const i = rest % nd; rest = (rest - i) / nd;
      o += i * strides[k - off]!;
    }
    out[j] = src[o]!;
  }
  return rt.input({ type: 'float32', dims: [d], data: out }, s);
}

function layerNormSupport(q: SupportQuery): Support {
  const st = q.node.attributes.get('stash_type');
  if (st?.type === 'int' && st.value !== 1 && q.node.outputs.slice(1).some((o) => o !== '')) {
    return { ok: false, reason: 'wasm LayerNormalization writes float32 statistics only (stash_type=1)' };
  }
  const x = q.inputs[0]?.shape;
  const ax = q.node.attributes.get('axis');
  const axis = ax?.type === 'int' ? ax.value : -1;
  if (x) {
    const a = axis < 0 ? axis + x.length : axis;
    for (const i of [1, 2]) {
      const p = q.inputs[i]?.shape;
      if (p && p.length > x.length - a && p.slice(0, p.length - (x.length - a)).some((d) => d !== 1)) {
        return { ok: false, reason: `wasm LayerNormalization needs input ${i} to cover only the normalized dims` };
      }
    }
  }
  return { ok: true };
}

const EMPTY: TensorData = { type: 'float32', dims: [0], data: new Float32Array(0) };

/** The LayerNormalization kernel for `schema` (ONNX LayerNormalization-17 or `optiflow::LayerNormalization`). */
const layerNormKernel = (schema: typeof LayerNormalization): AnyWasmKernel => defineWasmKernel<typeof LayerNormalization.attrs, PackedConstants>(schema, {
  supports: allOf(float32Support, layerNormSupport),
  create: (ctx, rt) => packConstants(ctx, rt, [1, 2]),
  dispose: freeConstants,
  run: ({ attrs, inputs: [x, scale, bias], outputs, node, state }, rt) => withScratch(rt, (s) => {
    const dims = x!.dims;
    const a = normalizeAxis(node, attrs.axis, dims.length);
    const normDims = dims.slice(a);
    const d = sizeOf(normDims); const rows = sizeOf(dims.slice(0, a));
    const px = inputPtr(rt, s, x!, undefined, 0);
    const ps = rowParam(rt, s, scale!, state.ptrs[1], normDims, node);
    const pb = bias ? rowParam(rt, s, bias, state.ptrs[2], normDims, node) : 0;
    const y = rt.output(dims);
    const res: TensorData[] = [y.tensor];
    const stat = [0, 0];
    for (const k of [1, 2]) {
      if (k >= outputs.length) break;
      if (!node.outputs[k]) { res.push(EMPTY); continue; }
      const o = rt.output(outputs[k]!.shape ?? [...dims.slice(0, a), ...normDims.map(() => 1)]);
      stat[k - 1] = o.ptr; res.push(o.tensor);
    }
    rt.parallelFor('layernorm_f32', [px, ps, pb, y.ptr, stat[0]!, stat[1]!, d, attrs.epsilon], rows, rows * d * 4);
    return res;
  }),
});

/** The normalization `wasm` kernels (float32 only; other dtypes fall back). */
export const NORM_WASM_KERNELS: readonly AnyWasmKernel[] = [
  batchNorm, layerNormKernel(LayerNormalization), layerNormKernel(OptiflowLayerNormalization as typeof LayerNormalization),
];
