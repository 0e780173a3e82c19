/**
 * Elementwise node translation with post-op folding: a unary activation, or a binary op whose other
 * operand is a scalar, a per-channel constant or another tensor, becomes a post-op (eltwise, bias or
 * weight scaling, `sum`, `binary`) of the convolution, matmul or binary producing its input, when
 * that intermediate value has no other reader and is not a segment output. Otherwise it becomes its
 * own eltwise or binary primitive.
 *
 * Source: oneDNN 2.6 developer guide, "Primitive Attributes: Post-ops" (eltwise, sum, binary).
 * @module
 */
import type { EltwiseAlg, EngineConst, EngineOp, PostOp } from './spec.js';
import {
  constData, decline, econst, FLT_MAX, padDims, sameDims, type BinaryAlg, type NodeCtx, type Val,
} from './translate-builder.js';

/**
 * The eltwise steps of `alg`: HardSigmoid as `linear(alpha, beta)` then `clip(0, 1)` (oneDNN 2.6
 * has no hardsigmoid; composing it here keeps the addon's post-op list one step per entry).
 */
export function eltwiseSteps(alg: EltwiseAlg, alpha: number, beta: number): PostOp[] {
  if (alg === 'hardsigmoid') {
    return [{ kind: 'eltwise', alg: 'linear', alpha, beta }, { kind: 'eltwise', alg: 'clip', alpha: 0, beta: 1 }];
  }
  return [{ kind: 'eltwise', alg, alpha, beta }];
}

/**
 * Emits `y = alg(x)` for the node's input `inputIndex` (default 0), folded into the producer's
 * post-ops when allowed.
 */
export function emitUnaryNode(ctx: NodeCtx, alg: EltwiseAlg, alpha: number, beta: number, inputIndex = 0): void {
  const { b, node } = ctx;
  const src = b.tensorOf(ctx, ctx.inputs[inputIndex], `input ${inputIndex}`);
  const steps = eltwiseSteps(alg, alpha, beta);
  const k = b.foldTarget(src, node.inputs[inputIndex]!);
  if (k !== undefined) {
    for (const p of steps) b.addPostOp(k, p);
    b.bind(node.outputs[0], src);
    return;
  }
  let t = src;
  for (const p of steps) if (p.kind === 'eltwise') t = b.eltwise(t, p.alg, p.alpha, p.beta);
  b.bind(node.outputs[0], t);
}

/** The eltwise form of `x (alg) c` (or `c (alg) x` when `constFirst`), for a scalar `c`. */
export function scalarEltwise(alg: BinaryAlg, c: number, constFirst: boolean): { alg: EltwiseAlg; alpha: number; beta: number } {
  switch (alg) {
    case 'add': return { alg: 'linear', alpha: 1, beta: c };
    case 'sub': return constFirst ? { alg: 'linear', alpha: -1, beta: c } : { alg: 'linear', alpha: 1, beta: -c };
    case 'mul': return { alg: 'linear', alpha: c, beta: 0 };
    case 'div': return constFirst ? { alg: 'pow', alpha: c, beta: -1 } : { alg: 'linear', alpha: 1 / c, beta: 0 };
    case 'max': return { alg: 'clip', alpha: c, beta: FLT_MAX };
    case 'min': return { alg: 'clip', alpha: -FLT_MAX, beta: c };
  }
}

/** Emits the node's `y = a (alg) b` with numpy broadcasting, folding into post-ops where allowed. */
export function emitBinaryNode(ctx: NodeCtx, alg: BinaryAlg): void {
  const { b, node } = ctx;
  const x = ctx.inputs[0]; const y = ctx.inputs[1];
  if (!x || !y) decline(ctx, `${node.opType} needs two inputs`);
  const out = ctx.outDims[0]!;
  // A scalar constant with a full-size tensor: one eltwise step.
  for (const [t, c, constFirst] of [[x, y, false], [y, x, true]] as const) {
    if (t.kind === 'tensor' && c.kind === 'const' && c.data.dims.every((d) => d === 1) && sameDims(b.dims(t.index), out)) {
      const v = constData(c.data, ctx.where)[0]!;
      if (alg === 'div' && !constFirst && v === 0) break;
      const e = scalarEltwise(alg, v, constFirst);
      emitUnaryNode(ctx, e.alg, e.alpha, e.beta, constFirst ? 1 : 0);
      return;
    }
  }
  if (tryFold(ctx, alg, x, y, 0) || (isCommutative(alg) && tryFold(ctx, alg, y, x, 1))) return;
  b.bind(node.outputs[0], b.binary(ctx, alg, x, y, out));
}

function isCommutative(alg: BinaryAlg): boolean {
  return alg === 'add' || alg === 'mul' || alg === 'max' || alg === 'min';
}

/** Folds `t (alg) other` into the producer of `t` (input `ti` of the node); true when done. */
function tryFold(ctx: NodeCtx, alg: BinaryAlg, t: Val, other: Val, ti: number): boolean {
  const { b, node } = ctx;
  const out = ctx.outDims[0]!;
  if (t.kind !== 'tensor' || !sameDims(b.dims(t.index), out)) return false;
  const k = b.foldTarget(t.index, node.inputs[ti]!);
  if (k === undefined) return false;
  if (other.kind === 'const') {
    if (!foldConstant(ctx, k, alg, other, out)) return false;
  } else {
    const od = b.dims(other.index);
    if (other.index === t.index || od.length !== out.length || !b.availableBefore(other.index, k)) return false;
    if (!od.every((d, i) => d === out[i] || d === 1)) return false;
    b.addPostOp(k, alg === 'add' && sameDims(od, out)
      ? { kind: 'sum', tensor: other.index, scale: 1 }
      : { kind: 'binary', alg, tensor: other.index });
  }
  b.bind(node.outputs[0], t.index);
  return true;
}

/**
 * Folds a per-channel constant into a conv (channel dim 1) or matmul (last dim) with no post-ops
 * yet: add/sub into the bias, mul/div into the weights (constant weights only) and bias.
 */
function foldConstant(ctx: NodeCtx, k: number, alg: BinaryAlg, c: Val & { kind: 'const' }, out: readonly number[]): boolean {
  const { b } = ctx;
  const op = b.op(k);
  if ((op.kind !== 'conv' && op.kind !== 'matmul') || b.postOpsOf(k).length || op.outputScales) return false;
  if (alg === 'max' || alg === 'min') return false;
  const r = out.length;
  const cd = padDims(c.data.dims, r);
  if (cd.length !== r) return false;
  const axis = op.kind === 'conv' ? 1 : r - 1;
  const channels = out[axis]!;
  if (!cd.every((d, i) => d === 1 || (i === axis && d === channels))) return false;
  const src = constData(c.data, ctx.where);
  const per = Float32Array.from({ length: channels }, (_, m) => src[cd[axis] === 1 ? 0 : m]!);
  if (alg === 'add' || alg === 'sub') {
    const bias = new Float32Array(channels);
    if (op.bias) bias.set(op.bias.data);
    for (let m = 0; m < channels; m++) bias[m] = bias[m]! + (alg === 'add' ? per[m]! : -per[m]!);
    b.replaceOp(k, { ...op, bias: econst([channels], bias) } as EngineOp);
    return true;
  }
  const scale = alg === 'mul' ? per : per.map((v) => 1 / v);
  let weights: EngineConst;
  if (op.kind === 'conv') {
    const w = op.weights; const inner = w.data.length / channels;
    const data = new Float32Array(w.data.length);
    for (let m = 0; m < channels; m++) for (let i = 0; i < inner; i++) data[m * inner + i] = w.data[m * inner + i]! * scale[m]!;
    weights = econst(w.dims, data);
  } else {
    if (typeof op.b === 'number' || op.bTransposed) return false;
    const w = op.b; const data = new Float32Array(w.data.length);
    for (let i = 0; i < data.length; i++) data[i] = w.data[i]! * scale[i % channels]!;
    weights = econst(w.dims, data);
  }
  const bias = op.bias ? econst([channels], op.bias.data.map((v, m) => v * scale[m]!)) : undefined;
  if (op.kind === 'conv') b.replaceOp(k, { ...op, weights, ...(bias ? { bias } : {}) });
  else b.replaceOp(k, { ...op, b: weights, ...(bias ? { bias } : {}) });
  return true;
}
