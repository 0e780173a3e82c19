/**
 * Region analysis of the layout pass: which nodes can run channels-last (NHWC), how they group
 * into connected regions, and what each region's edges cost in transposes.
 *
 * A node can join a region when it is
 * - an anchor: a 2-D `Conv` or `optiflow::FusedConv` on 4-D float32 tensors whose backend prefers
 *   NHWC (the {@link PassContext.preferredLayout} oracle) and may run the `optiflow::NhwcConv`
 *   replacing it (the {@link PassContext.canReplace} oracle); its X and residual Z carry the layout;
 * - a layout-agnostic elementwise op (see {@link UNARY_OPS}, {@link BROADCAST_OPS},
 *   `optiflow::FusedElementwise`) whose output is a 4-D float32 tensor. Every data input must be a
 *   4-D tensor (transposed with the region), a constant that broadcasts to the output (permuted
 *   into a new initializer: `[C,1,1]` → `[1,1,C]`, `[1,C,1,1]` → `[1,1,1,C]`), or a value of one
 *   element (left as is). Ops with legacy broadcasting (ai.onnx opset < 8) are left out.
 * Regions are the connected components of such nodes linked through layout-carrying inputs.
 * Reading a region tensor anywhere else (another node, a non-layout input, a subgraph, a graph
 * output) needs it back in NCHW: one Transpose per such tensor. A region is accepted when its
 * transposes (distinct inputs + outputs) are no more than its Convs.
 * @module
 */
import type { Graph, Node } from '../ir/graph.js';
import { outerScopeNames } from '../ir/graph.js';
import { OPTIFLOW_DOMAIN } from '../ops/optiflow.js';
import { permuteShape, TO_NHWC } from '../ops/optiflow-layout.js';
import type { PassContext } from './pass-manager.js';

/** Unary ai.onnx ops that commute with any transpose (elementwise, no axis attributes). */
export const UNARY_OPS: ReadonlySet<string> = new Set([
  'Relu', 'Clip', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'Softplus',
  'Softsign', 'ThresholdedRelu', 'Gelu', 'Mish', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Erf', 'Floor',
  'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Identity',
]);

/** ai.onnx ops with numpy broadcasting over all inputs (opset 8+). */
export const BROADCAST_OPS: ReadonlySet<string> = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'PRelu']);

/** How one data input of a region node is handled. */
export type InputRole =
  /** A 4-D tensor in the region's layout: a region tensor, or transposed in at the edge. */
  | 'tensor'
  /** A constant permuted into a new NHWC initializer. */
  | 'constant'
  /** Unchanged: weights, bias, a one-element value, Clip bounds. */
  | 'keep';

/** A node that may run in NHWC and the role of each of its inputs. */
export interface LayoutCandidate {
  readonly node: Node;
  /** True for a Conv/FusedConv (becomes NhwcConv). */
  readonly anchor: boolean;
  /** One role per input position (`'keep'` for omitted inputs). */
  readonly roles: readonly InputRole[];
}

/** One connected region and its edges. */
export interface LayoutRegion {
  /** Its nodes, in graph order. */
  readonly nodes: readonly LayoutCandidate[];
  /** Number of Conv/FusedConv nodes. */
  readonly convs: number;
  /** Distinct non-constant tensors transposed into NHWC at the region's inputs. */
  readonly inputs: readonly string[];
  /** Region tensors read in NCHW outside the region (or graph outputs): one Transpose back each. */
  readonly outputs: readonly string[];
  /** Distinct constants permuted to NHWC. */
  readonly constants: readonly string[];
  /** True when the transposes (`inputs + outputs`) are no more than `convs`. */
  readonly accepted: boolean;
}

/** What the analysis needs to know about the graph. */
interface Facts {
  readonly g: Graph;
  readonly opset: number;
  readonly graphInputs: ReadonlySet<string>;
}

/** Static rank-and-type facts of a value: `undefined` when unknown. */
function infoOf(f: Facts, name: string): { dtype?: string; shape?: readonly (number | string)[] } | undefined {
  const c = constantOf(f, name);
  if (c) return { dtype: c.type, shape: c.dims };
  return f.g.valueInfo.get(name) ?? f.g.inputs.find((v) => v.name === name);
}

/** The initializer `name` when it is a true constant (not overridable by a graph input). */
function constantOf(f: Facts, name: string) {
  return f.graphInputs.has(name) ? undefined : f.g.initializers.get(name);
}

const isFloat4d = (i: ReturnType<typeof infoOf>): boolean => i?.dtype === 'float32' && i.shape?.length === 4;

/** Role of a data input of an elementwise node whose output is 4-D; `undefined` = cannot. */
function elementwiseRole(f: Facts, name: string): InputRole | undefined {
  const c = constantOf(f, name);
  if (c) {
    if (c.dims.reduce((a, b) => a * b, 1) === 1 && c.dims.length <= 4) return 'keep';
    return c.type === 'float32' && c.dims.length <= 4 ? 'constant' : undefined;
  }
  const i = infoOf(f, name);
  if (!i?.shape || i.dtype !== 'float32') return undefined;
  if (i.shape.length === 4) return 'tensor';
  return i.shape.length < 4 && i.shape.every((d) => d === 1) ? 'keep' : undefined;
}

/** A 2-D Conv/FusedConv on 4-D float32 tensors (before asking the oracles). */
function convShaped(f: Facts, n: Node): boolean {
  const isConv = (n.domain === '' && n.opType === 'Conv') || (n.domain === OPTIFLOW_DOMAIN && n.opType === 'FusedConv');
  if (!isConv || n.outputs.length !== 1) return false;
  const [x, w, , z] = n.inputs;
  const wi = infoOf(f, w!);
  if (wi?.shape && wi.shape.length !== 4) return false;
  if (z && !isFloat4d(infoOf(f, z))) return false;
  return isFloat4d(infoOf(f, x!)) && isFloat4d(infoOf(f, n.outputs[0]!));
}

/**
 * Classifies `n`: a candidate with its input roles, or `undefined`. `probe(n)` asks both oracles
 * for an anchor (preferred layout NHWC and the NhwcConv replacement accepted).
 */
function classify(f: Facts, n: Node, probe: (n: Node) => boolean): LayoutCandidate | undefined {
  if (n.outputs.length !== 1 || [...n.attributes.values()].some((a) => a.type === 'graph' || a.type === 'graphs')) return undefined;
  if (convShaped(f, n)) {
    if (!probe(n)) return undefined;
    const z = n.inputs[3];
    const zRole: InputRole = z ? (constantOf(f, z) ? 'constant' : 'tensor') : 'keep';
    const xRole: InputRole = constantOf(f, n.inputs[0]!) ? 'constant' : 'tensor';
    return { node: n, anchor: true, roles: n.inputs.map((_, i) => (i === 0 ? xRole : i === 3 ? zRole : 'keep')) };
  }
  if (!isFloat4d(infoOf(f, n.outputs[0]!))) return undefined;
  let layoutInputs: number;
  if (n.domain === '' && UNARY_OPS.has(n.opType)) layoutInputs = 1;
  else if (n.domain === OPTIFLOW_DOMAIN && n.opType === 'Gelu') layoutInputs = 1;
  else if (n.domain === '' && BROADCAST_OPS.has(n.opType) && f.opset >= 8) layoutInputs = n.inputs.length;
  else if (n.domain === OPTIFLOW_DOMAIN && n.opType === 'FusedElementwise') layoutInputs = n.inputs.length;
  else return undefined;
  const roles: InputRole[] = [];
  for (let i = 0; i < n.inputs.length; i++) {
    const x = n.inputs[i]!;
    if (i >= layoutInputs || !x) { roles.push('keep'); continue; }
    const r = elementwiseRole(f, x);
    if (!r) return undefined;
    roles.push(r);
  }
  return roles.includes('tensor') || roles.includes('constant') ? { node: n, anchor: false, roles } : undefined;
}

/** Union-find over candidate indices. */
function components(count: number, links: readonly [number, number][]): number[] {
  const parent = Array.from({ length: count }, (_, i) => i);
  const find = (i: number): number => { while (parent[i] !== i) { parent[i] = parent[parent[i]!]!; i = parent[i]!; } return i; };
  for (const [a, b] of links) { const ra = find(a); const rb = find(b); if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb); }
  return parent.map((_, i) => find(i));
}

/** Prefix of the temporary value names {@link anchorProbe} describes (removed before it returns). */
const PROBE = '\u0000layout-probe';

/**
 * The probe the analysis uses for an anchor: `preferredLayout(n)` is NHWC and `canReplace` accepts
 * an `optiflow::NhwcConv` with `n`'s inputs and attributes (its X, Z and Y temporarily described in
 * `g.valueInfo` under probe names, so the oracle sees NHWC shapes).
 */
export function anchorProbe(g: Graph, pc: PassContext): (n: Node) => boolean {
  return (n) => {
    if (pc.preferredLayout?.(n) !== 'NHWC') return false;
    const set: string[] = [];
    // A probe name per NHWC value, described with the permuted shape.
    const probeName = (name: string): string => {
      const info = g.valueInfo.get(name) ?? g.inputs.find((v) => v.name === name);
      if (!info?.shape) return name;
      const p = `${PROBE}/${set.length}`;
      g.valueInfo.set(p, { name: p, dtype: info.dtype, shape: permuteShape(info.shape, TO_NHWC) });
      set.push(p);
      return p;
    };
    const replacement: Node = {
      name: n.name, opType: 'NhwcConv', domain: OPTIFLOW_DOMAIN,
      inputs: n.inputs.map((x, i) => (x && (i === 0 || i === 3) ? probeName(x) : x)), outputs: [probeName(n.outputs[0]!)],
      attributes: n.attributes,
    };
    try {
      return pc.canReplace(replacement, n);
    } finally {
      for (const k of set) g.valueInfo.delete(k);
    }
  };
}

/**
 * Finds the NHWC regions of `g` (top-level nodes only; nodes with subgraphs never join).
 * @param probe accepts or rejects a Conv/FusedConv as an anchor (see {@link anchorProbe})
 * @returns every region with at least one node, accepted or not, in order of first node
 */
export function findLayoutRegions(g: Graph, probe: (n: Node) => boolean): LayoutRegion[] {
  const f: Facts = { g, opset: g.opsetFor('') ?? 1, graphInputs: new Set(g.inputs.map((v) => v.name)) };
  const cands: LayoutCandidate[] = [];
  const index = new Map<Node, number>();
  for (const n of g.nodes) {
    const c = classify(f, n, probe);
    if (c) { index.set(n, cands.length); cands.push(c); }
  }
  const producer = new Map<string, number>();
  cands.forEach((c, i) => producer.set(c.node.outputs[0]!, i));
  const links: [number, number][] = [];
  cands.forEach((c, i) => c.roles.forEach((r, k) => {
    const p = r === 'tensor' ? producer.get(c.node.inputs[k]!) : undefined;
    if (p !== undefined) links.push([p, i]);
  }));
  const comp = components(cands.length, links);
  // Reads in NCHW: graph outputs, subgraph captures, and every input position not read as a region tensor.
  const readNchw = new Set<string>(g.outputs.map((o) => o.name));
  for (const n of g.nodes) {
    const ci = index.get(n);
    n.inputs.forEach((x, k) => {
      const p = x ? producer.get(x) : undefined;
      if (p === undefined) return;
      if (ci === undefined || cands[ci]!.roles[k] !== 'tensor' || comp[ci] !== comp[p]) readNchw.add(x);
    });
    for (const a of n.attributes.values()) {
      const gs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const sg of gs) for (const x of outerScopeNames(sg)) readNchw.add(x);
    }
  }
  const byRoot = new Map<number, number[]>();
  comp.forEach((r, i) => (byRoot.get(r) ?? byRoot.set(r, []).get(r)!).push(i));
  const regions: LayoutRegion[] = [];
  for (const members of byRoot.values()) {
    const inputs = new Set<string>(); const outputs = new Set<string>(); const constants = new Set<string>();
    let convs = 0;
    for (const i of members) {
      const c = cands[i]!;
      if (c.anchor) convs++;
      c.roles.forEach((r, k) => {
        const x = c.node.inputs[k]!;
        if (r === 'constant') constants.add(x);
        else if (r === 'tensor' && (producer.get(x) === undefined || comp[producer.get(x)!] !== comp[i])) inputs.add(x);
      });
      const y = c.node.outputs[0]!;
      if (readNchw.has(y)) outputs.add(y);
    }
    regions.push({
      nodes: members.map((i) => cands[i]!), convs, inputs: [...inputs], outputs: [...outputs], constants: [...constants],
      accepted: convs > 0 && inputs.size + outputs.size <= convs,
    });
  }
  return regions;
}
