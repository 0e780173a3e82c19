/**
 * Elementwise-chain fusion (last fusion of the `extended` level): a tree of at least two float32
 * elementwise nodes (the unary ops, Add/Sub/Mul/Div/Pow/Max/Min with broadcasting, Clip with
 * constant bounds) whose intermediates each have one reading node, are no graph outputs, and have
 * the final output's shape becomes one `optiflow::FusedElementwise` whose inputs are the tree's
 * external inputs and whose `program` lists the steps (see `optiflow-patterns-program.ts`).
 * Scalar float32 constants become literals of the program. Nodes reading a single-reader output of
 * Conv/ConvTranspose/Gemm/MatMul (or an optiflow Fused* op) are left alone: the activation fusions
 * absorb those better. Runs at ai.onnx opset 8+ (numpy broadcasting everywhere).
 * Source: XNNPACK subgraph fusion of elementwise chains; TVM's injective operator fusion.
 * @module
 */
import type { Dim, Graph, Node } from '../ir/graph.js';
import { OPTIFLOW_DOMAIN, useOptiflowDomain } from '../ops/optiflow.js';
import { arityOf, formatProgram, isEwOp, type EwOperand, type EwStep } from '../ops/optiflow-patterns-program.js';
import { CLIP_LIMIT } from '../ops/elementwise-misc.js';
import { broadcastShapes } from '../ops/shape-utils.js';
import { infoOf, sameShape, scalarConst } from './fuse-patterns-util.js';
import { ACCEPT_ALL, useCounts, type GraphPass } from './pass-manager.js';

/** Most nodes one fused node absorbs. */
const MAX_GROUP = 64;

/** Producers whose consumers the activation fusions absorb. */
const MATMUL_LIKE = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** Facts the pass reads about the graph, computed once per run. */
interface Facts {
  readonly g: Graph;
  readonly opset: number;
  readonly uses: ReadonlyMap<string, number>;
  readonly outputs: ReadonlySet<string>;
  readonly producers: ReadonlyMap<string, Node>;
  readonly consumers: ReadonlyMap<string, Node[]>;
}

/** True when `n` is a Conv/Gemm/MatMul-like node the activation fusions extend. */
function matmulLike(n: Node | undefined): boolean {
  if (!n) return false;
  if (n.domain === '') return MATMUL_LIKE.has(n.opType);
  return n.domain === OPTIFLOW_DOMAIN && n.opType.startsWith('Fused') && n.opType !== 'FusedElementwise';
}

/** The data inputs of an elementwise node (Clip: only X; its bounds are literals). */
function dataInputs(n: Node): string[] {
  return n.opType === 'Clip' ? [n.inputs[0]!] : n.inputs;
}

/** Clip's bounds as numbers, or `undefined` when a bound is not a constant. */
function clipBounds(f: Facts, n: Node): [number, number] | undefined {
  if (f.opset < 11) {
    const lo = n.attributes.get('min'); const hi = n.attributes.get('max');
    return [lo?.type === 'float' ? lo.value : -CLIP_LIMIT, hi?.type === 'float' ? hi.value : CLIP_LIMIT];
  }
  const bound = (name: string | undefined, dflt: number): number | undefined => {
    if (!name) return dflt;
    return f.g.initializers.get(name)?.type === 'float32' ? scalarConst(f.g, name, 1) : undefined;
  };
  const lo = bound(n.inputs[1], -Infinity); const hi = bound(n.inputs[2], Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/** True when `n` may join a fused chain. */
function eligible(f: Facts, n: Node): boolean {
  if (n.domain !== '' || !isEwOp(n.opType) || n.outputs.length !== 1 || !n.outputs[0]) return false;
  const ins = dataInputs(n);
  if (ins.length !== (n.opType === 'Clip' ? 1 : arityOf(n.opType)) || ins.some((i) => !i)) return false;
  if (n.opType === 'Clip' && !clipBounds(f, n)) return false;
  const o = infoOf(f.g, n.outputs[0]);
  if (o.dtype !== 'float32' || !o.shape) return false;
  return ins.every((i) => {
    const info = infoOf(f.g, i);
    if (info.dtype !== 'float32' || !info.shape) return false;
    return !(matmulLike(f.producers.get(i)) && f.uses.get(i) === 1);
  });
}

/** The producer of `v` when the whole chain may absorb it: eligible, read only by `reader`, same shape as the root. */
function absorbable(f: Facts, v: string, reader: Node, rootShape: readonly Dim[], taken: ReadonlySet<Node>): Node | undefined {
  const p = f.producers.get(v);
  if (!p || taken.has(p) || f.outputs.has(v) || !eligible(f, p)) return undefined;
  const readers = f.consumers.get(v) ?? [];
  if (readers.length !== (f.uses.get(v) ?? 0) || readers.some((r) => r !== reader)) return undefined;
  return sameShape(infoOf(f.g, v).shape, rootShape) ? p : undefined;
}

/** Grows the group of `root` through absorbable producers (depth first). */
function grow(f: Facts, root: Node, taken: ReadonlySet<Node>): Set<Node> {
  const group = new Set<Node>([root]);
  const rootShape = infoOf(f.g, root.outputs[0]!).shape!;
  const visit = (n: Node) => {
    for (const i of dataInputs(n)) {
      if (group.size >= MAX_GROUP) return;
      const p = absorbable(f, i, n, rootShape, taken);
      if (p && !group.has(p)) { group.add(p); visit(p); }
    }
  };
  visit(root);
  return group;
}

/** The fused node for `members` (in graph order, root last), or `undefined` when its inputs would not broadcast to the root's shape. */
function fusedNode(f: Facts, members: readonly Node[]): Node | undefined {
  const root = members[members.length - 1]!;
  const rootShape = infoOf(f.g, root.outputs[0]!).shape!;
  const temp = new Map<string, number>(members.map((m, k) => [m.outputs[0]!, k]));
  const externals: string[] = [];
  const operand = (v: string): EwOperand => {
    const t = temp.get(v);
    if (t !== undefined) return { kind: 'temp', index: t };
    const lit = f.g.initializers.get(v)?.type === 'float32' ? scalarConst(f.g, v, rootShape.length) : undefined;
    if (lit !== undefined) return { kind: 'literal', value: lit };
    let k = externals.indexOf(v);
    if (k < 0) k = externals.push(v) - 1;
    return { kind: 'input', index: k };
  };
  const steps: EwStep[] = members.map((m) => {
    if (m.opType !== 'Clip') return { op: m.opType as EwStep['op'], args: m.inputs.map(operand) };
    const [lo, hi] = clipBounds(f, m)!;
    return { op: 'Clip', args: [operand(m.inputs[0]!), { kind: 'literal', value: lo }, { kind: 'literal', value: hi }] };
  });
  if (externals.length === 0) return undefined;
  let shape: Dim[];
  try { shape = broadcastShapes(root, externals.map((e) => infoOf(f.g, e).shape!)); } catch { return undefined; }
  if (!sameShape(shape, rootShape)) return undefined;
  return {
    name: `${root.name}_fused`, opType: 'FusedElementwise', domain: OPTIFLOW_DOMAIN,
    inputs: externals, outputs: [root.outputs[0]!],
    attributes: new Map([['program', { type: 'string', value: formatProgram(steps) }]]),
  };
}

/** The elementwise-chain fusion pass. */
export const elementwiseFusion: GraphPass = {
  name: 'fuse-elementwise',
  run(g, pc = ACCEPT_ALL) {
    const opset = g.opsetFor('') ?? 0;
    if (opset < 8) return false;
    const producers = new Map<string, Node>(); const consumers = new Map<string, Node[]>();
    for (const n of g.nodes) {
      for (const o of n.outputs) if (o) producers.set(o, n);
      for (const i of n.inputs) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
    }
    const f: Facts = { g, opset, uses: useCounts(g), outputs: new Set(g.outputs.map((o) => o.name)), producers, consumers };
    const order = new Map<Node, number>(g.nodes.map((n, i) => [n, i]));
    const taken = new Set<Node>();
    const replaced = new Map<Node, Node>();
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const root = g.nodes[i]!;
      if (taken.has(root) || !eligible(f, root)) continue;
      const group = grow(f, root, taken);
      if (group.size < 2) continue;
      const members = [...group].sort((a, b) => order.get(a)! - order.get(b)!);
      const fused = fusedNode(f, members);
      if (!fused) continue;
      const added = !g.opsets.has(OPTIFLOW_DOMAIN);
      useOptiflowDomain(g);
      if (!pc.canReplace(fused, root)) {
        if (added) g.opsets.delete(OPTIFLOW_DOMAIN);
        continue;
      }
      for (const m of members) taken.add(m);
      replaced.set(root, fused);
    }
    if (replaced.size === 0) return false;
    g.nodes = g.nodes.flatMap((n) => (replaced.has(n) ? [replaced.get(n)!] : taken.has(n) ? [] : [n]));
    return true;
  },
};
