import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkVsJs, i64, randDims, randF32, randInt, rng } from './b-test-util.js';
import { useWorkgroups } from './reduce.js';

const KINDS = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp'];

/** A random non-empty subset of axes of `rank`, some negative. */
function randAxes(r: () => number, rank: number): number[] {
  const ax = Array.from({ length: rank }, (_, i) => i).filter(() => r() < 0.5);
  if (!ax.length) ax.push(randInt(r, 0, rank - 1));
  return ax.map((a) => (r() < 0.4 ? a - rank : a));
}

test('Reduce* match js: attribute and input forms, keepdims 0/1, negative axes, all axes', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(21);
  for (const op of KINDS) {
    const positive = op === 'ReduceLogSum' || op === 'ReduceProd';
    const d = randDims(r, 1, 4);
    const x = randF32(r, d, positive ? 0.5 : -2, positive ? 1.5 : 2);
    const axes = randAxes(r, d.length);
    const keepdims = randInt(r, 0, 1);
    await checkVsJs(op, [x], { axes, keepdims }, { opset: 11 }, `attr axes [${axes}] keepdims ${keepdims}`);
    await checkVsJs(op, [x, i64([axes.length], axes)], { keepdims: 1 - keepdims }, { opset: 18, constantInputs: [1] }, `input axes [${axes}]`);
    await checkVsJs(op, [x], { keepdims }, { opset: 18 }, 'all axes');
  }
  const x = randF32(r, [3, 4]);
  await checkVsJs('ReduceSum', [x, i64([0], [])], { noop_with_empty_axes: 1 }, { opset: 13, constantInputs: [1] }, 'noop');
  await checkVsJs('ReduceMax', [x], { noop_with_empty_axes: 1 }, { opset: 18 }, 'noop, no axes input');
});

test('Reduce: long reductions take the workgroup path and keep float32 accuracy', async (t) => {
  assert.equal(useWorkgroups(4, 1000), true);
  assert.equal(useWorkgroups(100000, 8), false);
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(22);
  const x = randF32(r, [3, 700, 2], 0, 1);
  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceL2', 'ReduceLogSumExp']) {
    await checkVsJs(op, [x], { axes: [1], keepdims: 0 }, { opset: 11 }, 'axis 1 of 700');
    await checkVsJs(op, [x], { axes: [0, 2], keepdims: 1 }, { opset: 11 }, 'axes 0,2');
  }
  const big = randF32(r, [2, 1500], -20, 20);
  await checkVsJs('ReduceLogSumExp', [big], { axes: [-1] }, { opset: 11 }, 'large magnitudes');
});
