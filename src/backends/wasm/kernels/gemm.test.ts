import assert from 'node:assert/strict';
import test from 'node:test';
import type { TensorData } from '../../../ir/tensor-data.js';
import { compareOp } from './gemm-harness.js';
import { randomF32, rng } from './shape-harness.js';

const r = rng(7);
const t = (...dims: number[]): TensorData => randomF32(r, dims, -1, 1);

test('MatMul matches js: odd sizes, K over two K blocks (KC = 1024), batch folding, broadcasting, 1-D operands', async () => {
  const cases: [number[], number[]][] = [
    [[7, 13], [13, 29]], [[1, 1], [1, 1]], [[5, 300], [300, 13]], [[4, 601], [601, 25]], [[5, 2100], [2100, 13]],
    [[2, 3, 5, 37], [37, 50]], [[2, 1, 4, 9], [3, 9, 14]], [[1, 4, 17, 8], [1, 4, 8, 17]],
    [[9], [9, 5]], [[3, 4, 9], [9]], [[3, 1, 5, 10], [2, 10, 3]], [[0, 5], [5, 4]], [[3, 0], [0, 4]],
  ];
  for (const [a, b] of cases) {
    await compareOp({ op: 'MatMul', inputs: [t(...a), t(...b)] });
    await compareOp({ op: 'MatMul', inputs: [t(...a), t(...b)], constants: [1] });
  }
});

test('Gemm matches js: transA/transB, alpha/beta, every C broadcast, constant and runtime weights', async () => {
  const [m, k, n] = [11, 19, 26];
  const cs: (number[] | undefined)[] = [undefined, [], [1], [n], [1, n], [m, 1], [m, n], [1, 1]];
  let i = 0;
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      for (const c of cs) {
        const a = transA ? t(k, m) : t(m, k); const b = transB ? t(n, k) : t(k, n);
        const attrs = { transA, transB, alpha: i % 2 ? 0.7 : 1, beta: i % 3 ? -1.3 : 1 };
        const constants = i % 2 ? [1, 2] : i % 4 === 0 ? [0] : [];
        await compareOp({ op: 'Gemm', inputs: [a, b, c ? t(...c) : undefined], attrs, constants });
        i++;
      }
    }
  }
});

test('FusedMatMul and FusedGemm: bias and every activation in the epilogue', async () => {
  const acts: [string, number[]][] = [
    ['Relu', []], ['Clip', [-0.5, 0.8]], ['Sigmoid', []], ['HardSigmoid', [0.3, 0.4]], ['HardSwish', []],
    ['LeakyRelu', [0.2]], ['Tanh', []], ['Gelu', [0]], ['Gelu', [1]], ['', []],
  ];
  for (const [activation, params] of acts) {
    const attrs = { activation, activation_params: params };
    await compareOp({ op: 'FusedMatMul', domain: 'optiflow', inputs: [t(2, 13, 40), t(40, 23), t(23)], attrs, constants: [1, 2] });
    await compareOp({ op: 'FusedMatMul', domain: 'optiflow', inputs: [t(2, 5, 7), t(2, 7, 9)], attrs });
    await compareOp({ op: 'FusedGemm', domain: 'optiflow', inputs: [t(14, 33), t(17, 33), t(17)], attrs: { ...attrs, transB: 1, alpha: 0.5 }, constants: [1] });
  }
});

test('activations are accurate over a wide input range', async () => {
  // Inputs spread over [-12, 12] through a diagonal B: the epilogue sees each value as is.
  const n = 240;
  const a = { type: 'float32' as const, dims: [1, n], data: Float32Array.from({ length: n }, (_, i) => -12 + (24 * i) / (n - 1)) };
  const eye = { type: 'float32' as const, dims: [n, n], data: new Float32Array(n * n) };
  for (let i = 0; i < n; i++) (eye.data as Float32Array)[i * n + i] = 1;
  for (const [activation, params] of [['Sigmoid', []], ['Tanh', []], ['Gelu', [0]], ['Gelu', [1]], ['HardSwish', []]] as [string, number[]][]) {
    const y = await compareOp({ op: 'FusedMatMul', domain: 'optiflow', inputs: [a, eye], attrs: { activation, activation_params: params }, constants: [1] }, 2e-6);
    assert.equal(y.dims[1], n);
  }
});

test('MatMul declines non-float32 operands', async () => {
  const ai = { type: 'int32' as const, dims: [2, 3], data: Int32Array.from([1, 2, 3, 4, 5, 6]) };
  const bi = { type: 'int32' as const, dims: [3, 1], data: Int32Array.from([1, 1, 1]) };
  await compareOp({ op: 'MatMul', inputs: [ai, bi], expect: 'js' });
});
