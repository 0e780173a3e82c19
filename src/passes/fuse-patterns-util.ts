/**
 * Matching helpers shared by the pattern fusions: producer/consumer maps cached per pass, the
 * single-reader test for values a fusion consumes, scalar constants compared with a relative
 * tolerance, static value infos, and emitting a fused node through the capability oracle.
 * @module
 */
import type { DType } from '../ir/dtype.js';
import type { Dim, Graph, Node } from '../ir/graph.js';
import { sizeOf, type TensorData } from '../ir/tensor-data.js';
import { NameSource } from '../ops/optiflow-patterns-decompose.js';
import { OPTIFLOW_DOMAIN, useOptiflowDomain } from '../ops/optiflow.js';
import type { RewriteCtx } from './pass-manager.js';

/** Relative tolerance for recognizing pattern constants (0.5, √2, 0.044715, ...). */
export const CONST_RTOL = 1e-4;

interface PassMaps { producers: Map<string, Node>; consumers: Map<string, Node[]>; names: NameSource }

/**
 * Maps of the graph a rule pass is walking, cached per pass run: `ruleSetPass` makes one context
 * per run and reads `g.nodes` without changing it until the run ends.
 */
const cache = new WeakMap<RewriteCtx, PassMaps>();

function maps(ctx: RewriteCtx): PassMaps {
  let m = cache.get(ctx);
  if (!m) {
    const g = ctx.graph;
    const producers = new Map<string, Node>(); const consumers = new Map<string, Node[]>();
    for (const n of g.nodes) {
      for (const o of n.outputs) if (o) producers.set(o, n);
      for (const i of n.inputs) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
    }
    m = { producers, consumers, names: new NameSource(g) };
    cache.set(ctx, m);
  }
  return m;
}

/** The node producing `name` (any number of readers), or `undefined` for inputs and constants. */
export function producerOf(ctx: RewriteCtx, name: string | undefined): Node | undefined {
  return name ? maps(ctx).producers.get(name) : undefined;
}

/** The nodes reading `name` when the pass started. */
export function consumersOf(ctx: RewriteCtx, name: string): readonly Node[] {
  return maps(ctx).consumers.get(name) ?? [];
}

/** A value name not used in the graph yet, derived from `base`. */
export function freshName(ctx: RewriteCtx, base: string): string {
  return maps(ctx).names.fresh(base);
}

/** True when `name` is read exactly `readers` times, is no graph output, and so may be consumed by a fusion. */
export function internal(ctx: RewriteCtx, name: string, readers = 1): boolean {
  return (ctx.uses.get(name) ?? 0) === readers && !ctx.outputs.has(name);
}

/**
 * The producer of `name` when it is an ai.onnx `opType` node whose output is internal (read
 * `readers` times), else `undefined`.
 */
export function consumable(ctx: RewriteCtx, name: string | undefined, opType: string, readers = 1): Node | undefined {
  const p = producerOf(ctx, name);
  return p && p.opType === opType && p.domain === '' && internal(ctx, name!, readers) ? p : undefined;
}

/** Static dtype and shape of a value (initializer, graph input, or inferred). */
export function infoOf(g: Graph, name: string): { dtype?: DType; shape?: Dim[] } {
  const t = g.initializers.get(name);
  if (t) return { dtype: t.type, shape: [...t.dims] };
  return g.valueInfo.get(name) ?? g.inputs.find((v) => v.name === name) ?? {};
}

/** True when `name` is statically known to be float32. */
export function isF32(g: Graph, name: string | undefined): boolean {
  return !!name && infoOf(g, name).dtype === 'float32';
}

/** The single value of a numeric initializer with one element and rank at most `maxRank`. */
export function scalarConst(g: Graph, name: string | undefined, maxRank = 1): number | undefined {
  const t: TensorData | undefined = name ? g.initializers.get(name) : undefined;
  if (!t || sizeOf(t.dims) !== 1 || t.dims.length > maxRank || t.type === 'string' || t.type === 'bool') return undefined;
  if (t.type === 'float16' || t.type === 'bfloat16') return undefined;
  const v = Number((t.data as ArrayLike<number | bigint>)[0]);
  return Number.isNaN(v) ? undefined : v;
}

/** True when `v` is within {@link CONST_RTOL} (relative) of `want`. */
export function near(v: number | undefined, want: number): boolean {
  return v !== undefined && Math.abs(v - want) <= CONST_RTOL * Math.abs(want);
}

/** True when two static shapes are known and equal dim by dim (symbols by name). */
export function sameShape(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): a is Dim[] {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The other input of a two-input node, given one of them; `undefined` when `name` is not an input. */
export function otherInput(n: Node, name: string): string | undefined {
  if (n.inputs[0] === name) return n.inputs[1];
  if (n.inputs[1] === name) return n.inputs[0];
  return undefined;
}

/**
 * Emits `fused` to replace `anchor` when the capability oracle agrees. For an `optiflow` node the
 * graph is made to import the optiflow opset first (and the import is taken back when refused).
 * @returns the replacement, or `undefined` when the oracle refused
 */
export function emit(ctx: RewriteCtx, anchor: Node, fused: Node, before: Node[] = []): { replace: Node[] } | undefined {
  const g = ctx.graph;
  const added = fused.domain === OPTIFLOW_DOMAIN && !g.opsets.has(OPTIFLOW_DOMAIN);
  if (fused.domain === OPTIFLOW_DOMAIN) useOptiflowDomain(g);
  if (!ctx.canReplace(fused, anchor)) {
    if (added) g.opsets.delete(OPTIFLOW_DOMAIN);
    return undefined;
  }
  return { replace: [...before, fused] };
}
