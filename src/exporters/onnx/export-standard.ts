/**
 * Standard ONNX from optimized graphs: every node of optiflow's own `optiflow` domain (the fused
 * ops graph passes create) is rewritten as the standard op of the same name where the ONNX spec
 * defines one with the same semantics at the model's ai.onnx opset, else as its decomposition
 * from {@link OPTIFLOW_DECOMPOSITIONS}; the `optiflow` opset import is then dropped, so any ONNX
 * runtime can load the file. Also the graph copy the exporter and the optimizer work on.
 * @module
 */
import { OptiflowError } from '../../ir/errors.js';
import { Graph, type Attribute, type Node, type ValueInfo } from '../../ir/graph.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../ops/index.js';
import { OPTIFLOW_DECOMPOSITIONS, OPTIFLOW_DOMAIN, type Decomposition } from '../../ops/optiflow.js';
import { OpRegistry } from '../../ops/registry.js';

/**
 * `optiflow` op types whose semantics are exactly those of the ai.onnx op of the same name (from
 * the opset where ONNX defines it): Gelu (opset 20), LayerNormalization (17), RMSNormalization (23).
 * Such a node is written as the standard op when the model's opset has it and the standard schema
 * accepts the node's attributes and input/output counts.
 */
export const SAME_AS_STANDARD: ReadonlySet<string> = new Set(['Gelu', 'LayerNormalization', 'RMSNormalization']);

/** Decompositions nested deeper than this are taken for a cycle. */
const MAX_DEPTH = 8;

let registry: OpRegistry | undefined;

/**
 * A copy of `g` that can be rewritten without touching `g`: nodes, attributes, value infos,
 * opsets and metadata are copied, subgraphs recursively (a subgraph sharing its parent's opset map
 * shares the copy's). Tensor data is copied when `copyTensors` is true, else shared (read-only use).
 */
export function cloneGraph(g: Graph, copyTensors = true, parentOpsets?: { from: Map<string, number>; to: Map<string, number> }): Graph {
  const c = new Graph();
  c.opsets = parentOpsets && g.opsets === parentOpsets.from ? parentOpsets.to : new Map(g.opsets);
  const opsets = { from: g.opsets, to: c.opsets };
  const tensor = (t: TensorData): TensorData => (copyTensors ? { type: t.type, dims: [...t.dims], data: t.data.slice() as TensorData['data'] } : t);
  const attribute = (a: Attribute): Attribute => {
    switch (a.type) {
      case 'ints': case 'floats': return { type: a.type, value: [...a.value] };
      case 'strings': return { type: a.type, value: [...a.value] };
      case 'tensor': return { type: a.type, value: tensor(a.value) };
      case 'tensors': return { type: a.type, value: a.value.map(tensor) };
      case 'graph': return { type: a.type, value: cloneGraph(a.value, copyTensors, opsets) };
      case 'graphs': return { type: a.type, value: a.value.map((x) => cloneGraph(x, copyTensors, opsets)) };
      default: return { ...a };
    }
  };
  c.nodes = g.nodes.map((n) => ({
    name: n.name, opType: n.opType, domain: n.domain, inputs: [...n.inputs], outputs: [...n.outputs],
    attributes: new Map([...n.attributes].map(([k, a]) => [k, attribute(a)])),
  }));
  c.inputs = g.inputs.map(valueInfo);
  c.outputs = g.outputs.map(valueInfo);
  c.initializers = new Map([...g.initializers].map(([k, t]) => [k, tensor(t)]));
  c.valueInfo = new Map([...g.valueInfo].map(([k, v]) => [k, valueInfo(v)]));
  c.metadata = { ...g.metadata, props: { ...g.metadata.props } };
  return c;
}

function valueInfo(v: ValueInfo): ValueInfo {
  return v.shape ? { ...v, shape: [...v.shape] } : { ...v };
}

/** True when `g` or one of its subgraphs has an `optiflow`-domain node. */
export function hasOptiflowNodes(g: Graph): boolean {
  return g.nodes.some((n) => n.domain === OPTIFLOW_DOMAIN || [...n.attributes.values()].some((a) =>
    (a.type === 'graph' && hasOptiflowNodes(a.value)) || (a.type === 'graphs' && a.value.some(hasOptiflowNodes))));
}

/**
 * `g` in standard ONNX: a copy (tensor data shared) where every `optiflow` node, subgraphs
 * included, is the standard op of the same name ({@link SAME_AS_STANDARD}) or its decomposition,
 * and the `optiflow` opset import is gone. Returns `g` itself when it imports no `optiflow` opset
 * and has no `optiflow` node.
 * @param decompositions decompositions by op type (default {@link OPTIFLOW_DECOMPOSITIONS})
 * @throws OptiflowError `unsupported_op` naming the node when an op has neither a standard form
 *   nor a decomposition; `invalid_model` when a decomposition does not produce the node's outputs
 *   or nests too deep; `invalid_argument` when the graph imports no ai.onnx opset.
 */
export function toStandardOnnx(g: Graph, decompositions: ReadonlyMap<string, Decomposition> = OPTIFLOW_DECOMPOSITIONS): Graph {
  if (!g.opsets.has(OPTIFLOW_DOMAIN) && !hasOptiflowNodes(g)) return g;
  const c = cloneGraph(g, false);
  const opset = c.opsetFor('');
  if (hasOptiflowNodes(c)) {
    if (opset === undefined) throw new OptiflowError('invalid_argument', 'graph has optiflow nodes but imports no ai.onnx opset to write them in');
    lower(c, opset, decompositions, ['graph']);
  }
  c.opsets.delete(OPTIFLOW_DOMAIN);
  return c;
}

function lower(g: Graph, opset: number, decompositions: ReadonlyMap<string, Decomposition>, path: string[]): void {
  const out: Node[] = [];
  for (const n of g.nodes) {
    for (const a of n.attributes.values()) {
      if (a.type === 'graph') lower(a.value, opset, decompositions, [...path, `node ${n.name}`]);
      else if (a.type === 'graphs') for (const sg of a.value) lower(sg, opset, decompositions, [...path, `node ${n.name}`]);
    }
    out.push(...(n.domain === OPTIFLOW_DOMAIN ? expand(n, g, opset, decompositions, path, 0) : [n]));
  }
  g.nodes = out;
}

function expand(n: Node, g: Graph, opset: number, decompositions: ReadonlyMap<string, Decomposition>, path: string[], depth: number): Node[] {
  const where = [...path, `node ${n.name} (${OPTIFLOW_DOMAIN}::${n.opType})`];
  if (depth > MAX_DEPTH) throw new OptiflowError('invalid_model', `decomposition nests deeper than ${MAX_DEPTH} levels`, where);
  const std = standardForm(n, opset);
  if (std) return [std];
  const d = decompositions.get(n.opType);
  if (!d) {
    throw new OptiflowError('unsupported_op', `optiflow op ${n.opType} has no standard ONNX form at opset ${opset} and no decomposition`, where);
  }
  const nodes = d(n, g, opset);
  const made = new Set(nodes.flatMap((x) => x.outputs));
  const missing = n.outputs.filter((o) => o !== '' && !made.has(o));
  if (missing.length) throw new OptiflowError('invalid_model', `decomposition does not produce output(s) ${missing.join(', ')}`, where);
  return nodes.flatMap((x) => (x.domain === OPTIFLOW_DOMAIN ? expand(x, g, opset, decompositions, path, depth + 1) : [x]));
}

/** `n` as the ai.onnx op of the same name, when that op exists at `opset` and accepts the node as it is. */
function standardForm(n: Node, opset: number): Node | undefined {
  if (!SAME_AS_STANDARD.has(n.opType)) return undefined;
  registry ??= new OpRegistry(ALL_SCHEMAS);
  const r = registry.lookup('', n.opType, opset);
  if (!r.ok) return undefined;
  const s = r.schema;
  if (n.inputs.length < s.inputs[0] || n.inputs.length > s.inputs[1]) return undefined;
  if (n.outputs.length < s.outputs[0] || n.outputs.length > s.outputs[1]) return undefined;
  for (const [k, a] of n.attributes) if (s.attrs[k]?.kind !== a.type) return undefined;
  return { ...n, domain: '' };
}
