/**
 * No-op elimination rules of the `basic` level: ops that provably return their input unchanged are
 * removed and their readers read the input instead — `Cast`/`CastLike` to the input's own dtype,
 * `Reshape` to the input's shape, `Transpose` pairs whose permutations cancel (pairs that do not
 * cancel are composed into one `Transpose`), `Slice` taking everything, `Pad` with zero pads,
 * `Expand` to the input's shape, and `Unsqueeze`/`Squeeze` pairs over the same axes.
 *
 * A value is never renamed when it is a graph output or when a subgraph captures it (renames do not
 * reach into subgraphs). Static facts come from initializers, graph inputs and `g.valueInfo`.
 * Source: ONNX operator spec (Cast, Reshape, Transpose, Slice, Pad, Expand, Squeeze, Unsqueeze);
 * onnxruntime's `EliminateIdentity`/`EliminateSlice`/`TransposeOptimizer`.
 * @module
 */
import { dtypeFromOnnx, type DType } from '../ir/dtype.js';
import type { Dim, Graph, Node } from '../ir/graph.js';
import type { RewriteCtx, RewriteRule } from './pass-manager.js';
import { capturedNames } from './rules.js';

/** Per-pass-run caches (a `RewriteCtx` lives for one run of a rule-set pass). */
const capturedCache = new WeakMap<RewriteCtx, Set<string>>();
const producerCache = new WeakMap<RewriteCtx, Map<string, Node>>();

/** Names captured by subgraphs of the graph being rewritten, computed once per pass run. */
export function capturedIn(ctx: RewriteCtx): ReadonlySet<string> {
  let s = capturedCache.get(ctx);
  if (!s) { s = capturedNames(ctx.graph); capturedCache.set(ctx, s); }
  return s;
}

/**
 * The node producing each value, as the graph was when the pass run started (rules never replace
 * the producers they look up during the same run, so the map stays valid for them).
 */
export function producerOf(ctx: RewriteCtx, name: string): Node | undefined {
  let m = producerCache.get(ctx);
  if (!m) { m = ctx.graph.producers(); producerCache.set(ctx, m); }
  return m.get(name);
}

/** Static dtype and shape of a value from initializers, `valueInfo` or graph inputs. */
export function staticInfo(g: Graph, name: string): { dtype?: DType; shape?: Dim[] } | undefined {
  const t = g.initializers.get(name);
  if (t) return { dtype: t.type, shape: [...t.dims] };
  return g.valueInfo.get(name) ?? g.inputs.find((v) => v.name === name);
}

/** The elements of a constant integer tensor (int32/int64 initializer) as numbers. */
export function constInts(g: Graph, name: string | undefined): number[] | undefined {
  const t = name ? g.initializers.get(name) : undefined;
  if (!t || (t.type !== 'int64' && t.type !== 'int32')) return undefined;
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** An `ints` attribute, or `undefined`. */
function intsAttr(n: Node, name: string): number[] | undefined {
  const a = n.attributes.get(name);
  return a?.type === 'ints' ? a.value : undefined;
}

/** An `int` attribute with a default. */
function intAttr(n: Node, name: string, dflt: number): number {
  const a = n.attributes.get(name);
  return a?.type === 'int' ? a.value : dflt;
}

/** Operand read from an attribute before `opset` and from input `index` from it on. */
function intsOperand(n: Node, g: Graph, attrName: string, index: number, fromOpset: number): number[] | undefined {
  return (g.opsetFor(n.domain) ?? fromOpset) < fromOpset ? intsAttr(n, attrName) : constInts(g, n.inputs[index]);
}

/** True when no node reads any output of `n` other than the first and none is a graph output. */
function onlyFirstOutputUsed(n: Node, ctx: RewriteCtx): boolean {
  return n.outputs.slice(1).every((o) => !o || (!(ctx.uses.get(o) ?? 0) && !ctx.outputs.has(o)));
}

/** Removes `n`, sending readers of `from` to `to`; `undefined` when the rename is not allowed. */
function forward(n: Node, ctx: RewriteCtx, to = n.inputs[0], from = n.outputs[0]): ReturnType<RewriteRule['apply']> {
  const captured = capturedIn(ctx);
  if (!to || !from || ctx.outputs.has(from) || captured.has(from) || captured.has(to)) return undefined;
  if (!onlyFirstOutputUsed(n, ctx)) return undefined;
  return { replace: [], rename: [[from, to]] };
}

const known = (d: Dim | undefined): d is number => typeof d === 'number';

/** Cast/CastLike whose target dtype is the input's dtype. */
const castRule = (opType: 'Cast' | 'CastLike'): RewriteRule => ({
  opType, name: `eliminate-same-type-${opType}`,
  apply: (n, ctx) => {
    const from = staticInfo(ctx.graph, n.inputs[0] ?? '')?.dtype;
    const to = opType === 'Cast'
      ? dtypeFromOnnx(intAttr(n, 'to', 0))
      : staticInfo(ctx.graph, n.inputs[1] ?? '')?.dtype;
    return from && from === to ? forward(n, ctx) : undefined;
  },
});

/**
 * True when a Reshape with target `spec` keeps `inShape`: each entry is a copied dim (0 without
 * `allowzero`), the same static size, or the single -1 whose size is then forced to the input's.
 */
function reshapeKeeps(inShape: readonly Dim[], spec: readonly number[], allowzero: boolean): boolean {
  if (spec.length !== inShape.length) return false;
  let inferred = 0;
  for (let i = 0; i < spec.length; i++) {
    const s = spec[i]!; const d = inShape[i]!;
    if (s === 0 && !allowzero) continue;
    if (s === -1) { inferred++; continue; }
    if (!known(d) || s !== d) return false;
  }
  // With a -1, the other dims must be non-zero for the inferred size to be determined.
  return inferred === 0 || (inferred === 1 && inShape.every((d, i) => spec[i] === -1 || !known(d) || d > 0));
}

const reshapeRule: RewriteRule = {
  opType: 'Reshape', name: 'eliminate-same-shape-Reshape',
  apply: (n, ctx) => {
    const g = ctx.graph;
    const inShape = staticInfo(g, n.inputs[0] ?? '')?.shape;
    if (!inShape) return undefined;
    const spec = intsOperand(n, g, 'shape', 1, 5);
    if (spec && reshapeKeeps(inShape, spec, intAttr(n, 'allowzero', 0) === 1)) return forward(n, ctx);
    const outShape = staticInfo(g, n.outputs[0] ?? '')?.shape;
    const same = outShape && inShape.every(known) && outShape.every(known)
      && outShape.length === inShape.length && outShape.every((d, i) => d === inShape[i]);
    return same ? forward(n, ctx) : undefined;
  },
};

/** The permutation of a Transpose (default: reversed axes; needs the rank then). */
function permOf(n: Node, rank: number | undefined): number[] | undefined {
  const p = intsAttr(n, 'perm');
  if (p) return p;
  return rank === undefined ? undefined : Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

const transposeRule: RewriteRule = {
  opType: 'Transpose', name: 'merge-Transpose-pair',
  apply: (n, ctx) => {
    const mid = n.inputs[0];
    const first = mid ? producerOf(ctx, mid) : undefined;
    if (!first || first.opType !== 'Transpose' || first.domain !== '' || !first.inputs[0]) return undefined;
    if (!intsAttr(n, 'perm') && !intsAttr(first, 'perm')) return forward(n, ctx, first.inputs[0]);
    const rank = intsAttr(n, 'perm')?.length ?? intsAttr(first, 'perm')?.length;
    const p1 = permOf(first, rank); const p2 = permOf(n, rank);
    if (!p1 || !p2 || p1.length !== p2.length) return undefined;
    // z[j] = y[p2[j]] = x[p1[p2[j]]]
    const composed = p2.map((j) => p1[j]!);
    if (composed.every((v, j) => v === j)) return forward(n, ctx, first.inputs[0]);
    // Not the identity: one Transpose instead of two, when the first has no other reader.
    if ((ctx.uses.get(mid!) ?? 0) !== 1 || ctx.outputs.has(mid!)) return undefined;
    return {
      replace: [{
        ...n, inputs: [first.inputs[0]], outputs: [...n.outputs],
        attributes: new Map([...n.attributes, ['perm', { type: 'ints', value: composed }]]),
      }],
    };
  },
};

/** Large `ends` values (INT_MAX, INT64_MAX) mean "to the end" for any dim. */
const TO_THE_END = 2 ** 31 - 1;

const sliceRule: RewriteRule = {
  opType: 'Slice', name: 'eliminate-full-Slice',
  apply: (n, ctx) => {
    const g = ctx.graph;
    const shape = staticInfo(g, n.inputs[0] ?? '')?.shape;
    if (!shape) return undefined;
    const before10 = (g.opsetFor('') ?? 10) < 10;
    const starts = before10 ? intsAttr(n, 'starts') : constInts(g, n.inputs[1]);
    const ends = before10 ? intsAttr(n, 'ends') : constInts(g, n.inputs[2]);
    const axesName = before10 ? undefined : n.inputs[3];
    const axes = before10 ? intsAttr(n, 'axes') : axesName ? constInts(g, axesName) : undefined;
    const stepsName = before10 ? undefined : n.inputs[4];
    const steps = stepsName ? constInts(g, stepsName) : undefined;
    if (!starts || !ends || starts.length !== ends.length) return undefined;
    if ((axesName && !axes) || (stepsName && !steps)) return undefined;
    const r = shape.length;
    for (let k = 0; k < starts.length; k++) {
      const ax = axes ? axes[k] : k;
      if (ax === undefined || ax < -r || ax >= r || (steps && steps[k] !== 1)) return undefined;
      const d = shape[ax < 0 ? ax + r : ax];
      const s = starts[k]!; const e = ends[k]!;
      if (!known(d)) {
        if (s !== 0 || e < TO_THE_END) return undefined;
        continue;
      }
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      if (clamp(s) !== 0 || clamp(e) !== d) return undefined;
    }
    return forward(n, ctx);
  },
};

const padRule: RewriteRule = {
  opType: 'Pad', name: 'eliminate-zero-Pad',
  apply: (n, ctx) => {
    const pads = intsOperand(n, ctx.graph, 'pads', 1, 11);
    return pads && pads.every((p) => p === 0) ? forward(n, ctx) : undefined;
  },
};

const expandRule: RewriteRule = {
  opType: 'Expand', name: 'eliminate-same-shape-Expand',
  apply: (n, ctx) => {
    const shape = staticInfo(ctx.graph, n.inputs[0] ?? '')?.shape;
    const target = constInts(ctx.graph, n.inputs[1]);
    if (!shape || !target || target.length > shape.length) return undefined;
    const off = shape.length - target.length;
    // Broadcasting keeps every dim when each target entry is 1 or the same static size.
    const keeps = target.every((t, i) => t === 1 || t === shape[off + i]);
    return keeps ? forward(n, ctx) : undefined;
  },
};

/** Squeeze/Unsqueeze axes, normalized against `rank` and sorted; `undefined` when unknown. */
function axesOf(n: Node, g: Graph, rank: number | undefined): number[] | undefined {
  const axes = intsOperand(n, g, 'axes', 1, 13);
  if (!axes || axes.length === 0) return undefined;
  if (axes.some((a) => a < 0) && rank === undefined) return undefined;
  return axes.map((a) => (a < 0 ? a + rank! : a)).sort((a, b) => a - b);
}

/** Output rank of an Unsqueeze: its input's rank plus the number of inserted axes. */
function bigRank(g: Graph, unsqueeze: Node): number | undefined {
  const r = staticInfo(g, unsqueeze.inputs[0] ?? '')?.shape?.length;
  const axes = intsOperand(unsqueeze, g, 'axes', 1, 13);
  return r === undefined || !axes ? undefined : r + axes.length;
}

/** `Unsqueeze` then `Squeeze` (or the reverse) over the same axes: the pair is the identity. */
const squeezePairRule = (opType: 'Squeeze' | 'Unsqueeze', inverse: 'Squeeze' | 'Unsqueeze'): RewriteRule => ({
  opType, name: `cancel-${inverse}-${opType}`,
  apply: (n, ctx) => {
    const g = ctx.graph;
    const mid = n.inputs[0];
    const first = mid ? producerOf(ctx, mid) : undefined;
    if (!first || first.opType !== inverse || first.domain !== '' || !first.inputs[0]) return undefined;
    // Both axis lists refer to the rank of the larger (unsqueezed) tensor.
    const rank = opType === 'Squeeze'
      ? staticInfo(g, mid!)?.shape?.length ?? bigRank(g, first)
      : staticInfo(g, first.inputs[0])?.shape?.length;
    const a1 = axesOf(first, g, rank); const a2 = axesOf(n, g, rank);
    if (!a1 || !a2 || a1.length !== a2.length || a1.some((a, i) => a !== a2[i])) return undefined;
    return forward(n, ctx, first.inputs[0]);
  },
});

/**
 * The no-op elimination rules, in the order the `basic` level applies them (after Identity and
 * Dropout elimination). Each rule removes its node and renames its output to its input, except
 * the Transpose rule, which may instead compose two Transposes into one.
 */
export const NOOP_RULES: readonly RewriteRule[] = [
  castRule('Cast'), castRule('CastLike'), reshapeRule, transposeRule, sliceRule, padRule, expandRule,
  squeezePairRule('Squeeze', 'Unsqueeze'), squeezePairRule('Unsqueeze', 'Squeeze'),
];
