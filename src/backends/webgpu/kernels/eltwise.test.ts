import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkVsJs, randDims, randF32, randI32, rng } from './b-test-util.js';
import { grid } from './wgsl-common.js';

const UNARY: [string, Record<string, number>, number, number][] = [
  ['Relu', {}, -3, 3], ['LeakyRelu', { alpha: 0.1 }, -3, 3], ['Elu', { alpha: 0.7 }, -3, 3], ['Selu', {}, -3, 3],
  ['Celu', { alpha: 1.5 }, -3, 3], ['ThresholdedRelu', { alpha: 0.5 }, -3, 3],
  ['Sigmoid', {}, -10, 10], ['HardSigmoid', { alpha: 0.3, beta: 0.4 }, -4, 4], ['HardSwish', {}, -5, 5],
  ['Tanh', {}, -5, 5], ['Exp', {}, -5, 5], ['Log', {}, 0.01, 10], ['Sqrt', {}, 0, 10], ['Abs', {}, -3, 3],
  ['Neg', {}, -3, 3], ['Reciprocal', {}, 0.5, 4], ['Floor', {}, -3, 3], ['Ceil', {}, -3, 3], ['Sign', {}, -3, 3],
  ['Erf', {}, -4, 4], ['Softplus', {}, -10, 10], ['Softsign', {}, -3, 3], ['Sin', {}, -3, 3], ['Cos', {}, -3, 3],
  ['Mish', {}, -5, 5],
];

test('unary elementwise kernels match js on random shapes', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(1);
  for (const [op, attrs, lo, hi] of UNARY) {
    await checkVsJs(op, [randF32(r, randDims(r, 0, 4), lo, hi)], attrs, { opset: 18 });
  }
  await checkVsJs('Swish', [randF32(r, randDims(r, 1, 3))], { alpha: 1.3 }, { opset: 24 });
  for (const approximate of ['none', 'tanh']) {
    await checkVsJs('Gelu', [randF32(r, randDims(r, 1, 4))], { approximate }, { opset: 20 }, approximate);
    await checkVsJs('Gelu', [randF32(r, randDims(r, 1, 4))], { approximate }, { opset: 1, domain: 'optiflow' }, approximate);
  }
});

/** Pairs of broadcastable shapes: equal, scalar, leading/trailing 1s, both-sided. */
function pairs(r: () => number): [number[], number[]][] {
  const d = randDims(r, 2, 4);
  const ones = d.map((x) => (r() < 0.5 ? 1 : x));
  return [[d, d], [d, []], [[], d], [d, d.slice(1)], [d.slice(2), d], [d, ones], [ones, d], [[d[0]!, 1], [1, d[1]!]], [d, [1]]];
}

test('binary elementwise kernels broadcast like js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(2);
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow']) {
    for (const [a, b] of pairs(r)) {
      const x = op === 'Pow' ? randF32(r, a, 0.1, 3) : randF32(r, a);
      const y = op === 'Div' ? randF32(r, b, 0.5, 2) : op === 'Pow' ? randF32(r, b, -2, 2) : randF32(r, b);
      await checkVsJs(op, [x, y], {}, { opset: 14 });
    }
    // a constant operand is uploaded once at create
    const d = randDims(r, 1, 3);
    await checkVsJs(op, [randF32(r, d, 0.5, 2), randF32(r, [d[d.length - 1]!], 0.5, 2)], {}, { opset: 14, constantInputs: [1] }, 'const B');
  }
  // Pow with a negative base and integer exponents
  await checkVsJs('Pow', [randF32(r, [7]), { type: 'float32', dims: [7], data: Float32Array.from([0, 1, 2, 3, -1, -2, 0.5].map((v) => (v === 0.5 ? 2 : v))) }], {}, { opset: 14 }, 'negative base');
  // opset 6 legacy broadcast along axis
  await checkVsJs('Add', [randF32(r, [2, 3, 4]), randF32(r, [3])], { broadcast: 1, axis: 1 }, { opset: 6 }, 'legacy axis');
  for (const op of ['Add', 'Sub', 'Mul']) {
    for (const [a, b] of pairs(r).slice(0, 4)) await checkVsJs(op, [randI32(r, a, -70000, 70000), randI32(r, b, -70000, 70000)], {}, { opset: 14 }, 'int32');
  }
  for (const op of ['Relu', 'Neg', 'Abs']) await checkVsJs(op, [randI32(r, randDims(r, 1, 3))], {}, { opset: 14 }, 'int32');
  const [a, b] = [randDims(r, 2, 3), [1]];
  await checkVsJs('PRelu', [randF32(r, a), randF32(r, b)], {}, { opset: 16 });
  await checkVsJs('PRelu', [randF32(r, [2, 3, 4]), randF32(r, [3, 1])], {}, { opset: 16 }, 'per-channel');
});

test('variadic Sum/Mean/Max/Min, Clip and Where match js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(3);
  for (const op of ['Sum', 'Mean', 'Max', 'Min']) {
    const d = randDims(r, 2, 3);
    await checkVsJs(op, [randF32(r, d), randF32(r, d.slice(1)), randF32(r, [1])], {}, { opset: 13 });
    await checkVsJs(op, [randF32(r, d)], {}, { opset: 13 }, 'one input');
    if (op === 'Max' || op === 'Min') await checkVsJs(op, [randI32(r, d), randI32(r, [1])], {}, { opset: 13 }, 'int32');
  }
  const x = randF32(r, randDims(r, 1, 4));
  await checkVsJs('Clip', [x], { min: -1, max: 0.5 }, { opset: 6 }, 'attrs');
  const lo = randF32(r, [], -1, 0); const hi = randF32(r, [], 0, 1);
  await checkVsJs('Clip', [x, lo, hi], {}, { opset: 13 }, 'runtime bounds');
  await checkVsJs('Clip', [x, lo, hi], {}, { opset: 13, constantInputs: [1, 2] }, 'constant bounds');
  await checkVsJs('Clip', [x, undefined, hi], {}, { opset: 13 }, 'max only');
  await checkVsJs('Clip', [x], {}, { opset: 13 }, 'no bounds');
  const d = randDims(r, 2, 3);
  const c = { type: 'bool' as const, dims: [d[d.length - 1]!], data: Uint8Array.from({ length: d[d.length - 1]! }, () => (r() < 0.5 ? 1 : 0)) };
  await checkVsJs('Where', [c, randF32(r, d), randF32(r, [1])], {}, { opset: 16, constantInputs: [0] });
});

test('dispatch grids cover every element within the 65535-group limit', async (t) => {
  for (const [n, wg] of [[1, 64], [64 * 65535, 64], [64 * 65535 + 1, 64], [1e9, 64], [70000, 1]] as const) {
    const [x, y] = grid(n, wg);
    assert.ok(x <= 65535 && y <= 65535 && x * y * wg >= n, `grid(${n}, ${wg}) = ${x}×${y}`);
  }
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(4);
  // 2-D dispatch: more than 65535 workgroups of 64 threads
  await checkVsJs('Add', [randF32(r, [64 * 65535 + 100]), randF32(r, [1])], {}, { opset: 14 }, '2-D grid');
});
