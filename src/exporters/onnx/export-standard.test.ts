import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../importers/onnx/import.js';
import { Graph, verifyGraph, type Node } from '../../ir/graph.js';
import { OPTIFLOW_DOMAIN, type Decomposition } from '../../ops/optiflow.js';
import { exportOnnx } from './export.js';
import { cloneGraph, hasOptiflowNodes, toStandardOnnx } from './export-standard.js';

const node = (name: string, opType: string, inputs: string[], outputs: string[], domain = '', attrs: Node['attributes'] = new Map()): Node =>
  ({ name, opType, domain, inputs, outputs, attributes: attrs });

/** A fake fused op `optiflow::ScaleAdd(x, b; alpha) = alpha·x + b`, decomposed into Mul and Add. */
const scaleAdd: Decomposition = (n, g) => {
  const alpha = n.attributes.get('alpha');
  const k = `${n.name}_alpha`;
  g.initializers.set(k, { type: 'float32', dims: [], data: Float32Array.of(alpha?.type === 'float' ? alpha.value : 1) });
  return [
    node(`${n.name}_mul`, 'Mul', [n.inputs[0]!, k], [`${n.name}_scaled`]),
    node(`${n.name}_add`, 'Add', [`${n.name}_scaled`, n.inputs[1]!], [n.outputs[0]!]),
  ];
};
const FAKE = new Map<string, Decomposition>([['ScaleAdd', scaleAdd]]);

/** y = ScaleAdd(x, b; alpha 2) with x [2,3], b [3] = [10, 20, 30]. */
function fusedGraph(opset = 13): Graph {
  const g = new Graph();
  g.opsets.set('', opset);
  g.opsets.set(OPTIFLOW_DOMAIN, 1);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: [2, 3] }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: [2, 3] }];
  g.initializers.set('b', { type: 'float32', dims: [3], data: Float32Array.of(10, 20, 30) });
  g.nodes = [node('fused', 'ScaleAdd', ['x', 'b'], ['y'], OPTIFLOW_DOMAIN, new Map([['alpha', { type: 'float', value: 2 }]]))];
  g.valueInfo.set('y', { name: 'y', dtype: 'float32', shape: [2, 3] });
  return g;
}

async function runOrt(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, number[]>> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...(v.data as Float32Array)]]));
}

test('optiflow nodes are written as their decomposition; the optiflow import is dropped; onnxruntime runs the file', async () => {
  const g = fusedGraph();
  const std = toStandardOnnx(g, FAKE);
  assert.equal(hasOptiflowNodes(std), false);
  assert.equal(std.opsets.has(OPTIFLOW_DOMAIN), false);
  verifyGraph(std);
  // The source graph is untouched.
  assert.equal(g.nodes.length, 1);
  assert.equal(g.opsets.get(OPTIFLOW_DOMAIN), 1);
  assert.equal(g.initializers.has('fused_alpha'), false);
  const bytes = exportOnnx(std);
  const back = importOnnx(bytes);
  assert.deepEqual([...back.opsets], [['', 13]]);
  assert.deepEqual(back.nodes.map((n) => n.opType), ['Mul', 'Add']);
  const x = Float32Array.of(1, 2, 3, -1, -2, -3);
  const got = await runOrt(bytes, { x: new ort.Tensor('float32', x, [2, 3]) });
  assert.deepEqual(got.y, [12, 24, 36, 8, 16, 24]);
});

test('an op without standard form or decomposition fails naming the node; a decomposition must produce the outputs', () => {
  assert.throws(() => toStandardOnnx(fusedGraph(), new Map()),
    (e: Error & { code?: string }) => e.code === 'unsupported_op' && /ScaleAdd/.test(e.message) && /node fused/.test(e.message));
  const lossy = new Map<string, Decomposition>([['ScaleAdd', (n) => [node('m', 'Mul', [n.inputs[0]!, n.inputs[0]!], ['other'])]]]);
  assert.throws(() => toStandardOnnx(fusedGraph(), lossy), (e: Error & { code?: string }) => e.code === 'invalid_model' && /output\(s\) y/.test(e.message));
  // Default export (the real decomposition table has no ScaleAdd) fails the same way; 'keep' writes it as is.
  assert.throws(() => exportOnnx(fusedGraph()), /ScaleAdd/);
  const kept = importOnnx(exportOnnx(fusedGraph(), { optiflowOps: 'keep' }));
  assert.equal(kept.opsetFor(OPTIFLOW_DOMAIN), 1);
  assert.equal(kept.nodes[0]!.domain, OPTIFLOW_DOMAIN);
});

test('a decomposition into further optiflow ops is expanded until standard', () => {
  const nested = new Map<string, Decomposition>([...FAKE, ['Outer', (n) => [{ ...n, name: `${n.name}_inner`, opType: 'ScaleAdd' }]]]);
  const g = fusedGraph();
  g.nodes[0]!.opType = 'Outer';
  assert.deepEqual(toStandardOnnx(g, nested).nodes.map((n) => n.opType), ['Mul', 'Add']);
  const cyclic = new Map<string, Decomposition>([['ScaleAdd', (n) => [{ ...n }]]]);
  assert.throws(() => toStandardOnnx(fusedGraph(), cyclic), /deeper than/);
});

/** optiflow::Gelu(x; approximate) at the given opset. */
function geluGraph(opset: number, approximate: string): Graph {
  const g = new Graph();
  g.opsets.set('', opset);
  g.opsets.set(OPTIFLOW_DOMAIN, 1);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: [4] }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: [4] }];
  g.nodes = [node('g', 'Gelu', ['x'], ['y'], OPTIFLOW_DOMAIN, new Map([['approximate', { type: 'string', value: approximate }]]))];
  return g;
}

test('an optiflow op with a standard twin is written as the standard op where the opset has it, else decomposed', async () => {
  const fakeGelu = new Map<string, Decomposition>([['Gelu', (n) => [node(`${n.name}_fake`, 'Identity', [n.inputs[0]!], [n.outputs[0]!])]]]);
  const at20 = toStandardOnnx(geluGraph(20, 'tanh'), fakeGelu);
  assert.deepEqual(at20.nodes.map((n) => `${n.domain}:${n.opType}`), [':Gelu']);
  const bytes = exportOnnx(at20);
  const xs = [-2, -0.5, 0.5, 3];
  const got = await runOrt(bytes, { x: new ort.Tensor('float32', Float32Array.from(xs), [4]) });
  // GELU, tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
  const want = xs.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
  got.y!.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `gelu(${xs[i]}) = ${v}, expected ${want[i]}`));
  // Opset 17 has no Gelu: the decomposition is used.
  assert.deepEqual(toStandardOnnx(geluGraph(17, 'tanh'), fakeGelu).nodes.map((n) => n.opType), ['Identity']);
  // An attribute the standard op does not know: decomposed rather than mis-written.
  const odd = geluGraph(20, 'tanh');
  odd.nodes[0]!.attributes.set('fused_scale', { type: 'float', value: 2 });
  assert.deepEqual(toStandardOnnx(odd, fakeGelu).nodes.map((n) => n.opType), ['Identity']);
});

test('optiflow nodes inside subgraphs are lowered too', async () => {
  const g = fusedGraph();
  const body = new Graph();
  body.opsets = g.opsets;
  body.outputs = [{ name: 'yb', dtype: 'float32', shape: [2, 3] }];
  body.nodes = [node('inner', 'ScaleAdd', ['x', 'b'], ['yb'], OPTIFLOW_DOMAIN, new Map([['alpha', { type: 'float', value: 2 }]]))];
  const other = new Graph();
  other.opsets = g.opsets;
  other.outputs = [{ name: 'ye', dtype: 'float32', shape: [2, 3] }];
  other.nodes = [node('neg', 'Neg', ['x'], ['ye'])];
  g.inputs.push({ name: 'c', dtype: 'bool', shape: [] });
  g.nodes = [node('if', 'If', ['c'], ['y'], '', new Map([
    ['then_branch', { type: 'graph', value: body }], ['else_branch', { type: 'graph', value: other }],
  ]))];
  const std = toStandardOnnx(g, FAKE);
  assert.equal(hasOptiflowNodes(std), false);
  assert.equal(hasOptiflowNodes(g), true, 'source untouched');
  const bytes = exportOnnx(std);
  const x = new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
  const got = await runOrt(bytes, { x, c: new ort.Tensor('bool', Uint8Array.of(1), []) });
  assert.deepEqual(got.y, [12, 24, 36, 18, 30, 42]);
});

test('a graph importing the optiflow domain without optiflow nodes is written without the import', () => {
  const g = fusedGraph();
  g.nodes = [node('add', 'Add', ['x', 'b'], ['y'])];
  assert.deepEqual([...importOnnx(exportOnnx(g)).opsets], [['', 13]]);
  const plain = new Graph();
  plain.opsets.set('', 13);
  assert.equal(toStandardOnnx(plain), plain, 'nothing to lower: the graph itself');
});

test('stale value_info of values no node produces is not written', () => {
  const g = fusedGraph();
  g.nodes = [node('add', 'Add', ['x', 'b'], ['y']), node('n', 'Neg', ['y'], ['z'])];
  g.outputs.push({ name: 'z', dtype: 'float32', shape: [2, 3] });
  g.valueInfo.set('gone', { name: 'gone', dtype: 'float32', shape: [1] });
  const back = importOnnx(exportOnnx(g));
  assert.equal(back.valueInfo.has('gone'), false);
});

test('cloneGraph copies structure and tensors deeply, keeping subgraphs on the shared opset map', () => {
  const g = fusedGraph();
  const body = new Graph();
  body.opsets = g.opsets;
  g.nodes.push(node('if', 'If', ['c'], ['z'], '', new Map([['then_branch', { type: 'graph', value: body }]])));
  const c = cloneGraph(g);
  c.nodes[0]!.inputs[0] = 'changed';
  (c.initializers.get('b')!.data as Float32Array)[0] = -1;
  c.nodes[0]!.attributes.set('alpha', { type: 'float', value: 5 });
  c.opsets.delete(OPTIFLOW_DOMAIN);
  assert.equal(g.nodes[0]!.inputs[0], 'x');
  assert.equal((g.initializers.get('b')!.data as Float32Array)[0], 10);
  assert.deepEqual(g.nodes[0]!.attributes.get('alpha'), { type: 'float', value: 2 });
  assert.ok(g.opsets.has(OPTIFLOW_DOMAIN));
  const cb = c.nodes[1]!.attributes.get('then_branch');
  assert.ok(cb?.type === 'graph' && cb.value !== body && cb.value.opsets === c.opsets);
  const shared = cloneGraph(g, false);
  assert.equal(shared.initializers.get('b'), g.initializers.get('b'));
});
