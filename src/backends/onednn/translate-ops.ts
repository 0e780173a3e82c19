/**
 * Per-op translators of the standard ONNX ops the `onednn` backend runs outside convolutions and
 * matmuls: activations, binary arithmetic, Softmax/LogSoftmax, LayerNormalization,
 * BatchNormalization, pooling, Concat, Transpose, the reshaping ops and the Reduce ops.
 *
 * Log and Softplus are left to other backends: oneDNN 2.6's `eltwise_log` is off by ~1e-6 absolute
 * at 1 (log(1) ≠ 0) and `eltwise_soft_relu` loses relative precision for negative inputs, both
 * beyond the ONNX conformance tolerances.
 *
 * Source: ONNX operator spec (docs/Operators.md); oneDNN 2.6 primitives.
 * @module
 */
import { sizeOf } from '../../ir/tensor-data.js';
import { windowGeometry, windowParams } from '../../ops/nn-shape.js';
import { softmaxAxis } from '../../ops/reduce-norm-softmax.js';
import { transposePerm } from '../../ops/tensor-shape.js';
import { normalizeAxes } from '../../ops/tensor-util.js';
import { toNumbers } from '../../ops/shape-utils.js';
import type { EltwiseAlg } from './spec.js';
import { constData, decline, econst, FLT_MAX, type NodeCtx, type Translator } from './translate-builder.js';
import { emitBinaryNode, emitUnaryNode } from './translate-fold.js';

const num = (ctx: NodeCtx, name: string): number => ctx.attrs[name] as number;
const ints = (ctx: NodeCtx, name: string): number[] | undefined => ctx.attrs[name] as number[] | undefined;

/** A unary op as one eltwise step with parameters from the node. */
function unary(alg: EltwiseAlg, params: (ctx: NodeCtx) => [number, number] = () => [0, 0]): Translator {
  return (ctx) => { const [a, b] = params(ctx); emitUnaryNode(ctx, alg, a, b); };
}

/** Clip bounds: attributes before opset 11, optional constant inputs from 11 (infinite → ±FLT_MAX). */
function clipBounds(ctx: NodeCtx): [number, number] {
  let lo: number; let hi: number;
  if (ctx.opset < 11) { lo = num(ctx, 'min'); hi = num(ctx, 'max'); } else {
    const bound = (i: number, def: number): number => {
      const v = ctx.inputs[i];
      if (!v) return def;
      if (v.kind !== 'const') decline(ctx, `Clip bound input ${i} must be a constant`);
      return constData(v.data, ctx.where)[0]!;
    };
    lo = bound(1, -FLT_MAX); hi = bound(2, FLT_MAX);
  }
  return [Math.max(lo, -FLT_MAX), Math.min(hi, FLT_MAX)];
}

/** Softmax / LogSoftmax: one axis from opset 13; before, the input flattened to 2-D at `axis`. */
function softmax(log: boolean): Translator {
  return (ctx) => {
    const { b } = ctx;
    const src = b.tensorOf(ctx, ctx.inputs[0], 'input');
    const dims = b.dims(src); const r = dims.length;
    let axis = softmaxAxis(ctx.attrs['axis'] as number | undefined, ctx.opset);
    if (axis < 0) axis += r;
    if (ctx.opset >= 13 || axis === r - 1) {
      const dst = b.tensor(dims);
      b.emit({ kind: 'softmax', src, dst, axis, log });
      b.bind(ctx.node.outputs[0], dst);
      return;
    }
    const flat = [sizeOf(dims.slice(0, axis)), sizeOf(dims.slice(axis))];
    const s2 = b.reshape(src, flat);
    const d2 = b.tensor(flat);
    b.emit({ kind: 'softmax', src: s2, dst: d2, axis: 1, log });
    const dst = b.tensor(dims);
    b.emit({ kind: 'reshape', src: d2, dst });
    b.bind(ctx.node.outputs[0], dst);
  };
}

/** A per-channel constant of `c` elements from input `i` (omitted → `fill`). */
function channelConst(ctx: NodeCtx, i: number, c: number, fill: number, what: string): Float32Array {
  const v = ctx.inputs[i];
  if (!v) return new Float32Array(c).fill(fill);
  if (v.kind !== 'const') decline(ctx, `${what} must be a constant`);
  const d = constData(v.data, ctx.where);
  if (d.length === c) return d;
  if (d.length === 1) return new Float32Array(c).fill(d[0]!);
  return decline(ctx, `${what} has ${d.length} elements; expected ${c}`);
}

const layerNorm: Translator = (ctx) => {
  const { b } = ctx;
  const src = b.tensorOf(ctx, ctx.inputs[0], 'X');
  const dims = b.dims(src); const r = dims.length;
  const axis = num(ctx, 'axis') < 0 ? num(ctx, 'axis') + r : num(ctx, 'axis');
  if (axis !== r - 1) decline(ctx, `LayerNormalization over axis ${num(ctx, 'axis')} (only the last axis)`);
  const c = dims[r - 1]!;
  const scale = econst([c], channelConst(ctx, 1, c, 1, 'Scale'));
  const shift = econst([c], channelConst(ctx, 2, c, 0, 'B'));
  const dst = b.tensor(dims);
  b.emit({ kind: 'layernorm', src, dst, scale, shift, epsilon: num(ctx, 'epsilon'), postOps: [] });
  b.bind(ctx.node.outputs[0], dst);
};

const batchNorm: Translator = (ctx) => {
  const { b } = ctx;
  if (num(ctx, 'training_mode') !== 0) decline(ctx, 'BatchNormalization in training mode');
  if (ctx.opset < 7 && num(ctx, 'spatial') !== 1) decline(ctx, 'BatchNormalization with spatial=0');
  const src = b.tensorOf(ctx, ctx.inputs[0], 'X');
  const dims = b.dims(src);
  if (dims.length < 2) decline(ctx, 'BatchNormalization input of rank < 2');
  const c = dims[1]!;
  const [scale, shift, mean, variance] = [1, 2, 3, 4].map((i) => econst([c], channelConst(ctx, i, c, 0, ['scale', 'B', 'mean', 'var'][i - 1]!)));
  const dst = b.tensor(dims);
  b.emit({ kind: 'batchnorm', src, dst, mean: mean!, variance: variance!, scale: scale!, shift: shift!, epsilon: num(ctx, 'epsilon'), postOps: [] });
  b.bind(ctx.node.outputs[0], dst);
};

/** MaxPool / AveragePool. */
function pool(max: boolean): Translator {
  return (ctx) => {
    const { b, node } = ctx;
    const src = b.tensorOf(ctx, ctx.inputs[0], 'X');
    const dims = b.dims(src); const r = dims.length - 2;
    const dil = ints(ctx, 'dilations');
    if (dil && dil.some((d) => d !== 1)) decline(ctx, `${node.opType} with dilations`);
    const ceil = num(ctx, 'ceil_mode') !== 0;
    const p = windowParams(node, r, ctx.attrs as never, ints(ctx, 'kernel_shape')!, ceil);
    const g = windowGeometry(node, dims.slice(2), p);
    const padsEnd = g.out.map((o, i) => Math.max(g.padsEnd[i]!, (o - 1) * p.strides[i]! + p.kernel[i]! - dims[2 + i]! - g.padsBegin[i]!));
    const include = !max && num(ctx, 'count_include_pad') !== 0;
    if (include && padsEnd.some((e, i) => e !== g.padsEnd[i])) decline(ctx, 'AveragePool count_include_pad with ceil_mode overhang');
    const dst = b.tensor(ctx.outDims[0]!);
    b.emit({ kind: 'pool', alg: max ? 'max' : include ? 'avg_include' : 'avg_exclude', src, dst, kernel: p.kernel, strides: p.strides, padsBegin: g.padsBegin, padsEnd });
    b.bind(node.outputs[0], dst);
  };
}

function globalPool(max: boolean): Translator {
  return (ctx) => {
    const { b } = ctx;
    const src = b.tensorOf(ctx, ctx.inputs[0], 'X');
    const sp = b.dims(src).slice(2);
    if (sp.length === 0) decline(ctx, 'global pooling of a rank-2 input');
    const dst = b.tensor(ctx.outDims[0]!);
    const zeros = sp.map(() => 0);
    b.emit({ kind: 'pool', alg: max ? 'max' : 'avg_exclude', src, dst, kernel: sp, strides: sp.map(() => 1), padsBegin: zeros, padsEnd: zeros });
    b.bind(ctx.node.outputs[0], dst);
  };
}

const concat: Translator = (ctx) => {
  const { b } = ctx;
  const srcs = ctx.inputs.map((v, i) => b.tensorOf(ctx, v, `input ${i}`));
  const out = ctx.outDims[0]!;
  let axis = num(ctx, 'axis');
  if (axis < 0) axis += out.length;
  const nonEmpty = srcs.filter((s) => sizeOf(b.dims(s)) > 0);
  const dst = b.tensor(out);
  if (nonEmpty.length === 1) b.emit({ kind: 'reshape', src: nonEmpty[0]!, dst });
  else b.emit({ kind: 'concat', srcs: nonEmpty, dst, axis });
  b.bind(ctx.node.outputs[0], dst);
};

const transpose: Translator = (ctx) => {
  const { b } = ctx;
  const src = b.tensorOf(ctx, ctx.inputs[0], 'data');
  const perm = transposePerm(ctx.node, b.dims(src).length, ints(ctx, 'perm'));
  const dst = b.tensor(ctx.outDims[0]!);
  b.emit({ kind: 'transpose', src, dst, perm });
  b.bind(ctx.node.outputs[0], dst);
};

/** Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout (inference): a copy with the inferred dims. */
const reshapeLike: Translator = (ctx) => {
  const { b, node } = ctx;
  if (node.opType === 'Dropout' && ctx.opset >= 12 && ctx.inputs[2]) {
    const t = ctx.inputs[2];
    if (t.kind !== 'const' || toNumbers(t.data)[0] !== 0) decline(ctx, 'Dropout with training_mode not constant false');
  }
  const src = b.tensorOf(ctx, ctx.inputs[0], 'data');
  const dst = b.tensor(ctx.outDims[0]!);
  b.emit({ kind: 'reshape', src, dst });
  b.bind(node.outputs[0], dst);
};

/** ReduceSum/Mean/Max/Min, axes as attribute or constant input. */
function reduce(alg: 'sum' | 'mean' | 'max' | 'min'): Translator {
  return (ctx) => {
    const { b, node } = ctx;
    const src = b.tensorOf(ctx, ctx.inputs[0], 'data');
    const dims = b.dims(src);
    let axes: number[] | undefined;
    if ('axes' in ctx.attrs) axes = ints(ctx, 'axes');
    else if (ctx.inputs[1]) {
      const a = ctx.inputs[1];
      if (a.kind !== 'const') decline(ctx, `${node.opType} axes input must be a constant`);
      axes = toNumbers(a.data);
    }
    const out = ctx.outDims[0]!;
    if (!axes || axes.length === 0) {
      if (ctx.attrs['noop_with_empty_axes']) { reshapeLike(ctx); return; }
      axes = dims.map((_, i) => i);
    }
    const ax = normalizeAxes(node, axes, dims.length);
    const kept = dims.map((d, i) => (ax.includes(i) ? 1 : d));
    if (sizeOf(dims) === 0) decline(ctx, `${node.opType} of an empty tensor`);
    // Reducing only axes of size 1 is the identity (and oneDNN rejects src = dst dims).
    if (kept.every((d, i) => d === dims[i])) { reshapeLike(ctx); return; }
    let red = b.tensor(kept);
    b.emit({ kind: 'reduce', alg, src, dst: red });
    if (alg === 'max' || alg === 'min') {
      // oneDNN 2.6 starts max/min at ∓FLT_MAX, so a row of -inf (a fully masked row) reduces to
      // -FLT_MAX; ×2 then ×½ maps ±FLT_MAX back to ±inf and is exact for every |x| ≤ FLT_MAX/2.
      red = b.eltwise(b.eltwise(red, 'linear', 2, 0), 'linear', 0.5, 0);
    }
    const dst = b.tensor(out);
    b.emit({ kind: 'reshape', src: red, dst });
    b.bind(node.outputs[0], dst);
  };
}

/** Translators of the standard ops, by op type (domain ai.onnx). */
export const STANDARD_TRANSLATORS: ReadonlyMap<string, Translator> = new Map<string, Translator>([
  ['Relu', unary('relu')],
  ['LeakyRelu', unary('relu', (c) => [num(c, 'alpha'), 0])],
  ['Clip', unary('clip', clipBounds)],
  ['Sigmoid', unary('logistic')],
  ['Tanh', unary('tanh')],
  ['Elu', unary('elu', (c) => [num(c, 'alpha'), 0])],
  ['HardSigmoid', unary('hardsigmoid', (c) => [num(c, 'alpha'), num(c, 'beta')])],
  ['HardSwish', unary('hardswish', () => [1 / 6, 0.5])],
  ['Exp', unary('exp')],
  ['Sqrt', unary('sqrt')],
  ['Abs', unary('abs')],
  ['Neg', unary('linear', () => [-1, 0])],
  ['Reciprocal', unary('pow', () => [1, -1])],
  ['Gelu', (c) => emitUnaryNode(c, geluAlg(c), 0, 0)],
  ['Add', (c) => emitBinaryNode(c, 'add')],
  ['Sub', (c) => emitBinaryNode(c, 'sub')],
  ['Mul', (c) => emitBinaryNode(c, 'mul')],
  ['Div', (c) => emitBinaryNode(c, 'div')],
  ['Max', (c) => emitBinaryNode(c, 'max')],
  ['Min', (c) => emitBinaryNode(c, 'min')],
  ['Softmax', softmax(false)],
  ['LogSoftmax', softmax(true)],
  ['LayerNormalization', layerNorm],
  ['BatchNormalization', batchNorm],
  ['MaxPool', pool(true)],
  ['AveragePool', pool(false)],
  ['GlobalAveragePool', globalPool(false)],
  ['GlobalMaxPool', globalPool(true)],
  ['Concat', concat],
  ['Transpose', transpose],
  ['Reshape', reshapeLike], ['Flatten', reshapeLike], ['Squeeze', reshapeLike], ['Unsqueeze', reshapeLike],
  ['Identity', reshapeLike], ['Dropout', reshapeLike],
  ['ReduceSum', reduce('sum')], ['ReduceMean', reduce('mean')], ['ReduceMax', reduce('max')], ['ReduceMin', reduce('min')],
]);

/** Gelu's eltwise algorithm for the `approximate` attribute. */
export function geluAlg(ctx: NodeCtx): EltwiseAlg {
  return ctx.attrs['approximate'] === 'tanh' ? 'gelu_tanh' : 'gelu_erf';
}
