/**
 * LayerNorm fusion: the decomposed form
 * `d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(d²) + eps) · gamma + beta` over the last axis
 * (`d²` as `Pow(d, 2)` or `Mul(d, d)`; ReduceMean axes as attribute or constant input; gamma and
 * beta optional, any operand order) becomes `LayerNormalization(x, gamma, beta, axis=-1, epsilon)`
 * — the standard op from ai.onnx opset 17, `optiflow::LayerNormalization` before. A missing gamma
 * becomes a ones vector. gamma/beta must broadcast along the last axis only (`[C]`, `[1,..,C]`, or a
 * scalar constant). Rules anchor at the last node present (Add, else Mul, else Div); an earlier
 * anchor steps aside when the next node would extend the match. Float32 only.
 * Source: Ba et al., "Layer Normalization" (2016); ONNX LayerNormalization-17.
 * @module
 */
import type { Dim, Graph, Node } from '../ir/graph.js';
import { sizeOf } from '../ir/tensor-data.js';
import { OPTIFLOW_DOMAIN } from '../ops/optiflow.js';
import {
  consumable, consumersOf, emit, freshName, infoOf, internal, isF32, near, otherInput, scalarConst,
} from './fuse-patterns-util.js';
import type { RewriteCtx, RewriteRule } from './pass-manager.js';

/** What the normalization core matched: its input, epsilon, and the last dim and rank of x. */
interface Core { x: string; eps: number; c: Dim; rank: number }

/** True when ReduceMean `n` keeps dims and reduces exactly the last of `rank` axes. */
function lastAxisMean(g: Graph, n: Node, rank: number): boolean {
  const kd = n.attributes.get('keepdims');
  if (kd && kd.type === 'int' && kd.value !== 1) return false;
  let axes: number[] | undefined;
  const a = n.attributes.get('axes');
  if (n.inputs[1]) {
    const t = g.initializers.get(n.inputs[1]);
    axes = t ? Array.from(t.data as ArrayLike<number | bigint>, Number) : undefined;
  } else if (a?.type === 'ints') axes = a.value;
  return !!axes && axes.length === 1 && (axes[0] === -1 || axes[0] === rank - 1);
}

/** Matches `Div(x - mean, Sqrt(ReduceMean((x - mean)²) + eps))` at Div node `div`. */
function matchCore(ctx: RewriteCtx, div: Node): Core | undefined {
  const g = ctx.graph;
  const [d, s] = div.inputs as [string, string];
  const sqrt = consumable(ctx, s, 'Sqrt');
  const add = sqrt && consumable(ctx, sqrt.inputs[0], 'Add');
  if (!add) return undefined;
  for (const [v, e] of [[add.inputs[0], add.inputs[1]], [add.inputs[1], add.inputs[0]]] as const) {
    const eps = scalarConst(g, e);
    const mean2 = consumable(ctx, v, 'ReduceMean');
    if (eps === undefined || eps < 0 || !mean2) continue;
    const sq = mean2.inputs[0];
    const pow = consumable(ctx, sq, 'Pow');
    const mul = pow ? undefined : consumable(ctx, sq, 'Mul');
    const squares = (pow && pow.inputs[0] === d && near(scalarConst(g, pow.inputs[1]), 2))
      || (mul && mul.inputs[0] === d && mul.inputs[1] === d);
    const sub = squares ? consumable(ctx, d, 'Sub', pow ? 2 : 3) : undefined;
    if (!sub) continue;
    const [x, mean] = sub.inputs as [string, string];
    const mean1 = consumable(ctx, mean, 'ReduceMean');
    const shape = infoOf(g, x).shape;
    if (!mean1 || mean1.inputs[0] !== x || !shape || shape.length === 0 || !isF32(g, x)) continue;
    if (!lastAxisMean(g, mean1, shape.length) || !lastAxisMean(g, mean2, shape.length)) continue;
    return { x, eps, c: shape[shape.length - 1]!, rank: shape.length };
  }
  return undefined;
}

/** True when `p` is float32 and broadcasts along the last axis only (`[C]`, `[1,..,1,C]`, or one element), at most rank `rank`. */
function paramFits(g: Graph, p: string | undefined, core: Core): boolean {
  if (!p) return false;
  const { dtype, shape: s } = infoOf(g, p);
  if (dtype !== 'float32' || !s || s.length > core.rank) return false;
  if (s.length === 0) return true;
  const last = s[s.length - 1];
  return s.slice(0, -1).every((d) => d === 1) && (last === core.c || last === 1);
}

/**
 * `p` as a `[C]` value: `p` itself when it already is, else a new `[C]` initializer (reshaped or
 * repeated from a constant); `undefined` when neither is possible.
 */
function asVector(ctx: RewriteCtx, p: string, core: Core, what: string): string | undefined {
  const g = ctx.graph;
  const s = infoOf(g, p).shape!;
  if (s.length === 1 && s[0] === core.c) return p;
  const t = g.initializers.get(p);
  if (!t || typeof core.c !== 'number') return undefined;
  const src = t.data as Float32Array;
  const n = sizeOf(t.dims);
  const data = n === core.c ? Float32Array.from(src) : new Float32Array(core.c).fill(src[0]!);
  const name = freshName(ctx, `${p}_${what}`);
  g.initializers.set(name, { type: 'float32', dims: [core.c], data });
  return name;
}

/** Emits the fused LayerNormalization for `core` with optional gamma/beta, replacing `anchor`. */
function fuse(ctx: RewriteCtx, anchor: Node, core: Core, gamma?: string, beta?: string): ReturnType<RewriteRule['apply']> {
  const g = ctx.graph;
  let scale = gamma && asVector(ctx, gamma, core, 'gamma');
  const bias = beta && asVector(ctx, beta, core, 'beta');
  if ((gamma && !scale) || (beta && !bias)) return undefined;
  if (!scale) {
    if (typeof core.c !== 'number') return undefined;
    scale = freshName(ctx, `${anchor.name}_ones`);
    g.initializers.set(scale, { type: 'float32', dims: [core.c], data: new Float32Array(core.c).fill(1) });
  }
  const standard = (g.opsetFor('') ?? 0) >= 17;
  const fused: Node = {
    name: `${anchor.name}_layernorm`, opType: 'LayerNormalization', domain: standard ? '' : OPTIFLOW_DOMAIN,
    inputs: bias ? [core.x, scale, bias] : [core.x, scale], outputs: [anchor.outputs[0]!],
    attributes: new Map([['axis', { type: 'int', value: -1 }], ['epsilon', { type: 'float', value: core.eps }]]),
  };
  return emit(ctx, anchor, fused);
}

/** The core under `name` when `name` is an internal Div output that matches. */
function coreAt(ctx: RewriteCtx, name: string | undefined): Core | undefined {
  const div = consumable(ctx, name, 'Div');
  return div && matchCore(ctx, div);
}

/**
 * True when the single reader of `n`'s output is a Mul/Add (as listed in `ops`) whose other
 * operand fits as gamma/beta: a later anchor will take the larger match.
 */
function extendedLater(ctx: RewriteCtx, n: Node, core: Core, ops: readonly string[]): boolean {
  const y = n.outputs[0]!;
  if (!internal(ctx, y)) return false;
  const next = consumersOf(ctx, y)[0];
  return !!next && next.domain === '' && ops.includes(next.opType) && paramFits(ctx.graph, otherInput(next, y), core);
}

/** Anchor Add: `Mul(norm, gamma) + beta` or `norm + beta`. */
const addRule: RewriteRule = {
  opType: 'Add', name: 'fuse-layernorm',
  apply: (anchor, ctx) => {
    for (const [p, beta] of [[anchor.inputs[0], anchor.inputs[1]], [anchor.inputs[1], anchor.inputs[0]]] as const) {
      const mul = consumable(ctx, p, 'Mul');
      for (const [nrm, gamma] of mul ? [[mul.inputs[0], mul.inputs[1]], [mul.inputs[1], mul.inputs[0]]] as const : []) {
        const core = coreAt(ctx, nrm);
        if (core && paramFits(ctx.graph, gamma, core) && paramFits(ctx.graph, beta, core)) return fuse(ctx, anchor, core, gamma, beta);
      }
      const core = coreAt(ctx, p);
      if (core && paramFits(ctx.graph, beta, core)) return fuse(ctx, anchor, core, undefined, beta);
    }
    return undefined;
  },
};

/** Anchor Mul: `norm · gamma` with no beta after it. */
const mulRule: RewriteRule = {
  opType: 'Mul', name: 'fuse-layernorm',
  apply: (anchor, ctx) => {
    for (const [nrm, gamma] of [[anchor.inputs[0], anchor.inputs[1]], [anchor.inputs[1], anchor.inputs[0]]] as const) {
      const core = coreAt(ctx, nrm);
      if (!core || !paramFits(ctx.graph, gamma, core)) continue;
      return extendedLater(ctx, anchor, core, ['Add']) ? undefined : fuse(ctx, anchor, core, gamma);
    }
    return undefined;
  },
};

/** Anchor Div: the bare normalization, with neither gamma nor beta after it. */
const divRule: RewriteRule = {
  opType: 'Div', name: 'fuse-layernorm',
  apply: (anchor, ctx) => {
    const core = matchCore(ctx, anchor);
    if (!core || extendedLater(ctx, anchor, core, ['Mul', 'Add'])) return undefined;
    return fuse(ctx, anchor, core);
  },
};

/** The LayerNorm fusion rules (one per anchor op type). */
export const LAYERNORM_RULES: readonly RewriteRule[] = [addRule, mulRule, divRule];
