/**
 * Per-op translators of the `optiflow` pattern ops: Gelu, LayerNormalization (as the standard op),
 * Attention (matmul Q·Kᵀ with the scale and an additive mask as post-ops, softmax over the last
 * axis, matmul with V) and FusedElementwise (each program step as an eltwise or binary primitive;
 * programs with steps oneDNN has no algorithm for are declined).
 *
 * Source: `src/ops/optiflow-patterns.ts` (semantics); ONNX Attention-23; oneDNN 2.6 eltwise,
 * binary, softmax and matmul primitives.
 * @module
 */
import { parseProgram, type EwOperand, type EwStep } from '../../ops/optiflow-patterns-program.js';
import type { EltwiseAlg, PostOp } from './spec.js';
import { constData, decline, FLT_MAX, padDims, sameDims, type BinaryAlg, type Translator, type Val } from './translate-builder.js';
import { scalarEltwise } from './translate-fold.js';
import { geluAlg, STANDARD_TRANSLATORS } from './translate-ops.js';
import { emitUnaryNode } from './translate-fold.js';

/** optiflow::Attention: Y = softmax(Q·Kᵀ·scale + mask)·V over 4-D [B, H, S, D] inputs. */
const attention: Translator = (ctx) => {
  const { b, node } = ctx;
  const q = b.tensorOf(ctx, ctx.inputs[0], 'Q');
  const k = b.tensorOf(ctx, ctx.inputs[1], 'K');
  const v = b.tensorOf(ctx, ctx.inputs[2], 'V');
  const [B, H, S] = b.dims(q) as [number, number, number, number];
  const D = b.dims(q)[3]!; const T = b.dims(k)[2]!;
  const scale = (ctx.attrs['scale'] as number | undefined) ?? 1 / Math.sqrt(D);
  const post: PostOp[] = [{ kind: 'eltwise', alg: 'linear', alpha: scale, beta: 0 }];
  const m = ctx.inputs[3];
  let constMask: Val | undefined;
  if (m?.kind === 'tensor') {
    post.push({ kind: 'binary', alg: 'add', tensor: b.reshape(m.index, padDims(b.dims(m.index), 4)) });
  } else if (m) {
    const t = m.data;
    if (t.type === 'bool') {
      const src = t.data as Uint8Array;
      constMask = { kind: 'const', data: { type: 'float32', dims: padDims(t.dims, 4), data: Float32Array.from(src, (x) => (x ? 0 : -Infinity)) } };
    } else constMask = { kind: 'const', data: { type: 'float32', dims: padDims(t.dims, 4), data: constData(t, ctx.where) } };
  }
  const scoresDims = [B, H, S, T];
  let scores = b.tensor(scoresDims);
  b.emit({ kind: 'matmul', a: q, b: k, bTransposed: true, dst: scores, postOps: post });
  if (constMask) scores = b.binary(ctx, 'add', { kind: 'tensor', index: scores }, constMask, scoresDims);
  const probs = b.tensor(scoresDims);
  b.emit({ kind: 'softmax', src: scores, dst: probs, axis: 3, log: false });
  const y = b.tensor(ctx.outDims[0]!);
  b.emit({ kind: 'matmul', a: probs, b: v, dst: y, postOps: [] });
  b.bind(node.outputs[0], y);
};

/** Eltwise form of each unary program op oneDNN has (others decline). */
const UNARY_ALGS: Readonly<Record<string, readonly [EltwiseAlg, number, number]>> = {
  Relu: ['relu', 0, 0], Sigmoid: ['logistic', 0, 0], Tanh: ['tanh', 0, 0], Exp: ['exp', 0, 0],
  Abs: ['abs', 0, 0], Sqrt: ['sqrt', 0, 0], Neg: ['linear', -1, 0], Reciprocal: ['pow', 1, -1],
};
const BINARY_ALGS: Readonly<Record<string, BinaryAlg>> = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Max: 'max', Min: 'min' };

/**
 * Whether every step of a FusedElementwise program maps to an oneDNN eltwise or binary primitive.
 * @returns undefined when it does, else the reason
 */
export function programUnsupported(steps: readonly EwStep[]): string | undefined {
  for (const s of steps) {
    if (s.op === 'Clip' || UNARY_ALGS[s.op] || BINARY_ALGS[s.op]) continue;
    if (s.op === 'Pow' && s.args[1]!.kind === 'literal' && s.args[0]!.kind !== 'literal') continue;
    return `FusedElementwise step ${s.op} has no oneDNN eltwise/binary form`;
  }
  if (steps.some((s) => s.args.every((a) => a.kind === 'literal'))) return 'FusedElementwise step over literals only';
  return undefined;
}

/** optiflow::FusedElementwise: one primitive per program step. */
const fusedElementwise: Translator = (ctx) => {
  const { b, node } = ctx;
  const steps = parseProgram(ctx.attrs['program'] as string, ctx.inputs.length, node);
  const why = programUnsupported(steps);
  if (why) decline(ctx, why);
  const temps: number[] = [];
  const val = (a: EwOperand): Val => {
    if (a.kind === 'input') { const v = ctx.inputs[a.index]; if (!v) decline(ctx, `input ${a.index} missing`); return v; }
    if (a.kind === 'temp') return { kind: 'tensor', index: temps[a.index]! };
    return { kind: 'const', data: { type: 'float32', dims: [], data: Float32Array.of(a.value) } };
  };
  const dimsOf = (v: Val): readonly number[] => b.valDims(v);
  for (const s of steps) {
    const args = s.args.map(val);
    const x = args[0]!;
    let out: number;
    if (s.op === 'Clip') {
      const t = b.tensorOf(ctx, x, 'Clip input');
      const lo = (s.args[1] as { value: number }).value; const hi = (s.args[2] as { value: number }).value;
      out = b.eltwise(t, 'clip', Math.max(lo, -FLT_MAX), Math.min(hi, FLT_MAX));
    } else if (UNARY_ALGS[s.op]) {
      const [alg, al, be] = UNARY_ALGS[s.op]!;
      out = b.eltwise(b.tensorOf(ctx, x, `${s.op} input`), alg, al, be);
    } else if (s.op === 'Pow') {
      out = b.eltwise(b.tensorOf(ctx, x, 'Pow base'), 'pow', 1, (s.args[1] as { value: number }).value);
    } else {
      const alg = BINARY_ALGS[s.op]!;
      const y = args[1]!;
      const rank = Math.max(dimsOf(x).length, dimsOf(y).length);
      const dx = padDims(dimsOf(x), rank); const dy = padDims(dimsOf(y), rank);
      const od = dx.map((d, i) => (d === 1 ? dy[i]! : d));
      const scalar = (c: Val, t: Val): boolean => c.kind === 'const' && c.data.dims.every((d) => d === 1) && t.kind === 'tensor' && sameDims(b.dims(t.index), od);
      if (scalar(y, x) && !(alg === 'div' && constData((y as Val & { kind: 'const' }).data, ctx.where)[0] === 0)) {
        const e = scalarEltwise(alg, constData((y as Val & { kind: 'const' }).data, ctx.where)[0]!, false);
        out = b.eltwise((x as { index: number }).index, e.alg, e.alpha, e.beta);
      } else if (scalar(x, y)) {
        const e = scalarEltwise(alg, constData((x as Val & { kind: 'const' }).data, ctx.where)[0]!, true);
        out = b.eltwise((y as { index: number }).index, e.alg, e.alpha, e.beta);
      } else out = b.binary(ctx, alg, x, y, od);
    }
    temps.push(out);
  }
  const last = temps[temps.length - 1]!;
  const outDims = ctx.outDims[0]!;
  if (sameDims(b.dims(last), outDims)) { b.bind(node.outputs[0], last); return; }
  const y = b.tensor(outDims);
  b.emit({ kind: 'binary', alg: 'add', a: { dims: outDims, data: new Float32Array(outDims.reduce((p, d) => p * d, 1)) }, b: last, dst: y, postOps: [] });
  b.bind(node.outputs[0], y);
};

/** Translators of the optiflow pattern ops, keyed `optiflow::op`. */
export const FUSED_TRANSLATORS: ReadonlyMap<string, Translator> = new Map<string, Translator>([
  ['optiflow::Gelu', (c) => emitUnaryNode(c, geluAlg(c), 0, 0)],
  ['optiflow::LayerNormalization', STANDARD_TRANSLATORS.get('LayerNormalization')!],
  ['optiflow::Attention', attention],
  ['optiflow::FusedElementwise', fusedElementwise],
]);
