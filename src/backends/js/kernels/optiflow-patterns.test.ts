import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../../../exporters/onnx/export.js';
import { OptiflowError } from '../../../ir/errors.js';
import { Graph, verifyGraph, type Attribute, type Node } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { PATTERN_DECOMPOSITIONS } from '../../../ops/optiflow-patterns.js';
import { formatProgram, parseProgram } from '../../../ops/optiflow-patterns-program.js';
import { assertClose, ortOutputs, randomTensor } from '../../../passes/fuse-patterns-testing.js';
import { toAttribute, runKernel, type TestAttr } from '../../../testing/run-kernel.js';
import { erf } from './elementwise-unary.js';
import { erf32 } from './optiflow-patterns-elementwise.js';
import { PATTERN_KERNELS } from './optiflow-patterns.js';

/** Runs the optiflow kernel of `opType` on named inputs. */
async function ours(opType: string, inputs: (TensorData | undefined)[], attrs: Record<string, TestAttr>, outputCount = 1): Promise<TensorData[]> {
  return runKernel(PATTERN_KERNELS, opType, inputs, attrs, { opset: 1, domain: 'optiflow', outputCount });
}

/**
 * Decomposes one optiflow node (inputs named `in0..`, omitted ones '') at ai.onnx `opset`, exports
 * the standard graph and runs it in onnxruntime-node.
 */
async function decomposedInOrt(opType: string, inputs: (TensorData | undefined)[], attrs: Record<string, TestAttr>,
  opset: number, outputCount = 1): Promise<Float32Array[]> {
  const g = new Graph();
  g.opsets.set('', opset);
  const feeds: Record<string, TensorData> = {};
  const names = inputs.map((t, i) => {
    if (!t) return '';
    feeds[`in${i}`] = t;
    g.inputs.push({ name: `in${i}`, dtype: t.type, shape: [...t.dims] });
    return `in${i}`;
  });
  const outputs = Array.from({ length: outputCount }, (_, i) => `out${i}`);
  g.outputs = outputs.map((name) => ({ name }));
  const attributes = new Map<string, Attribute>(Object.entries(attrs).map(([k, v]) => [k, toAttribute(v)]));
  const node: Node = { name: 'n', opType, domain: 'optiflow', inputs: names, outputs, attributes };
  g.nodes = PATTERN_DECOMPOSITIONS.get(opType)!(node, g, opset);
  assert.ok(g.nodes.every((n) => n.domain === ''), 'standard ops only');
  verifyGraph(g);
  const res = await ortOutputs(exportOnnx(g, { valueInfo: false }), feeds);
  return outputs.map((o) => res[o]!);
}

const data = (t: TensorData) => t.data as Float32Array;

test('erf32 matches tabulated erf to float32 accuracy', () => {
  const table: [number, number][] = [
    [0, 0], [1e-4, 1.1283791633342e-4], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465],
    [1, 0.8427007929497149], [-1.5, -0.9661051464753108], [2, 0.9953222650189527], [3.5, 0.9999992569016276], [-12, -1],
  ];
  for (const [x, want] of table) assert.ok(Math.abs(erf32(x) - want) <= 1.2e-7 * Math.abs(want), `erf32(${x}) = ${erf32(x)}, want ${want}`);
  assert.ok(Number.isNaN(erf32(NaN)));
  // Dense sweep against the float64 series/continued-fraction erf of the Erf kernel (an independent implementation).
  for (let x = -7; x <= 7; x += 0.0137) assert.ok(Math.abs(erf32(x) - erf(x)) <= 1.2e-7 * Math.abs(erf(x)), `erf32(${x})`);
});

test('optiflow::Gelu (none, tanh) equals its decomposition run by onnxruntime', async () => {
  const x = randomTensor([4, 250], 1, -6, 6);
  for (const approximate of ['none', 'tanh']) {
    const [y] = await ours('Gelu', [x], { approximate });
    const [ref] = await decomposedInOrt('Gelu', [x], { approximate }, 17);
    assertClose(data(y!), ref!, 2e-6, `Gelu ${approximate}`);
  }
  await assert.rejects(ours('Gelu', [x], { approximate: 'fast' }), (e: unknown) => e instanceof OptiflowError && e.code === 'invalid_attribute');
});

test('optiflow::LayerNormalization equals its decomposition (axes attribute before opset 18, input from 18)', async () => {
  const x = randomTensor([2, 3, 8], 2, -3, 3); const gamma = randomTensor([8], 3); const beta = randomTensor([8], 4);
  for (const opset of [13, 18]) {
    const [y] = await ours('LayerNormalization', [x, gamma, beta], { epsilon: 1e-3 });
    const [ref] = await decomposedInOrt('LayerNormalization', [x, gamma, beta], { epsilon: 1e-3 }, opset);
    assertClose(data(y!), ref!, 1e-5, `opset ${opset}`);
  }
  // No bias; normalization over the last two axes with a [3, 8] scale (the general path) and statistics outputs.
  const scale2 = randomTensor([3, 8], 5);
  const got = await ours('LayerNormalization', [x, scale2], { axis: 1, epsilon: 1e-5 }, 3);
  const want = await decomposedInOrt('LayerNormalization', [x, scale2], { axis: 1, epsilon: 1e-5 }, 18, 3);
  got.forEach((t, i) => assertClose(data(t), want[i]!, 1e-5, `output ${i}`));
  assert.deepEqual([...got[1]!.dims], [2, 1, 1]);
});

test('optiflow::Attention equals its decomposition and ONNX Attention-23 in onnxruntime', async () => {
  const q = randomTensor([2, 2, 3, 4], 6); const k = randomTensor([2, 2, 5, 4], 7); const v = randomTensor([2, 2, 5, 6], 8);
  const mask = randomTensor([2, 1, 3, 5], 9, -3, 0);
  const cases: [string, (TensorData | undefined)[], Record<string, TestAttr>][] = [
    ['float mask, scale', [q, k, v, mask], { scale: 0.3 }],
    ['no mask, default scale', [q, k, v], {}],
    ['bool mask [3,5]', [q, k, v, { type: 'bool', dims: [3, 5], data: Uint8Array.from({ length: 15 }, (_, i) => (i % 4 === 1 ? 0 : 1)) }], {}],
    ['single K/V head', [q, randomTensor([2, 1, 5, 4], 10), randomTensor([2, 1, 5, 6], 11), mask], { scale: 0.5 }],
  ];
  for (const [what, inputs, attrs] of cases) {
    const [y] = await ours('Attention', inputs, attrs);
    assert.deepEqual([...y!.dims], [2, 2, 3, 6]);
    const [ref] = await decomposedInOrt('Attention', inputs, attrs, 17);
    assertClose(data(y!), ref!, 1e-5, `${what} vs decomposition`);
    // The standard Attention-23 on the same inputs (onnxruntime's own kernel).
    const g = new Graph(); g.opsets.set('', 23);
    const feeds: Record<string, TensorData> = {};
    const names = inputs.map((t, i) => { feeds[`in${i}`] = t!; g.inputs.push({ name: `in${i}`, dtype: t!.type, shape: [...t!.dims] }); return `in${i}`; });
    g.outputs = [{ name: 'y' }];
    g.nodes = [{ name: 'a', opType: 'Attention', domain: '', inputs: names, outputs: ['y'], attributes: new Map(Object.entries(attrs).map(([key, val]) => [key, toAttribute(val, 'float')])) }];
    assertClose(data(y!), (await ortOutputs(exportOnnx(g), feeds))['y']!, 1e-5, `${what} vs Attention-23`);
  }
});

test('optiflow::Attention: all-masked rows give NaN (reference softmax); bad shapes are located errors', async () => {
  const q = randomTensor([1, 1, 2, 4], 12); const k = randomTensor([1, 1, 3, 4], 13); const v = randomTensor([1, 1, 3, 2], 14);
  const mask: TensorData = { type: 'float32', dims: [2, 3], data: Float32Array.of(0, 0, 0, -Infinity, -Infinity, -Infinity) };
  const [y] = await ours('Attention', [q, k, v, mask], {});
  assert.ok(data(y!).slice(0, 2).every(Number.isFinite));
  assert.ok(data(y!).slice(2).every(Number.isNaN));
  const shapeError = (e: unknown) => e instanceof OptiflowError && e.code === 'shape_mismatch';
  await assert.rejects(ours('Attention', [q, k, v, randomTensor([2, 2], 1)], {}), shapeError);
  await assert.rejects(ours('Attention', [randomTensor([1, 2, 4], 1), k, v], {}), shapeError);
  await assert.rejects(ours('Attention', [q, randomTensor([1, 1, 3, 5], 1), v], {}), shapeError);
});

test('optiflow::FusedElementwise runs every op with broadcasting across chunk boundaries like its decomposition', async () => {
  const x0 = randomTensor([3, 700], 15, 0.1, 2); const x1 = randomTensor([700], 16, 0.1, 2); const x2 = randomTensor([3, 1], 17, -1, 1);
  const x3: TensorData = { type: 'float32', dims: [], data: Float32Array.of(0.75) };
  const program = [
    't0=Mul(x0,x1)', 't1=Erf(t0)', 't2=Add(t1,x2)', 't3=Sigmoid(t2)', 't4=Tanh(t3)', 't5=Exp(t4)', 't6=Log(t5)',
    't7=Neg(t6)', 't8=Abs(t7)', 't9=Sqrt(t8)', 't10=Reciprocal(t9)', 't11=Relu(t10)', 't12=Sub(t11,x3)',
    't13=Pow(x0,1.5)', 't14=Div(t12,t13)', 't15=Max(t14,-0.25)', 't16=Min(t15,x2)', 't17=Floor(x0)', 't18=Ceil(x1)',
    't19=Add(t17,t18)', 't20=Sin(t19)', 't21=Cos(t16)', 't22=Softplus(t21)', 't23=Softsign(t20)', 't24=Add(t22,t23)',
    'y=Clip(t24,-Infinity,1.25)',
  ].join(';');
  const [y] = await ours('FusedElementwise', [x0, x1, x2, x3], { program });
  assert.deepEqual([...y!.dims], [3, 700]);
  for (const opset of [10, 17]) {
    const [ref] = await decomposedInOrt('FusedElementwise', [x0, x1, x2, x3], { program }, opset);
    assertClose(data(y!), ref!, 2e-6, `opset ${opset}`);
  }
  // A column broadcast [1500, 1] x [1, 3]: gathered rows shorter than a chunk.
  const a = randomTensor([1500, 1], 18); const b = randomTensor([1, 3], 19);
  const [z] = await ours('FusedElementwise', [a, b], { program: 't0=Mul(x0,x1);y=Add(t0,x1)' });
  const av = data(a); const bv = data(b);
  assertClose(data(z!), Float32Array.from({ length: 4500 }, (_, i) => Math.fround(Math.fround(av[Math.floor(i / 3)]! * bv[i % 3]!) + bv[i % 3]!)), 0);
});

test('FusedElementwise programs: literals round-trip exactly; malformed programs are invalid_attribute', async () => {
  const node: Node = { name: 'f', opType: 'FusedElementwise', domain: 'optiflow', inputs: ['a'], outputs: ['y'], attributes: new Map() };
  const steps = parseProgram('t0=Mul(x0,0.10000000149011612);y=Clip(t0,-Infinity,NaN)', 1, node);
  assert.equal(formatProgram(steps), 't0=Mul(x0,0.10000000149011612);y=Clip(t0,-Infinity,NaN)');
  assert.deepEqual(steps[0]!.args[1], { kind: 'literal', value: Math.fround(0.1) });
  const x = randomTensor([4], 20);
  for (const program of ['', 'y=Foo(x0)', 't0=Relu(x0);y=Add(t1,x0)', 'y=Add(x0)', 'y=Relu(x1)', 'y=Clip(x0,x0,1)', 't1=Relu(x0);y=Relu(t1)', 'y=Relu(x0']) {
    await assert.rejects(ours('FusedElementwise', [x], { program }),
      (e: unknown) => e instanceof OptiflowError && e.code === 'invalid_attribute', program);
  }
  await assert.rejects(ours('FusedElementwise', [{ type: 'float64', dims: [1], data: Float64Array.of(1) }], { program: 'y=Relu(x0)' }),
    (e: unknown) => e instanceof OptiflowError && e.code === 'dtype_mismatch');
});

test('FusedElementwise programs keep the sign of a -0 literal (x / -0 is -Infinity)', async () => {
  const node = { name: 'f', opType: 'FusedElementwise', domain: 'optiflow', inputs: ['a'], outputs: ['y'], attributes: new Map() } as Node;
  const steps = parseProgram('t0=Abs(x0);y=Div(t0,-0)', 1, node);
  assert.equal(formatProgram(steps), 't0=Abs(x0);y=Div(t0,-0)');
  const [y] = await runKernel(PATTERN_KERNELS, 'FusedElementwise', [{ type: 'float32', dims: [2], data: Float32Array.from([1, -2]) }],
    { program: 't0=Abs(x0);y=Div(t0,-0)' }, { opset: 1, domain: 'optiflow' });
  assert.deepEqual(Array.from(y!.data as Float32Array), [-Infinity, -Infinity]);
});
