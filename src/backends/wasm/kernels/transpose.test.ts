import assert from 'node:assert/strict';
import test from 'node:test';
import { transposePlan } from './transpose.js';
import { compareWithJs, randomF32, rng, single } from './shape-harness.js';

const r = rng(61);

test('transposePlan drops size-1 dims and merges dims adjacent in both tensors', () => {
  assert.deepEqual(transposePlan([2, 3, 4, 5], [0, 2, 1, 3]), { dims: [2, 4, 3, 5], strides: [60, 5, 20, 1] });
  assert.deepEqual(transposePlan([2, 3, 4], [1, 2, 0]), { dims: [12, 2], strides: [1, 12] });
  assert.deepEqual(transposePlan([1, 5, 1, 7], [2, 0, 1, 3]), { dims: [35], strides: [1] });
});

test('Transpose: BERT head splits, NCHW↔NHWC, reversed, odd sizes', async () => {
  const cases: [number[], number[] | undefined][] = [
    [[1, 128, 4, 64], [0, 2, 1, 3]], [[1, 128, 4, 64], [0, 2, 3, 1]], [[2, 5, 3, 7], [0, 2, 3, 1]],
    [[2, 3, 5, 7], [0, 3, 1, 2]], [[3, 17, 19], undefined], [[33, 45], [1, 0]], [[5, 1, 7], [2, 1, 0]],
    [[2, 3, 4, 5, 6], [4, 2, 0, 3, 1]], [[1, 5, 1, 7], [2, 0, 1, 3]], [[2, 3, 4, 5, 6, 7], [5, 4, 3, 2, 1, 0]],
  ];
  for (const [dims, perm] of cases) await compareWithJs(single('Transpose', [randomF32(r, dims)], perm ? { perm } : {}), { tol: 0 });
});
