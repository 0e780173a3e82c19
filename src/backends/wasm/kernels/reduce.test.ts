import assert from 'node:assert/strict';
import test from 'node:test';
import { reduceGroups } from './reduce.js';
import { compareWithJs, int64, randomF32, rng, single } from './shape-harness.js';

const r = rng(51);

test('reduceGroups merges adjacent dims of the same kind and drops 1s', () => {
  assert.deepEqual(reduceGroups([2, 3, 1, 4, 5], [1, 3]), [{ size: 2, reduced: false }, { size: 12, reduced: true }, { size: 5, reduced: false }]);
  assert.deepEqual(reduceGroups([2, 3, 4], [0, 2]), [{ size: 2, reduced: true }, { size: 3, reduced: false }, { size: 4, reduced: true }]);
});

const AXES: (number[] | undefined)[] = [[-1], [0], [1], [0, 2], [1, 2], [0, 1, 2, 3], [-3, -1], undefined];

test('ReduceSum/Mean/Max/Min with the axes attribute (opset 11), keepdims 0 and 1', async () => {
  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin']) {
    for (const axes of AXES) {
      for (const keepdims of [0, 1]) {
        const attrs: Record<string, number | number[]> = axes ? { axes, keepdims } : { keepdims };
        await compareWithJs(single(op, [randomF32(r, [3, 5, 7, 19])], attrs, { opset: 11 }), { tol: 1e-5 });
      }
    }
  }
});

test('Reduce ops with the axes input (opset 18), noop_with_empty_axes, size-1 axes', async () => {
  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin']) {
    await compareWithJs(single(op, [randomF32(r, [4, 6, 33]), int64([2], [0, -1])], {}, { opset: 18, constants: [1] }), { tol: 1e-5 });
    await compareWithJs(single(op, [randomF32(r, [4, 6, 33]), int64([1], [1])], { keepdims: 0 }, { opset: 18 }), { tol: 1e-5 });
    await compareWithJs(single(op, [randomF32(r, [4, 6]), int64([0], [])], { noop_with_empty_axes: 1 }, { opset: 18 }), { tol: 1e-5 });
    await compareWithJs(single(op, [randomF32(r, [4, 1, 6]), int64([1], [1])], {}, { opset: 18 }), { tol: 1e-5 });
    await compareWithJs(single(op, [randomF32(r, [4, 6])], {}, { opset: 18 }), { tol: 1e-5 });
  }
});

test('ReduceSum of a long row stays within 1e-5 relative', async () => {
  await compareWithJs(single('ReduceSum', [randomF32(r, [2, 40000], 0, 1), int64([1], [1])], {}, { opset: 13 }), { tol: 1e-5 });
});
