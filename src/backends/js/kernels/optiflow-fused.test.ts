import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptiflowError } from '../../../ir/errors.js';
import { Graph } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { f16, f32, findKernel, floats, runKernel, toAttribute, type TestAttr } from '../../../testing/run-kernel.js';
import { FUSED_KERNELS } from './optiflow-fused.js';
import { assertClose, decomposeFused, randomF32, runOrt } from './optiflow-fused-testutil.js';

type Op = 'FusedConv' | 'FusedGemm' | 'FusedMatMul';

/** Runs a fused op on the js backend; `constant` inputs go through the `create` phase. */
async function fused(op: Op, inputs: (TensorData | undefined)[], attrs: Record<string, TestAttr>, constant: number[] = []): Promise<TensorData> {
  const [y] = await runKernel(FUSED_KERNELS, op, inputs, attrs, { opset: 1, domain: 'optiflow', constantInputs: constant });
  return y!;
}

/** onnxruntime on the op's standard-ONNX decomposition at ai.onnx `opset`. */
async function reference(op: Op, inputs: (TensorData | undefined)[], attrs: Record<string, TestAttr>, opset: number): Promise<Float32Array> {
  const schema = findKernel(FUSED_KERNELS, op, 1, 'optiflow').schema;
  const g = new Graph();
  g.opsets.set('', opset); g.opsets.set('optiflow', 1);
  const names = inputs.map((t, i) => (t ? `in${i}` : ''));
  while (names[names.length - 1] === '') names.pop();
  g.inputs = inputs.flatMap((t, i) => (t ? [{ name: `in${i}`, dtype: 'float32' as const, shape: [...t.dims] }] : []));
  g.outputs = [{ name: 'y', dtype: 'float32' }];
  g.nodes = [{
    name: 'fused', opType: op, domain: 'optiflow', inputs: names, outputs: ['y'],
    attributes: new Map(Object.entries(attrs).map(([k, v]) => [k, toAttribute(v, schema.attrs[k]?.kind)])),
  }];
  assert.equal(decomposeFused(g), 1);
  assert.ok(g.nodes.every((n) => n.domain === ''));
  const feeds = Object.fromEntries(inputs.flatMap((t, i) => (t ? [[`in${i}`, t]] : [])));
  return (await runOrt(g, feeds)).y!;
}

/** Compares the fused kernel (with and without constant weights) against onnxruntime. */
async function matchesOrt(op: Op, inputs: (TensorData | undefined)[], attrs: Record<string, TestAttr>, opset = 17): Promise<void> {
  const want = await reference(op, inputs, attrs, opset);
  const what = `${op} ${JSON.stringify(attrs)} opset ${opset}`;
  assertClose(floats(await fused(op, inputs, attrs)), want, 1e-4, what);
  assertClose(floats(await fused(op, inputs, attrs, [1, 2])), want, 1e-4, `${what} (constant weights)`);
}

/** Every activation with non-default parameters, plus none. */
const ACTS: [string, number[]][] = [
  ['', []], ['Relu', []], ['Clip', [-0.3, 0.4]], ['Sigmoid', []], ['HardSigmoid', [0.3, 0.45]], ['HardSwish', []],
  ['LeakyRelu', [0.07]], ['Tanh', []], ['Gelu', [0]], ['Gelu', [1]],
];
const actAttrs = ([activation, params]: [string, number[]]): Record<string, TestAttr> =>
  (activation ? { activation, activation_params: params } : {});

// ---------------------------------------------------------------------------------------------
// Hand-computed cases

test('FusedConv: bias, residual and Relu by hand', async () => {
  // conv with the diagonal kernel: y[i,j] = x[i,j] + x[i+1,j+1] = [6, 8, 12, 14]; +B -10; +Z; Relu.
  const x = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = f32([1, 1, 2, 2], [1, 0, 0, 1]);
  const z = f32([1, 1, 2, 2], [1, 1, 1, -5]);
  for (const c of [[], [1, 2]]) {
    const y = await fused('FusedConv', [x, w, f32([1], [-10]), z], { activation: 'Relu' }, c);
    assert.deepEqual(y.dims, [1, 1, 2, 2]);
    assert.deepEqual(floats(y), [0, 0, 3, 0]);
  }
  // Residual without bias, no activation.
  assert.deepEqual(floats(await fused('FusedConv', [x, w, undefined, z], {})), [7, 9, 13, 9]);
});

test('FusedGemm: transB, alpha, C and Clip by hand', async () => {
  // A·Bᵀ = [[1, 3], [3, 7]]; ×2 → [[2, 6], [6, 14]]; + C [-1, -10] → [[1, -4], [5, 4]]; Clip [0, 4.5].
  const a = f32([2, 2], [1, 2, 3, 4]);
  const b = f32([2, 2], [1, 0, 1, 1]);
  for (const c of [[], [1, 2]]) {
    const y = await fused('FusedGemm', [a, b, f32([2], [-1, -10])],
      { transB: 1, alpha: 2, activation: 'Clip', activation_params: [0, 4.5] }, c);
    assert.deepEqual(floats(y), [1, 0, 4.5, 4]);
  }
});

test('FusedMatMul: batched A, bias and LeakyRelu by hand', async () => {
  // [[1, 2]]·[[1, 0], [0, -1]] = [1, -2]; [[3, 4]]· = [3, -4]; + [0.5, 1]; LeakyRelu 0.1.
  const a = f32([2, 1, 2], [1, 2, 3, 4]);
  const b = f32([2, 2], [1, 0, 0, -1]);
  for (const c of [[], [1, 2]]) {
    const y = await fused('FusedMatMul', [a, b, f32([2], [0.5, 1])], { activation: 'LeakyRelu', activation_params: [0.1] }, c);
    assert.deepEqual(y.dims, [2, 1, 2]);
    assertClose(floats(y), [1.5, -0.1, 3.5, -0.3], 1e-6);
  }
  // 1-D B: Y is [M], the bias runs along M.
  const y1 = await fused('FusedMatMul', [f32([2, 2], [1, 2, 3, 4]), f32([2], [1, 1]), f32([2], [-5, 0])], { activation: 'Relu' });
  assert.deepEqual(floats(y1), [0, 7]);
});

test('float16 FusedConv computes in float32 and rounds', async () => {
  const y = await fused('FusedConv', [f16([1, 1, 2, 2], [1, 2, 3, 4]), f16([1, 1, 1, 1], [0.5]), f16([1], [-1])], { activation: 'Relu' });
  assert.equal(y.type, 'float16');
  assert.deepEqual(floats(y), [0, 0, 0.5, 1]);
});

test('fused kernels reject bad activations and mismatched residual/bias', async () => {
  const x = f32([1, 1, 2, 2], [1, 2, 3, 4]); const w = f32([1, 1, 1, 1], [1]);
  const code = (c: string) => (e: unknown) => e instanceof OptiflowError && e.code === c;
  await assert.rejects(fused('FusedConv', [x, w], { activation: 'Swish' }), code('invalid_attribute'));
  await assert.rejects(fused('FusedConv', [x, w], { activation: 'Clip', activation_params: [1] }), code('invalid_attribute'));
  await assert.rejects(fused('FusedConv', [x, w], { activation: 'Gelu', activation_params: [2] }), code('invalid_attribute'));
  await assert.rejects(fused('FusedConv', [x, w], { activation_params: [1] }), code('invalid_attribute'));
  await assert.rejects(fused('FusedConv', [x, w, undefined, f32([1, 1, 1, 2], [1, 2])], {}), code('shape_mismatch'));
  await assert.rejects(fused('FusedMatMul', [f32([2, 2], [1, 2, 3, 4]), f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2], [1, 2])], {}),
    code('shape_mismatch'));
  // Empty params mean the standard op's defaults: LeakyRelu alpha 0.01.
  assertClose(floats(await fused('FusedConv', [f32([1, 1, 1, 1], [-2]), w], { activation: 'LeakyRelu' })), [-0.02], 1e-6);
});

// ---------------------------------------------------------------------------------------------
// Against onnxruntime on the unfused composition

test('FusedConv matches onnxruntime for every activation, with residual (opsets 20, 13, 10)', async () => {
  const x = randomF32([2, 4, 5, 6], 1, -2, 2); const w = randomF32([6, 2, 3, 2], 2); const b = randomF32([6], 3);
  const z = randomF32([2, 6, 3, 5], 4);
  const geo = { group: 2, strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2] };
  for (const act of ACTS) {
    for (const opset of [20, 13, 10]) await matchesOrt('FusedConv', [x, w, b, z], { ...geo, ...actAttrs(act) }, opset);
  }
});

test('FusedConv geometries match onnxruntime: depthwise, pointwise, 1-D, 3-D, SAME padding, blocked GEMM', async () => {
  const cases: [TensorData[], Record<string, TestAttr>][] = [
    [[randomF32([1, 5, 6, 7], 10), randomF32([5, 1, 3, 3], 11), randomF32([5], 12), randomF32([1, 5, 6, 7], 13)], { group: 5, pads: [1, 1, 1, 1] }],
    [[randomF32([1, 8, 4, 3], 14), randomF32([6, 8, 1, 1], 15)], {}],
    [[randomF32([2, 3, 9], 16), randomF32([4, 3, 3], 17), randomF32([4], 18)], { strides: [2], auto_pad: 'SAME_UPPER' }],
    [[randomF32([1, 2, 4, 5, 3], 19), randomF32([3, 2, 2, 3, 2], 20), randomF32([3], 21)], { pads: [0, 1, 1, 1, 0, 0] }],
    [[randomF32([1, 16, 12, 11], 22), randomF32([32, 16, 3, 3], 23), randomF32([32], 24), randomF32([1, 32, 12, 11], 25)], { pads: [1, 1, 1, 1] }],
  ];
  for (const [i, [inputs, attrs]] of cases.entries()) {
    await matchesOrt('FusedConv', inputs, { ...attrs, ...actAttrs(ACTS[(i * 3 + 1) % ACTS.length]!) }, 17);
  }
});

test('FusedGemm matches onnxruntime: transposes, alpha/beta, C shapes, every activation', async () => {
  const [m, k, n] = [5, 7, 6];
  const a = randomF32([m, k], 30); const aT = randomF32([k, m], 31);
  const b = randomF32([k, n], 32); const bT = randomF32([n, k], 33);
  for (const [i, act] of ACTS.entries()) {
    await matchesOrt('FusedGemm', [a, bT, randomF32([n], 34)], { transB: 1, ...actAttrs(act) }, i % 2 ? 13 : 20);
  }
  await matchesOrt('FusedGemm', [aT, b, randomF32([m, 1], 35)], { transA: 1, alpha: 0.5, beta: -2, activation: 'Tanh' });
  await matchesOrt('FusedGemm', [aT, bT, randomF32([m, n], 36)], { transA: 1, transB: 1, activation: 'Relu' });
  await matchesOrt('FusedGemm', [a, b], { activation: 'Sigmoid' }, 13);
  await matchesOrt('FusedGemm', [a, b], { activation: 'Sigmoid' }, 9); // C is required below 11: a zero C
  // Blocked GEMM path (M·N·K large), constant transB weights pre-transposed in create.
  await matchesOrt('FusedGemm', [randomF32([33, 70], 37), randomF32([45, 70], 38), randomF32([1, 45], 39)],
    { transB: 1, activation: 'HardSwish' }, 13);
});

test('FusedMatMul matches onnxruntime: numpy batching, 1-D operands, bias, every activation', async () => {
  for (const [i, act] of ACTS.entries()) {
    await matchesOrt('FusedMatMul', [randomF32([2, 3, 5, 4], 40), randomF32([4, 6], 41), randomF32([6], 42)], actAttrs(act), i % 2 ? 13 : 20);
  }
  await matchesOrt('FusedMatMul', [randomF32([2, 1, 3, 4], 43), randomF32([5, 4, 6], 44), randomF32([6], 45)], { activation: 'Relu' });
  await matchesOrt('FusedMatMul', [randomF32([4], 46), randomF32([3, 4, 6], 47), randomF32([6], 48)], { activation: 'Gelu', activation_params: [1] });
  await matchesOrt('FusedMatMul', [randomF32([3, 4], 49), randomF32([4], 50), randomF32([3], 51)], { activation: 'Tanh' });
  await matchesOrt('FusedMatMul', [randomF32([1, 40, 64], 52), randomF32([64, 96], 53), randomF32([96], 54)], { activation: 'Clip', activation_params: [-1, 1] }, 10);
  await matchesOrt('FusedMatMul', [randomF32([2, 5, 3], 55), randomF32([2, 3, 4], 56)], { activation: 'HardSigmoid', activation_params: [0.2, 0.5] }, 6);
});
