/**
 * GELU fusion: the erf form `0.5·x·(1 + Erf(x/√2))` and the tanh form
 * `0.5·x·(1 + Tanh(√(2/π)·(x + 0.044715·x³)))`, written with any grouping of the three factors
 * (`x·0.5` first or last), either operand order, `Div(x, √2)` or `Mul(x, 1/√2)`, and `Pow(x, 3)` or
 * `x·x·x`, become one standard `Gelu` (ai.onnx opset 20+) or `optiflow::Gelu` (earlier opsets).
 * Constants are recognized within a relative tolerance of 1e-4. Float32 only.
 * Source: Hendrycks & Gimpel, "Gaussian Error Linear Units" (2016); ONNX Gelu-20.
 * @module
 */
import type { Node } from '../ir/graph.js';
import { OPTIFLOW_DOMAIN } from '../ops/optiflow.js';
import { consumable, emit, infoOf, isF32, near, otherInput, scalarConst } from './fuse-patterns-util.js';
import type { RewriteCtx, RewriteRule } from './pass-manager.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Leaves of the product tree under `n`: Mul nodes whose output only this tree reads are opened (at most 2 levels). */
function factors(ctx: RewriteCtx, n: Node, depth: number, leaves: string[]): void {
  for (const i of n.inputs) {
    const p = depth < 2 ? consumable(ctx, i, 'Mul') : undefined;
    if (p) factors(ctx, p, depth + 1, leaves); else leaves.push(i);
    if (leaves.length > 3) return;
  }
}

/** The operand of binary `n` that is a scalar constant near `want` and the other operand, if any. */
function withConst(ctx: RewriteCtx, n: Node, want: number, rank: number): string | undefined {
  for (const [c, other] of [[n.inputs[1], n.inputs[0]], [n.inputs[0], n.inputs[1]]] as const) {
    if (near(scalarConst(ctx.graph, c, rank), want)) return other;
  }
  return undefined;
}

/** True when `e` is `Erf(x/√2)` or `Erf(x·(1/√2))` with internal intermediates. */
function isErfOf(ctx: RewriteCtx, e: string, x: string, rank: number): boolean {
  const erf = consumable(ctx, e, 'Erf');
  if (!erf) return false;
  const div = consumable(ctx, erf.inputs[0], 'Div');
  if (div) return div.inputs[0] === x && near(scalarConst(ctx.graph, div.inputs[1], rank), Math.SQRT2);
  const mul = consumable(ctx, erf.inputs[0], 'Mul');
  return !!mul && withConst(ctx, mul, Math.SQRT1_2, rank) === x;
}

/** True when `v` is `x³` as `Pow(x, 3)`, `(x·x)·x` or `x·(x·x)` with internal intermediates. */
function isCubeOf(ctx: RewriteCtx, v: string, x: string, rank: number): boolean {
  const pow = consumable(ctx, v, 'Pow');
  if (pow) return pow.inputs[0] === x && near(scalarConst(ctx.graph, pow.inputs[1], rank), 3);
  const mul = consumable(ctx, v, 'Mul');
  if (!mul) return false;
  const sq = otherInput(mul, x);
  const inner = sq === undefined ? undefined : consumable(ctx, sq, 'Mul');
  return !!inner && inner.inputs[0] === x && inner.inputs[1] === x;
}

/** True when `e` is `Tanh(√(2/π)·(x + 0.044715·x³))` (any operand orders) with internal intermediates. */
function isTanhOf(ctx: RewriteCtx, e: string, x: string, rank: number): boolean {
  const tanh = consumable(ctx, e, 'Tanh');
  const scaled = tanh && consumable(ctx, tanh.inputs[0], 'Mul');
  const sum = scaled && consumable(ctx, withConst(ctx, scaled, SQRT_2_OVER_PI, rank), 'Add');
  const term = sum && otherInput(sum, x);
  const mul = term === undefined ? undefined : consumable(ctx, term, 'Mul');
  const cube = mul && withConst(ctx, mul, 0.044715, rank);
  return cube !== undefined && cube !== '' && isCubeOf(ctx, cube, x, rank);
}

/** Matches a GELU ending at `anchor` (a Mul); returns x and the `approximate` mode. */
function match(ctx: RewriteCtx, anchor: Node): { x: string; approximate: 'none' | 'tanh' } | undefined {
  const leaves: string[] = [];
  factors(ctx, anchor, 0, leaves);
  if (leaves.length !== 3) return undefined;
  for (let h = 0; h < 3; h++) {
    const [a, b] = leaves.filter((_, i) => i !== h) as [string, string];
    for (const [x, bracket] of [[a, b], [b, a]] as const) {
      const rank = infoOf(ctx.graph, x).shape?.length ?? 0;
      if (!near(scalarConst(ctx.graph, leaves[h], rank), 0.5) || !isF32(ctx.graph, x)) continue;
      const add = consumable(ctx, bracket, 'Add');
      const e = add && withConst(ctx, add, 1, rank);
      if (e === undefined || e === '') continue;
      if (isErfOf(ctx, e, x, rank)) return { x, approximate: 'none' };
      if (isTanhOf(ctx, e, x, rank)) return { x, approximate: 'tanh' };
    }
  }
  return undefined;
}

/** The GELU fusion rule, anchored at the final Mul of the pattern. */
export const GELU_RULE: RewriteRule = {
  opType: 'Mul', name: 'fuse-gelu',
  apply: (anchor, ctx) => {
    const m = match(ctx, anchor);
    if (!m) return undefined;
    const standard = (ctx.graph.opsetFor('') ?? 0) >= 20;
    const fused: Node = {
      name: `${anchor.name}_gelu`, opType: 'Gelu', domain: standard ? '' : OPTIFLOW_DOMAIN,
      inputs: [m.x], outputs: [anchor.outputs[0]!],
      attributes: new Map([['approximate', { type: 'string', value: m.approximate }]]),
    };
    return emit(ctx, anchor, fused);
  },
};
