import assert from 'node:assert/strict';
import test from 'node:test';
import { Graph, type Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { commonSubexpressionElimination as cse } from './cse.js';
import { deadCodeElimination } from './dce.js';
import { applyPasses, assertSameOutputs, f32, float, int, makeGraph, node, opTypes } from './rewrite-testing.js';

const X = f32([2, 3]);
const run = (g: Graph) => { applyPasses(g, [cse, deadCodeElimination]); };

const build = (nodes: Node[], outputs = ['y'], inits: Record<string, TensorData> = {}) => () => makeGraph({
  inputs: [{ name: 'x', shape: [2, 3] }], outputs, nodes, inits,
});

test('identical nodes are merged, chains of duplicates collapse, outputs unchanged', async () => {
  const g = await assertSameOutputs(build([
    node('m1', 'Mul', ['x', 'c'], ['a1']), node('m2', 'Mul', ['x', 'c'], ['a2']),
    node('r1', 'Relu', ['a1'], ['b1']), node('r2', 'Relu', ['a2'], ['b2']),
    node('add', 'Add', ['b1', 'b2'], ['y']),
  ], ['y'], { c: f32([3], [1, -2, 3]) }), run, { x: X });
  assert.deepEqual(g.nodes.map((n) => [n.name, n.inputs]), [['m1', ['x', 'c']], ['r1', ['a1']], ['add', ['b1', 'b1']]]);
});

test('equal attributes in any order merge; different attributes or inputs do not', async () => {
  const g = await assertSameOutputs(build([
    node('s1', 'Softmax', ['x'], ['a'], { axis: int(0) }), node('s2', 'Softmax', ['x'], ['b'], { axis: int(0) }),
    node('s3', 'Softmax', ['x'], ['c'], { axis: int(1) }),
    node('l1', 'LeakyRelu', ['x'], ['d'], { alpha: float(0.5) }), node('l2', 'LeakyRelu', ['a'], ['e'], { alpha: float(0.5) }),
    node('g1', 'Gemm', ['x', 'w'], ['f'], { transB: int(1), alpha: float(2) }),
    node('g2', 'Gemm', ['x', 'w'], ['h'], { alpha: float(2), transB: int(1) }),
    node('sum', 'Sum', ['a', 'b', 'c', 'd', 'e'], ['y']), node('add', 'Add', ['f', 'h'], ['z']),
  ], ['y', 'z'], { w: f32([3, 3]) }), run, { x: X });
  assert.deepEqual(g.nodes.map((n) => n.name), ['s1', 's3', 'l1', 'l2', 'g1', 'sum', 'add']);
  assert.deepEqual(g.nodes.find((n) => n.name === 'sum')!.inputs, ['a', 'a', 'c', 'd', 'e']);
});

test('equal initializers are merged, so nodes reading them merge too', async () => {
  const g = await assertSameOutputs(build([
    node('m1', 'Mul', ['x', 'c1'], ['a']), node('m2', 'Mul', ['x', 'c2'], ['b']), node('m3', 'Mul', ['x', 'c3'], ['c']),
    node('sum', 'Sum', ['a', 'b', 'c'], ['y']),
  ], ['y'], { c1: f32([3], [1, 2, 3]), c2: f32([3], [1, 2, 3]), c3: f32([3], [1, 2, 4]) }), run, { x: X });
  assert.deepEqual(opTypes(g), ['Mul', 'Mul', 'Sum']);
  assert.deepEqual([...g.initializers.keys()].sort(), ['c1', 'c3']);
});

test('Constant nodes merge when their tensors have the same bytes', async () => {
  const k = (name: string, out: string, v: number[]) => node(name, 'Constant', [], [out], { value: { type: 'tensor', value: f32([3], v) } });
  const g = await assertSameOutputs(build([
    k('k1', 'a', [1, 2, 3]), k('k2', 'b', [1, 2, 3]), k('k3', 'c', [1, 2, 5]),
    node('sum', 'Sum', ['x', 'a', 'b', 'c'], ['y']),
  ]), run, { x: X });
  assert.deepEqual(g.nodes.map((n) => n.name), ['k1', 'k3', 'sum']);
});

test('nondeterministic ops, graph-output duplicates and subgraph nodes are not merged', () => {
  const g = build([
    node('r1', 'RandomUniformLike', ['x'], ['a']), node('r2', 'RandomUniformLike', ['x'], ['b']),
    node('n1', 'Neg', ['x'], ['c']), node('n2', 'Neg', ['x'], ['z']),
    node('sum', 'Sum', ['a', 'b', 'c'], ['y']),
  ], ['y', 'z'])();
  assert.equal(cse.run(g), false);
  assert.deepEqual(g.nodes.map((n) => n.name), ['r1', 'r2', 'n1', 'n2', 'sum']);
  // The survivor may be a graph output: the duplicate's readers read it.
  const h = build([node('n1', 'Neg', ['x'], ['z']), node('n2', 'Neg', ['x'], ['c']), node('r', 'Relu', ['c'], ['y'])], ['y', 'z'])();
  run(h);
  assert.deepEqual(h.nodes.map((n) => [n.name, n.inputs]), [['n1', ['x']], ['r', ['z']]]);
  // Nodes with subgraphs are never merged.
  const branch = () => {
    const s = new Graph();
    s.nodes = [node('i', 'Identity', ['x'], ['o'])];
    s.outputs = [{ name: 'o' }];
    return s;
  };
  const iff = (name: string, out: string) => node(name, 'If', ['cond'], [out], {
    then_branch: { type: 'graph', value: branch() }, else_branch: { type: 'graph', value: branch() },
  });
  const k = new Graph();
  k.inputs = [{ name: 'x', dtype: 'float32', shape: [2] }, { name: 'cond', dtype: 'bool', shape: [] }];
  k.outputs = [{ name: 'y' }];
  k.nodes = [iff('if1', 'a'), iff('if2', 'b'), node('add', 'Add', ['a', 'b'], ['y'])];
  assert.equal(cse.run(k), false);
});

test('a duplicate whose output a subgraph captures is kept', () => {
  const s = new Graph();
  s.nodes = [node('i', 'Identity', ['b'], ['o'])];
  s.outputs = [{ name: 'o' }];
  const g = new Graph();
  g.inputs = [{ name: 'x', dtype: 'float32', shape: [2] }, { name: 'cond', dtype: 'bool', shape: [] }];
  g.outputs = [{ name: 'y' }];
  g.nodes = [
    node('n1', 'Neg', ['x'], ['a']), node('n2', 'Neg', ['x'], ['b']),
    node('if', 'If', ['cond'], ['y'], { then_branch: { type: 'graph', value: s }, else_branch: { type: 'graph', value: s } }),
    node('unused', 'Add', ['a', 'x'], ['u']),
  ];
  assert.equal(cse.run(g), false);
  assert.equal(g.nodes.length, 4);
});
