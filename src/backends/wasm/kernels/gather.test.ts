import assert from 'node:assert/strict';
import test from 'node:test';
import { compareWithJs, int64, randomF32, rng, single } from './shape-harness.js';

const r = rng(81);

test('Gather axis 0 embedding lookup with int64 indices, negative indices, constant table', async () => {
  const table = randomF32(r, [50, 16]);
  await compareWithJs(single('Gather', [table, int64([2, 5], [0, 49, -1, 7, 3, -50, 12, 12, 1, 2])], {}, { constants: [0] }), { tol: 0 });
  await compareWithJs(single('Gather', [table, int64([], [-3])]), { tol: 0 });
});

test('Gather along middle and last axes with int32 indices', async () => {
  const idx = { type: 'int32' as const, dims: [3], data: Int32Array.from([2, -1, 0]) };
  await compareWithJs(single('Gather', [randomF32(r, [2, 5, 3]), idx], { axis: 1 }), { tol: 0 });
  await compareWithJs(single('Gather', [randomF32(r, [2, 5, 3]), idx], { axis: -1 }), { tol: 0 });
});

test('Gather with an out-of-range index fails with shape_mismatch, freeing its scratch', async () => {
  await assert.rejects(compareWithJs(single('Gather', [randomF32(r, [4, 2]), int64([1], [4])])), /out of range/);
});
