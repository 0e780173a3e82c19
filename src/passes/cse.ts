/**
 * Common-subexpression elimination: two nodes with the same domain, op type, inputs, attributes
 * (compared structurally; tensors by dtype, dims and bytes) and output arity compute the same
 * values, so the later one is dropped and its readers read the earlier one's outputs. Identical
 * constant initializers are merged first, so that nodes reading equal copies of a constant match.
 *
 * Never merged: nondeterministic ops (RandomNormal, RandomUniform, their `Like` forms, Bernoulli,
 * Multinomial), nodes with subgraph attributes, a duplicate whose output is a graph output or is
 * captured by a subgraph (its name must survive), and initializers that are graph outputs or are
 * captured. Source: onnxruntime `CommonSubexpressionElimination` (common_subexpression_elimination.cc).
 * @module
 */
import type { Attribute, Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import type { GraphPass } from './pass-manager.js';
import { capturedNames } from './rules.js';

const NONDETERMINISTIC = new Set([
  'RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Multinomial', 'Bernoulli',
]);

/** Raw bytes of a numeric tensor's storage. */
function bytesOf(t: TensorData): Uint8Array | undefined {
  return Array.isArray(t.data) ? undefined : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** True when two tensors have the same dtype, dims and element bytes (strings compared as strings). */
export function sameTensor(a: TensorData, b: TensorData): boolean {
  if (a === b) return true;
  if (a.type !== b.type || a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) return false;
  const x = bytesOf(a); const y = bytesOf(b);
  if (!x || !y) {
    const s = a.data as string[]; const u = b.data as string[];
    return s.length === u.length && s.every((v, i) => v === u[i]);
  }
  return x.length === y.length && Buffer.compare(x, y) === 0;
}

/** A short fingerprint of a tensor (dtype, dims, a sample of bytes); equal tensors share it. */
function tensorKey(t: TensorData): string {
  const b = bytesOf(t);
  let h = 0x811c9dc5;
  if (b) {
    const step = Math.max(1, Math.floor(b.length / 64));
    for (let i = 0; i < b.length; i += step) h = Math.imul(h ^ b[i]!, 0x01000193) >>> 0;
  } else {
    for (const s of t.data as string[]) for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
  return `${t.type}[${t.dims.join(',')}]#${b?.length ?? -1}:${h.toString(16)}`;
}

/** Distinguishes -0 from 0; NaN prints as NaN. */
const num = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

/**
 * A structural key of an attribute value. Tensors contribute only their fingerprint; nodes whose
 * keys match are confirmed with {@link sameTensor} on their tensor attributes.
 */
function attrKey(a: Attribute): string | undefined {
  switch (a.type) {
    case 'int': case 'float': return `${a.type}:${num(a.value)}`;
    case 'ints': case 'floats': return `${a.type}:${a.value.map(num).join(',')}`;
    case 'string': return `s:${JSON.stringify(a.value)}`;
    case 'strings': return `ss:${JSON.stringify(a.value)}`;
    case 'tensor': return `t:${tensorKey(a.value)}`;
    case 'tensors': return `ts:${a.value.map(tensorKey).join('|')}`;
    default: return undefined; // subgraphs, unsupported kinds: never merged
  }
}

/** The key of a node: equal keys mean equal computations up to tensor-attribute bytes. */
function nodeKey(n: Node): string | undefined {
  if (NONDETERMINISTIC.has(n.opType)) return undefined;
  const attrs: string[] = [];
  for (const name of [...n.attributes.keys()].sort()) {
    const k = attrKey(n.attributes.get(name)!);
    if (k === undefined) return undefined;
    attrs.push(`${name}=${k}`);
  }
  const outs = n.outputs.map((o) => (o ? '1' : '0')).join('');
  return JSON.stringify([n.domain, n.opType, n.inputs, outs, attrs]);
}

/** True when the tensor attributes of two same-keyed nodes are byte-equal too. */
function sameTensorAttrs(a: Node, b: Node): boolean {
  for (const [name, x] of a.attributes) {
    const y = b.attributes.get(name)!;
    if (x.type === 'tensor' && y.type === 'tensor' && !sameTensor(x.value, y.value)) return false;
    if (x.type === 'tensors' && y.type === 'tensors' && x.value.some((t, i) => !sameTensor(t, y.value[i]!))) return false;
  }
  return true;
}

/** Merges equal initializers into `rename` (duplicate name → kept name). */
function mergeInitializers(g: Graph, keep: ReadonlySet<string>, rename: Map<string, string>): void {
  const groups = new Map<string, string[]>();
  for (const [name, t] of g.initializers) {
    const k = tensorKey(t);
    const reps = groups.get(k);
    if (!reps) { groups.set(k, [name]); continue; }
    const same = keep.has(name) ? undefined : reps.find((r) => sameTensor(g.initializers.get(r)!, t));
    if (same) rename.set(name, same); else reps.push(name);
  }
  for (const name of rename.keys()) g.initializers.delete(name);
}

/**
 * The CSE pass. Nodes are visited in order, so a node's inputs are already renamed to surviving
 * values when its key is formed and chains of duplicates collapse in one run.
 */
export const commonSubexpressionElimination: GraphPass = {
  name: 'cse',
  run(g: Graph): boolean {
    const captured = capturedNames(g);
    const outputs = new Set(g.outputs.map((o) => o.name));
    const pinned = (name: string) => outputs.has(name) || captured.has(name);
    const rename = new Map<string, string>();
    mergeInitializers(g, new Set([...outputs, ...captured]), rename);
    const seen = new Map<string, Node[]>();
    const kept: Node[] = [];
    for (const n of g.nodes) {
      // Renamed in place: nodes are keyed by identity elsewhere (schemas, placements).
      if (rename.size && n.inputs.some((i) => rename.has(i))) n.inputs = n.inputs.map((i) => rename.get(i) ?? i);
      const key = nodeKey(n);
      const prior = key === undefined ? undefined : seen.get(key);
      const twin = prior?.find((p) => sameTensorAttrs(p, n));
      if (twin && !n.outputs.some((o) => o && pinned(o))) {
        n.outputs.forEach((o, i) => { if (o) rename.set(o, twin.outputs[i]!); });
        continue;
      }
      kept.push(n);
      if (key !== undefined) (prior ?? seen.set(key, []).get(key)!).push(n);
    }
    const changed = rename.size > 0;
    g.nodes = kept;
    return changed;
  },
};
