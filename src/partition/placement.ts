/**
 * Placement: the one central pass that assigns every node to a backend. Backends are asked in
 * priority order; the first that supports a node gets it, and the placement records why (and why
 * each earlier backend declined).
 * Source: ggml `ggml_backend_sched_split_graph` cause tags; TFLite `GraphPartitionHelper`.
 * @module
 */
import type { Backend } from '../backends/backend.js';
import { OptiflowError } from '../ir/errors.js';
import type { Graph, Node } from '../ir/graph.js';
import type { AttrSpecs, InputInfo, OpSchema } from '../ops/schema.js';

/** Where one node runs and why. */
export interface Placement {
  /** Node name. */
  node: string;
  /** ONNX op type. */
  opType: string;
  /** Name of the chosen backend. */
  backend: string;
  /** Why this backend: its rank, and the reasons earlier backends gave for declining. */
  cause: string;
}

/**
 * Places every node of `g` (top-level; subgraph nodes run on the backend of their parent's
 * executor) on the first backend in `backends` that supports it.
 * @param exclude per node, backends that must not take it and the reason they decline (a segment
 *   below the minimum size, a segment that failed to compile)
 * @throws OptiflowError `unsupported_op` naming the node when no backend supports it, with each
 *   backend's reason.
 */
export function placeNodes(g: Graph, backends: readonly Backend[],
  schemas: ReadonlyMap<Node, OpSchema<AttrSpecs>>, path: readonly string[] = [],
  exclude?: ReadonlyMap<Node, ReadonlyMap<Backend, string>>): Map<Node, { backend: Backend; placement: Placement }> {
  const out = new Map<Node, { backend: Backend; placement: Placement }>();
  const info = (name: string): InputInfo | undefined => {
    const t = g.initializers.get(name);
    if (t) return { dtype: t.type, shape: [...t.dims], value: t };
    const v = g.valueInfo.get(name) ?? g.inputs.find((x) => x.name === name);
    return v?.dtype ? { dtype: v.dtype, shape: v.shape } : undefined;
  };
  for (const node of g.nodes) {
    const schema = schemas.get(node)!;
    const opset = g.opsetFor(node.domain) ?? schema.since;
    const inputs = node.inputs.map((x) => (x ? info(x) : undefined));
    const declined: string[] = [];
    let chosen: Backend | undefined;
    for (const b of backends) {
      const ex = exclude?.get(node)?.get(b);
      if (ex !== undefined) { declined.push(`${b.name}: ${ex}`); continue; }
      const s = b.supports({ node, schema, opset, inputs });
      if (s.ok) { chosen = b; break; }
      declined.push(`${b.name}: ${s.reason}`);
    }
    if (!chosen) {
      throw new OptiflowError('unsupported_op',
        `no backend supports op ${node.opType} (domain '${node.domain || 'ai.onnx'}', opset ${opset}): ${declined.join('; ')}`,
        [...path, `node ${node.name}`]);
    }
    const rank = backends.indexOf(chosen);
    const cause = rank === 0 ? 'first backend in priority order' : `fallback (${declined.join('; ')})`;
    out.set(node, { backend: chosen, placement: { node: node.name, opType: node.opType, backend: chosen.name, cause } });
  }
  return out;
}
