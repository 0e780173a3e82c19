/**
 * Test helpers of the `onednn` backend: a {@link SegmentSpec} made from (part of) a graph, and a
 * comparison of that segment's outputs with the `js` reference backend running the whole graph.
 * @module
 */
import type { Backend, SegmentSpec } from '../backend.js';
import type { Graph, Node } from '../../ir/graph.js';
import { isTensorValue, type RuntimeValue, type TensorData } from '../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../ops/index.js';
import { checkOps, inferGraph } from '../../ops/infer-graph.js';
import { OpRegistry } from '../../ops/registry.js';
import { relativeError } from '../../testing/compare.js';
import { runGraph } from '../../testing/run-kernel.js';
import { onednnSupports } from './support.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);

/**
 * The segment of `g`'s nodes selected by `pick` (default: every node the onednn backend
 * supports), with inputs read from outside and outputs read outside or graph outputs.
 */
export function segmentOf(g: Graph, pick?: (n: Node) => boolean): SegmentSpec {
  const schemas = checkOps(g, REGISTRY);
  inferGraph(g, schemas);
  const info = (name: string) => {
    const t = g.initializers.get(name);
    if (t) return { dtype: t.type, shape: [...t.dims], value: t };
    const v = g.valueInfo.get(name) ?? g.inputs.find((x) => x.name === name);
    return v?.dtype ? { dtype: v.dtype, shape: v.shape } : undefined;
  };
  const chosen = pick ?? ((n: Node) => onednnSupports({
    node: n, schema: schemas.get(n)!, opset: g.opsetFor(n.domain) ?? 1, inputs: n.inputs.map((x) => (x ? info(x) : undefined)),
  }).ok);
  const nodes = g.nodes.filter(chosen);
  const inside = new Set(nodes);
  const produced = new Set(nodes.flatMap((n) => n.outputs.filter((o) => o)));
  const inputs: string[] = [];
  for (const n of nodes) for (const i of n.inputs) if (i && !produced.has(i) && !g.initializers.has(i) && !inputs.includes(i)) inputs.push(i);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const outputs = [...produced].filter((o) => graphOutputs.has(o) || g.nodes.some((n) => !inside.has(n) && n.inputs.includes(o)));
  return { graph: g, nodes, schemas, opsets: g.opsets, inputs, outputs };
}

/**
 * Runs `g` on the js backend with the segment's inputs and outputs exposed as graph outputs, then
 * the segment compiled by `backend` on those inputs.
 * @returns the relative error ({@link relativeError}) of each segment output against js
 */
export async function compareSegmentWithJs(g: Graph, seg: SegmentSpec, feeds: Record<string, TensorData>, backend: Backend): Promise<number[]> {
  for (const name of [...seg.inputs, ...seg.outputs]) {
    if (g.outputs.some((o) => o.name === name) || Object.hasOwn(feeds, name)) continue;
    const vi = g.valueInfo.get(name);
    g.outputs.push({ name, dtype: vi?.dtype ?? 'float32', shape: vi?.shape ?? [], kind: 'tensor' } as Graph['outputs'][number]);
  }
  const ref = await runGraph(g, feeds);
  const value = (name: string): RuntimeValue => (Object.hasOwn(feeds, name) ? feeds[name]! : ref.get(name)!);
  const compiled = await backend.compileSegment!(seg);
  try {
    const got = await compiled.run(seg.inputs.map(value));
    return seg.outputs.map((name, k) => {
      const a = got[k]!; const b = value(name);
      if (!isTensorValue(a) || !isTensorValue(b)) throw new Error(`${name}: not a tensor`);
      if (a.dims.join(',') !== b.dims.join(',')) throw new Error(`${name}: dims [${a.dims.join(',')}] vs js [${b.dims.join(',')}]`);
      return relativeError(a.data as Float32Array, b.data as Float32Array);
    });
  } finally {
    await compiled.dispose?.();
  }
}
