/**
 * The layout pass (`layout-nhwc`, last pass of the `all` level): runs whole Conv regions channels-
 * last where the backend that would run their Convs prefers NHWC, with transposes only at the
 * regions' edges.
 *
 * Regions come from {@link findLayoutRegions} (Conv/FusedConv anchors plus layout-agnostic
 * elementwise ops, connected). In each accepted region:
 * - every Conv/FusedConv becomes an `optiflow::NhwcConv` (same attributes; W and B unchanged);
 * - every region node writes its output under a fresh name (`<value>/nhwc`) in NHWC;
 * - each distinct non-constant input gets one `Transpose(perm [0,2,3,1])` before its first reader
 *   (shared by every region reading it);
 * - each constant operand is replaced by a permuted copy (a new initializer `<name>/nhwc`);
 * - each region value read outside the region (or a graph output) gets one
 *   `Transpose(perm [0,3,1,2])` writing the original name, so outside readers and graph output
 *   names are untouched.
 * The pass does nothing unless {@link PassContext.preferredLayout} says NHWC for some Conv: by
 * default every backend runs NCHW. Node order stays topological; other nodes are not mutated.
 * Source: onnxruntime's NHWC transformer (layout transformation with transpose optimization);
 * XNNPACK's subgraph NHWC rewrite (`src/subgraph.c`, `xnn_subgraph_rewrite_for_nchw`, the same
 * region-with-edge-cost idea in the other direction).
 * @module
 */
import type { Dim, Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { OPTIFLOW_DOMAIN, useOptiflowDomain } from '../ops/optiflow.js';
import { permuteShape, TO_NCHW, TO_NHWC } from '../ops/optiflow-layout.js';
import { anchorProbe, findLayoutRegions, type LayoutRegion } from './layout-regions.js';
import type { GraphPass, PassContext } from './pass-manager.js';

export { findLayoutRegions, anchorProbe, type LayoutRegion } from './layout-regions.js';

/**
 * A float32 constant of rank ≤ 4 as NHWC: dims left-padded with 1s to rank 4, data transposed by
 * perm [0,2,3,1], then leading 1s dropped back down to the original rank (so `[C,1,1]` becomes
 * `[1,1,C]` and `[1,C,1,1]` becomes `[1,1,1,C]`). Broadcasting the result against an NHWC tensor
 * gives the NHWC form of broadcasting the original against the NCHW tensor.
 */
export function permuteConstantToNhwc(t: TensorData): TensorData {
  const rank = t.dims.length;
  const d4 = [...Array<number>(4 - rank).fill(1), ...t.dims];
  const [n, c, h, w] = d4 as [number, number, number, number];
  const src = t.data as Float32Array;
  const dst = new Float32Array(src.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const from = (b * c + ch) * hw;
      for (let p = 0; p < hw; p++) dst[(b * hw + p) * c + ch] = src[from + p]!;
    }
  }
  const dims = permuteShape(d4, TO_NHWC);
  while (dims.length > rank && dims[0] === 1) dims.shift();
  return { type: 'float32', dims, data: dst };
}

/** Fresh value and node names for one run of the pass. */
class Names {
  private readonly values = new Set<string>();
  private readonly nodes = new Set<string>();

  constructor(g: Graph) {
    for (const k of [...g.initializers.keys(), ...g.valueInfo.keys()]) this.values.add(k);
    for (const v of [...g.inputs, ...g.outputs]) this.values.add(v.name);
    for (const n of g.nodes) {
      this.nodes.add(n.name);
      for (const x of [...n.inputs, ...n.outputs]) this.values.add(x);
    }
  }

  private static fresh(used: Set<string>, base: string): string {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  }

  value(base: string): string { return Names.fresh(this.values, base); }
  node(base: string): string { return Names.fresh(this.nodes, base); }
}

/** A Transpose node. */
function transpose(name: string, input: string, output: string, perm: readonly number[]): Node {
  return {
    name, opType: 'Transpose', domain: '', inputs: [input], outputs: [output],
    attributes: new Map([['perm', { type: 'ints', value: [...perm] }]]),
  };
}

/** Records the NHWC value info of `nhwc` from the NCHW info of `nchw` (when known). */
function describe(g: Graph, nchw: string, nhwc: string, shape?: readonly Dim[]): void {
  const i = g.valueInfo.get(nchw) ?? g.inputs.find((v) => v.name === nchw);
  const s = shape ?? i?.shape;
  g.valueInfo.set(nhwc, { name: nhwc, dtype: i?.dtype ?? 'float32', ...(s ? { shape: permuteShape(s, TO_NHWC) } : {}) });
}

/** Rewrites the accepted `regions` of `g` in place (see the module comment). */
function rewrite(g: Graph, regions: readonly LayoutRegion[]): void {
  const names = new Names(g);
  const regionOf = new Map<Node, LayoutRegion>();
  for (const r of regions) for (const c of r.nodes) regionOf.set(c.node, r);
  const nhwc = new Map<string, string>(); // region value → its NHWC name
  const inputNhwc = new Map<string, string>(); // edge input → its transposed name
  const constNhwc = new Map<string, string>(); // constant → its permuted copy
  for (const r of regions) {
    for (const c of r.nodes) {
      const y = c.node.outputs[0]!;
      const name = names.value(`${y}/nhwc`);
      nhwc.set(y, name);
      describe(g, y, name);
    }
    for (const k of r.constants) {
      if (constNhwc.has(k)) continue;
      const name = names.value(`${k}/nhwc`);
      g.initializers.set(name, permuteConstantToNhwc(g.initializers.get(k)!));
      constNhwc.set(k, name);
    }
  }
  const out: Node[] = [];
  for (const n of g.nodes) {
    const r = regionOf.get(n);
    if (!r) { out.push(n); continue; }
    const c = r.nodes.find((x) => x.node === n)!;
    const inputs = n.inputs.map((x, k) => {
      const role = c.roles[k];
      if (role === 'constant') return constNhwc.get(x)!;
      if (role !== 'tensor') return x;
      // A value of this region (regions are connected components: never another region's).
      const inside = nhwc.get(x);
      if (inside) return inside;
      let t = inputNhwc.get(x);
      if (!t) {
        t = names.value(`${x}/nhwc`);
        inputNhwc.set(x, t);
        describe(g, x, t);
        out.push(transpose(names.node(`${x}/to_nhwc`), x, t, TO_NHWC));
      }
      return t;
    });
    const y = n.outputs[0]!;
    const yN = nhwc.get(y)!;
    out.push(c.anchor
      ? { name: n.name, opType: 'NhwcConv', domain: OPTIFLOW_DOMAIN, inputs, outputs: [yN], attributes: new Map(n.attributes) }
      : { ...n, inputs, outputs: [yN], attributes: new Map(n.attributes) });
    if (r.outputs.includes(y)) out.push(transpose(names.node(`${y}/to_nchw`), yN, y, TO_NCHW));
    else g.valueInfo.delete(y);
  }
  g.nodes = out;
  useOptiflowDomain(g);
}

/**
 * The layout pass: see the module comment. Returns true when at least one region was rewritten.
 * Regions whose edges need more transposes than they have Convs are left in NCHW.
 */
export const layoutPass: GraphPass = {
  name: 'layout-nhwc',
  run(g: Graph, pc?: PassContext): boolean {
    if (!pc?.preferredLayout) return false;
    const accepted = findLayoutRegions(g, anchorProbe(g, pc)).filter((r) => r.accepted);
    if (!accepted.length) return false;
    rewrite(g, accepted);
    return true;
  },
};
