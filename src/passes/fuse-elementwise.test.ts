import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import { verifyGraph, type Graph } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { runGraph } from '../testing/run-kernel.js';
import { GraphBuilder } from '../zoo/builder.js';
import { elementwiseFusion } from './fuse-elementwise.js';
import { assertClose, optiflowOutputs, ortOutputs, randomTensor } from './fuse-patterns-testing.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);

/**
 * Infers shapes, runs the pass alone, runs the fused graph on the js backend and compares every
 * output with onnxruntime on the original graph. @returns the fused graph
 */
async function fuse(g: Graph, feeds: Record<string, TensorData>, tol = 1e-6): Promise<Graph> {
  const bytes = exportOnnx(g);
  inferGraph(g, checkOps(g, REGISTRY));
  elementwiseFusion.run(g);
  verifyGraph(g);
  const [ours, ref] = await Promise.all([runGraph(g, feeds), ortOutputs(bytes, feeds)]);
  for (const [name, want] of Object.entries(ref)) assertClose((ours.get(name) as TensorData).data as Float32Array, want, tol, name);
  return g;
}

/** Programs of the graph's FusedElementwise nodes, sorted. */
const programs = (g: Graph) => g.nodes.filter((n) => n.opType === 'FusedElementwise')
  .map((n) => { const a = n.attributes.get('program'); return a?.type === 'string' ? a.value : ''; }).sort();
/** Op types of the graph, sorted. */
const opTypes = (g: Graph) => g.nodes.map((n) => n.opType).sort();

const X = [2, 3, 1100];
const feeds = () => ({ x: randomTensor(X, 31), w: randomTensor(X, 32) });

function builder(opset = 17): { b: GraphBuilder; x: string; w: string } {
  const b = new GraphBuilder('ew', { '': opset });
  return { b, x: b.input('x', 'float32', ['N', 3, 1100]), w: b.input('w', 'float32', ['N', 3, 1100]) };
}

test('a chain with a broadcast bias and scalar literals becomes one FusedElementwise', async () => {
  const { b, x, w } = builder();
  const bias = b.float('bias', [1100], randomTensor([1100], 33).data as Float32Array);
  const t = b.op('Erf', [b.op('Mul', [x, w])]);
  b.op('Relu', [b.op('Add', [b.op('Mul', [t, b.scalar('k', -2.5)]), bias])], {}, { output: 'y' });
  b.output('y', 'float32', ['N', 3, 1100]);
  const g = await fuse(b.build(), feeds());
  assert.deepEqual(g.nodes.map((n) => n.opType), ['FusedElementwise']);
  assert.deepEqual(g.nodes[0]!.inputs, ['x', 'w', 'bias']);
  assert.deepEqual(programs(g), ['t0=Mul(x0,x1);t1=Erf(t0);t2=Mul(t1,-2.5);t3=Add(t2,x2);y=Relu(t3)']);
  assert.equal(g.opsets.get('optiflow'), 1);
});

test('trees (two chains meeting in a binary op), a value read twice by one node, and Clip bounds (inputs and attributes)', async () => {
  for (const opset of [10, 13]) {
    const { b, x, w } = builder(opset);
    const a = b.op('Sigmoid', [x]);
    const sq = b.op('Mul', [a, a]);
    const m = b.op('Sub', [sq, b.op('Tanh', [w])]);
    const clip = opset >= 11 ? b.op('Clip', [m, b.scalar('lo', -0.25), '']) : b.op('Clip', [m], { min: -0.25, max: 0.5 });
    b.op('Abs', [clip], {}, { output: 'y' });
    b.output('y', 'float32', ['N', 3, 1100]);
    const g = await fuse(b.build(), feeds());
    assert.deepEqual(g.nodes.map((n) => n.opType), ['FusedElementwise'], `opset ${opset}`);
    const hi = opset >= 11 ? 'Infinity' : '0.5';
    assert.deepEqual(programs(g), [`t0=Sigmoid(x0);t1=Tanh(x1);t2=Mul(t0,t0);t3=Sub(t2,t1);t4=Clip(t3,-0.25,${hi});y=Abs(t4)`]);
  }
});

test('intermediates with a second reader or that are graph outputs end a chain', async () => {
  const { b, x, w } = builder();
  const e = b.op('Exp', [b.op('Neg', [x])]);           // e is read twice: Neg+Exp fuse, e stays a boundary
  const s1 = b.op('Add', [e, w]);
  b.op('Sqrt', [b.op('Abs', [s1])], {}, { output: 'y' });
  b.op('Mul', [e, b.scalar('h', 0.5)], {}, { output: 'z' });
  b.output('y', 'float32', ['N', 3, 1100]); b.output('z', 'float32', ['N', 3, 1100]);
  const g = await fuse(b.build(), feeds());
  assert.deepEqual(opTypes(g), ['FusedElementwise', 'FusedElementwise', 'Mul']);
  assert.deepEqual(programs(g), ['t0=Add(x0,x1);t1=Abs(t0);y=Sqrt(t1)', 't0=Neg(x0);y=Exp(t0)']);

  const o = builder();
  const r = o.b.op('Relu', [o.x], {}, { output: 'r' });
  o.b.op('Exp', [r], {}, { output: 'y' });
  o.b.output('r', 'float32', ['N', 3, 1100]); o.b.output('y', 'float32', ['N', 3, 1100]);
  assert.deepEqual(opTypes(await fuse(o.b.build(), feeds())), ['Exp', 'Relu']);
});

test('activations right after MatMul are left to the activation fusions; smaller intermediates are not recomputed', async () => {
  const b = new GraphBuilder('mm', { '': 17 });
  const x = b.input('x', 'float32', [4, 8]);
  const mm = b.op('MatMul', [x, b.float('w', [8, 8], randomTensor([8, 8], 34).data as Float32Array)]);
  b.op('Exp', [b.op('Sigmoid', [b.op('Relu', [mm])])], {}, { output: 'y' });
  b.output('y', 'float32', [4, 8]);
  const small = b.op('Exp', [b.op('Neg', [b.input('v', 'float32', [8])])]);   // [8], then broadcast to [4, 8]
  b.op('Mul', [small, x], {}, { output: 'z' });
  b.output('z', 'float32', [4, 8]);
  const g = await fuse(b.build(), { x: randomTensor([4, 8], 35), v: randomTensor([8], 36) });
  assert.deepEqual(opTypes(g), ['FusedElementwise', 'FusedElementwise', 'MatMul', 'Mul', 'Relu']);
  assert.deepEqual(programs(g), ['t0=Neg(x0);y=Exp(t0)', 't0=Sigmoid(x0);y=Exp(t0)']);
});

test('through InferenceSession (extended): fused graph equals onnxruntime on the original', async () => {
  const { b, x, w } = builder();
  b.op('Min', [b.op('Max', [b.op('Pow', [b.op('Abs', [x]), w]), b.scalar('lo', 0.1)]), b.op('Log', [b.op('Softplus', [w])])], {}, { output: 'y' });
  b.output('y', 'float32', ['N', 3, 1100]);
  const bytes = exportOnnx(b.build());
  const f = feeds();
  const [ours, ref] = await Promise.all([optiflowOutputs(bytes, f), ortOutputs(bytes, f)]);
  assert.deepEqual(ours.ops, ['optiflow::FusedElementwise']);
  assertClose(ours.outputs['y']!, ref['y']!, 1e-5);
});
