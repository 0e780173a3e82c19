import assert from 'node:assert/strict';
import test from 'node:test';
import { Graph, type Attribute, type Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { optimizeGraph } from './pipelines.js';

const node = (name: string, opType: string, inputs: string[], outputs: string[], attrs: [string, Attribute][] = []): Node =>
  ({ name, opType, domain: '', inputs, outputs, attributes: new Map(attrs) });
const f32 = (dims: number[], v: number[]): TensorData => ({ type: 'float32', dims, data: Float32Array.from(v) });

/** Evaluates Add on constants by hand, so the pass is tested without any backend. */
const addOnly = (n: Node, ins: readonly (TensorData | undefined)[]) => {
  if (n.opType !== 'Add') return undefined;
  const [a, b] = ins as TensorData[];
  return [f32([...a!.dims], Array.from(a!.data as Float32Array, (v, i) => v + (b!.data as Float32Array)[i]!))];
};

test('basic level: identity/dropout elimination, constant folding, Shape folding, DCE', () => {
  const g = new Graph();
  g.opsets.set('', 17);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: [2, 3] }];
  g.outputs = [{ name: 'y' }, { name: 's' }];
  g.initializers.set('c1', f32([3], [1, 2, 3]));
  g.initializers.set('c2', f32([3], [10, 20, 30]));
  g.initializers.set('unused', f32([1], [0]));
  g.nodes = [
    node('id', 'Identity', ['x'], ['x1']),
    node('drop', 'Dropout', ['x1'], ['x2']),
    node('fold', 'Add', ['c1', 'c2'], ['c3']),
    node('add', 'Add', ['x2', 'c3'], ['y']),
    node('shape', 'Shape', ['x'], ['s']),
    node('dead', 'Relu', ['x'], ['never_read']),
  ];
  const applied = optimizeGraph(g, 'basic', { evaluate: addOnly, verify: true });
  assert.ok(applied.includes('constant-folding'), applied.join());
  assert.deepEqual(g.nodes.map((n) => [n.name, n.inputs]), [['add', ['x', 'c3']]]);
  assert.deepEqual(Array.from(g.initializers.get('c3')!.data as Float32Array), [11, 22, 33]);
  assert.deepEqual(Array.from(g.initializers.get('s')!.data as BigInt64Array), [2n, 3n]);
  assert.ok(!g.initializers.has('unused') && !g.initializers.has('c1'));
});

test('an Identity producing a graph output is kept; disabled changes nothing', () => {
  const g = new Graph();
  g.inputs = [{ name: 'x' }];
  g.outputs = [{ name: 'y' }];
  g.nodes = [node('id', 'Identity', ['x'], ['y'])];
  optimizeGraph(g, 'all', { evaluate: () => undefined, verify: true });
  assert.equal(g.nodes.length, 1);
  const h = new Graph();
  h.inputs = [{ name: 'x' }]; h.outputs = [{ name: 'y' }];
  h.nodes = [node('id', 'Identity', ['x'], ['t']), node('id2', 'Identity', ['t'], ['y'])];
  assert.deepEqual(optimizeGraph(h, 'disabled', { evaluate: () => undefined }), []);
  assert.equal(h.nodes.length, 2);
});

test('Dropout whose mask is read, or in training mode, is kept', () => {
  const g = new Graph();
  g.inputs = [{ name: 'x' }];
  g.outputs = [{ name: 'y' }, { name: 'm' }];
  g.nodes = [node('d', 'Dropout', ['x'], ['t', 'm']), node('r', 'Relu', ['t'], ['y'])];
  optimizeGraph(g, 'all', { evaluate: () => undefined, verify: true });
  assert.deepEqual(g.nodes.map((n) => n.name), ['d', 'r']);
});
