/**
 * Scaled-dot-product attention fusion:
 * `MatMul(Softmax(MatMul(Q, Kᵀ) / s [+ mask], axis=-1), V)` (or `· (1/s)`, or unscaled) over 4-D
 * `[B, H, S, D]` operands becomes one attention node: the standard `Attention` (ai.onnx opset 23+;
 * inputs Q, K, V, attn_mask; attribute `scale`) or `optiflow::Attention` with the same semantics
 * before. Kᵀ is either a Transpose of K (its permutation composed with the last-two swap gives the
 * K the fused node reads, through a new Transpose unless that is the identity) or any `[B, H, D, T]`
 * value (transposed back by a new Transpose). The mask must be additive float32 with last dim T and
 * must not broadcast the scores to a larger shape. Float32 only.
 * Source: Vaswani et al., "Attention Is All You Need" (2017); ONNX Attention-23.
 * @module
 */
import type { Dim, Node } from '../ir/graph.js';
import { OPTIFLOW_DOMAIN } from '../ops/optiflow.js';
import { consumable, emit, freshName, infoOf, isF32, producerOf, sameShape, scalarConst } from './fuse-patterns-util.js';
import type { RewriteCtx, RewriteRule } from './pass-manager.js';

/** The Q·Kᵀ product and the scale applied to it. */
interface Scores { q: string; kt: string; scale: number; matmul: Node }

/** Matches `MatMul(Q, Kᵀ)` optionally divided by or multiplied with a scalar constant. */
function matchScores(ctx: RewriteCtx, name: string | undefined): Scores | undefined {
  const g = ctx.graph;
  const at = (mm: Node | undefined, scale: number | undefined): Scores | undefined =>
    mm && scale !== undefined && Number.isFinite(scale) && scale !== 0
      ? { q: mm.inputs[0]!, kt: mm.inputs[1]!, scale, matmul: mm } : undefined;
  const div = consumable(ctx, name, 'Div');
  if (div) {
    const c = scalarConst(g, div.inputs[1], 4);
    return at(consumable(ctx, div.inputs[0], 'MatMul'), c === undefined ? undefined : 1 / c);
  }
  const mul = consumable(ctx, name, 'Mul');
  if (mul) {
    for (const [s, c] of [[mul.inputs[0], mul.inputs[1]], [mul.inputs[1], mul.inputs[0]]] as const) {
      const r = at(consumable(ctx, s, 'MatMul'), scalarConst(g, c, 4));
      if (r) return r;
    }
    return undefined;
  }
  return at(consumable(ctx, name, 'MatMul'), 1);
}

/** Static 4-D float32 shape of `name`, or `undefined`. */
function shape4(ctx: RewriteCtx, name: string | undefined): Dim[] | undefined {
  if (!name || !isF32(ctx.graph, name)) return undefined;
  const s = infoOf(ctx.graph, name).shape;
  return s && s.length === 4 ? s : undefined;
}

/**
 * The K (`[B, H, T, D]`) the fused node reads, and the Transpose that produces it when needed.
 * Composes a producing Transpose's permutation with the swap of the last two axes.
 */
function keyOf(ctx: RewriteCtx, kt: string, anchor: Node): { k: string; before: Node[] } {
  const p = producerOf(ctx, kt);
  let src = kt; let perm = [0, 1, 3, 2];
  if (p && p.opType === 'Transpose' && p.domain === '') {
    const a = p.attributes.get('perm');
    const pp = a?.type === 'ints' ? a.value : [3, 2, 1, 0];
    if (pp.length === 4) { src = p.inputs[0]!; perm = [pp[0]!, pp[1]!, pp[3]!, pp[2]!]; }
  }
  if (perm.every((v, i) => v === i)) return { k: src, before: [] };
  const k = freshName(ctx, `${anchor.name}_key`);
  const t: Node = {
    name: `${anchor.name}_key_transpose`, opType: 'Transpose', domain: '', inputs: [src], outputs: [k],
    attributes: new Map([['perm', { type: 'ints', value: perm }]]),
  };
  return { k, before: [t] };
}

/** True when Q, Kᵀ, V shapes fit attention: equal batch, equal (or K/V single) heads, D and T agreeing. */
function shapesFit(q: Dim[], kt: Dim[], v: Dim[]): boolean {
  const [b, h, , d] = q; const [b2, h2, d2, t] = kt; const [b3, h3, t2] = v;
  return b === b2 && b === b3 && h2 === h3 && (h2 === h || h2 === 1) && d === d2 && t === t2;
}

/** The attention fusion rule, anchored at the final `MatMul(probs, V)`. */
export const ATTENTION_RULE: RewriteRule = {
  opType: 'MatMul', name: 'fuse-attention',
  apply: (anchor, ctx) => {
    const g = ctx.graph;
    const [probs, v] = anchor.inputs as [string, string];
    const sm = consumable(ctx, probs, 'Softmax');
    if (!sm) return undefined;
    const opset = g.opsetFor('') ?? 0;
    const ax = sm.attributes.get('axis');
    const axis = ax?.type === 'int' ? ax.value : opset < 13 ? 1 : -1;
    if (axis !== -1 && axis !== 3) return undefined;
    const add = consumable(ctx, sm.inputs[0], 'Add');
    const options: [string | undefined, string | undefined][] = add
      ? [[add.inputs[0], add.inputs[1]], [add.inputs[1], add.inputs[0]]] : [[sm.inputs[0], undefined]];
    for (const [scoresName, mask] of options) {
      let standard = opset >= 23;
      const s = matchScores(ctx, scoresName);
      const qs = s && shape4(ctx, s.q); const kts = s && shape4(ctx, s.kt); const vs = shape4(ctx, v);
      if (!s || !qs || !kts || !vs || !shapesFit(qs, kts, vs)) continue;
      if (mask !== undefined) {
        const ms = infoOf(g, mask).shape;
        // The standard kernel takes masks of rank 2..4; optiflow::Attention any rank up to 4.
        if (!isF32(g, mask) || !ms || ms.length > 4 || ms.length < (standard ? 2 : 1) || ms[ms.length - 1] !== kts[3]) continue;
        if (!sameShape(infoOf(g, add!.outputs[0]!).shape, infoOf(g, s.matmul.outputs[0]!).shape)) continue;
        // Standard Attention-23 kernels (onnxruntime's) want the mask's query dim spelled out;
        // a mask broadcast over queries stays optiflow::Attention (exported as its decomposition).
        if (standard && ms[ms.length - 2] !== qs[2]) standard = false;
      }
      const { k, before } = keyOf(ctx, s.kt, anchor);
      const fused: Node = {
        name: `${anchor.name}_attention`, opType: 'Attention', domain: standard ? '' : OPTIFLOW_DOMAIN,
        inputs: mask !== undefined ? [s.q, k, v, mask] : [s.q, k, v], outputs: [anchor.outputs[0]!],
        attributes: new Map([['scale', { type: 'float', value: s.scale }]]),
      };
      return emit(ctx, anchor, fused, before);
    }
    return undefined;
  },
};
