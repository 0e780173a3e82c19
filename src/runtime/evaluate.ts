/**
 * Load-time services the passes need from the runtime, built over the session's backends:
 * evaluation of a single node on constant inputs (constant folding), and the capability oracle that
 * tells fusions whether a replacement runs on the backend that would run the original.
 * @module
 */
import type { Backend, SupportQuery } from '../backends/backend.js';
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import type { NodeEvaluator } from '../passes/constant-folding.js';
import type { ReplacementOracle } from '../passes/pass-manager.js';
import type { OpRegistry } from '../ops/registry.js';
import { resolveAttrs, type InputInfo } from '../ops/schema.js';

/** Builds the capability query for `node` in `g` from static facts; `undefined` without a schema. */
export function supportQuery(g: Graph, registry: OpRegistry, node: Node,
  known?: readonly (TensorData | undefined)[]): SupportQuery | undefined {
  const opset = g.opsetFor(node.domain);
  if (opset === undefined) return undefined;
  const r = registry.lookup(node.domain, node.opType, opset);
  if (!r.ok) return undefined;
  const info = (name: string, i: number): InputInfo | undefined => {
    const t = known?.[i] ?? g.initializers.get(name);
    if (t) return { dtype: t.type, shape: [...t.dims], value: t };
    const v = g.valueInfo.get(name) ?? g.inputs.find((x) => x.name === name);
    return v?.dtype ? { dtype: v.dtype, shape: v.shape } : undefined;
  };
  return { node, schema: r.schema, opset, inputs: node.inputs.map((x, i) => (x ? info(x, i) : undefined)) };
}

/** Makes a synchronous evaluator over `backends`; asynchronous kernels are not folded. */
export function nodeEvaluator(g: Graph, backends: readonly Backend[], registry: OpRegistry): NodeEvaluator {
  return (node, inputs) => {
    const q = supportQuery(g, registry, node, inputs);
    if (!q) return undefined;
    const { schema, opset } = q;
    const infos = inputs.map((t) => (t ? { dtype: t.type, shape: [...t.dims], value: t } : undefined));
    // Segment backends compile whole segments, never single nodes: folding uses the others.
    const backend = backends.find((b) => !b.compileSegment && b.supports({ ...q, inputs: infos }).ok);
    if (!backend) return undefined;
    const inferred = schema.infer({ attrs: resolveAttrs(schema, node) as never, opset, node, outputCount: node.outputs.length, inputs: infos });
    const outs = inferred.map((o) => ({ dtype: o.dtype, shape: o.shape?.every((d) => typeof d === 'number') ? (o.shape as number[]) : undefined }));
    const compiled = backend.compile(node, schema, opset, inputs);
    try {
      const res = compiled.run(inputs, outs, () => Promise.reject(new Error('no subgraphs in folding')));
      if (res instanceof Promise) { res.catch(() => undefined); return undefined; }
      const ok = res.every((t, i) => 'type' in t && t.type === outs[i]?.dtype);
      // Folded values must outlive backend memory: copy them out, then hand the backend's back.
      const out = ok ? res.map((t) => (backend.exportValue ? backend.exportValue(t) : t) as TensorData) : undefined;
      for (const t of res) backend.release?.(t);
      return out;
    } finally {
      compiled.dispose?.();
    }
  };
}

/**
 * The replacement oracle over `backends` in priority order: a replacement is accepted when the
 * first backend that supports the original also supports the replacement (or, when none supports
 * the original, when any backend supports the replacement).
 */
export function replacementOracle(g: Graph, backends: readonly Backend[], registry: OpRegistry): ReplacementOracle {
  return (replacement, original) => {
    const qo = supportQuery(g, registry, original);
    const qr = supportQuery(g, registry, replacement);
    if (!qr) return false;
    const owner = qo ? backends.find((b) => b.supports(qo).ok) : backends[0];
    // When no backend runs the original, any backend that runs the replacement is a gain.
    if (!owner) return backends.some((b) => b.supports(qr).ok);
    return owner.supports(qr).ok;
  };
}

/** The layout each Conv's owning backend prefers (NCHW when it says nothing). */
export function layoutOracle(g: Graph, backends: readonly Backend[], registry: OpRegistry): (node: Node) => 'NCHW' | 'NHWC' {
  return (node) => {
    const q = supportQuery(g, registry, node);
    const owner = q ? backends.find((b) => b.supports(q).ok) : undefined;
    return (q && owner?.preferredLayout?.(q)) || 'NCHW';
  };
}
