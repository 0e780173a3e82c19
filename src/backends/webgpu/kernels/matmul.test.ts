import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkAgainstJs, randInt, randTensor, rng } from './a-testutil.js';
import { gpuGemm, gpuMatMul } from './matmul.js';

test('webgpu MatMul: random batched/broadcast shapes, 1-D operands, tile edges vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(1);
  const shapes: [number[], number[]][] = [
    [[33, 17], [17, 35]], // M, N, K not multiples of the 32×32×16 tile
    [[2, 3, 5, 7], [7, 4]], // B broadcast over batch
    [[3, 1, 9, 20], [1, 4, 20, 6]], // two-sided batch broadcast
    [[13], [13, 5]], [[4, 13], [13]], [[8], [8]], // 1-D operands
  ];
  for (let i = 0; i < 3; i++) {
    const m = randInt(r, 1, 40); const n = randInt(r, 1, 40); const k = randInt(r, 1, 50);
    shapes.push([[randInt(r, 1, 3), m, k], [k, n]]);
  }
  for (const [a, b] of shapes) {
    for (const constB of [false, true]) {
      await checkAgainstJs(gpuMatMul, { opType: 'MatMul', opset: 13, inputs: [randTensor(r, a), randTensor(r, b)], constantInputs: constB ? [1] : [] },
        `MatMul ${a}×${b}${constB ? ' (const B)' : ''}`);
    }
  }
});

test('webgpu Gemm: transA/transB, alpha/beta, C broadcasts vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(2);
  // Three pipelines (SwiftShader compiles each GEMM variant in about a second): C shapes on the
  // plain variant, both transposes with C, one transpose without C.
  const cases: [number, number, (m: number, n: number) => number[] | undefined][] = [
    [0, 0, () => []], [0, 0, (_m, n) => [n]], [0, 0, (m) => [m, 1]], [0, 0, (m, n) => [1, n]],
    [1, 1, (m, n) => [m, n]], [1, 1, (_m, n) => [n]], [0, 1, () => undefined], [0, 1, () => undefined],
  ];
  for (const [transA, transB, cShape] of cases) {
    const m = randInt(r, 1, 37); const n = randInt(r, 1, 37); const k = randInt(r, 1, 40);
    const cs = cShape(m, n);
    const a = randTensor(r, transA ? [k, m] : [m, k]); const b = randTensor(r, transB ? [n, k] : [k, n]);
    const inputs = cs ? [a, b, randTensor(r, cs)] : [a, b];
    await checkAgainstJs(gpuGemm, {
      opType: 'Gemm', opset: 13, inputs, attrs: { transA, transB, alpha: { float: 0.7 }, beta: { float: 1.3 } }, constantInputs: [1, 2],
    }, `Gemm tA=${transA} tB=${transB} C=${cs ? `[${cs}]` : 'none'}`);
  }
});
