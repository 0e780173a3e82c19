import assert from 'node:assert/strict';
import test from 'node:test';
import { axisTable } from './pool.js';
import { compareWithJs, randomF32, rng, single } from './shape-harness.js';

const r = rng(21);

test('axisTable: first in-bounds tap, in-bounds count, padded count per output', () => {
  // 5 inputs, kernel 3, stride 2, pads 1/1: windows [-1..1], [1..3], [3..5].
  assert.deepEqual(axisTable(5, 3, 3, 2, 1, 1, 1), [0, 2, 3, 1, 3, 3, 3, 2, 3]);
  // Ceil mode past the end padding: the last window counts only taps < n + pe.
  assert.deepEqual(axisTable(4, 2, 3, 2, 1, 0, 0), [0, 3, 3, 2, 2, 2]);
});

/** [X dims, attributes] cases: odd sizes, padding, strides 1/2/3, dilations, ceil mode, 1-D. */
const CASES: [number[], Record<string, number[] | number | string>][] = [
  [[1, 3, 17, 19], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  [[2, 2, 13, 29], { kernel_shape: [3, 3] }],
  [[1, 4, 15, 40], { kernel_shape: [2, 3], strides: [1, 2], pads: [0, 1, 1, 2] }],
  [[1, 2, 11, 23], { kernel_shape: [3, 2], strides: [3, 3], pads: [2, 1, 2, 1], ceil_mode: 1 }],
  [[1, 3, 16, 16], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
  [[2, 3, 31], { kernel_shape: [4], strides: [2], pads: [1, 2] }],
  [[1, 1, 5, 5], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }],
];

test('MaxPool matches js (pads, strides, dilations, ceil mode, 1-D)', async () => {
  for (const [dims, attrs] of CASES) await compareWithJs(single('MaxPool', [randomF32(r, dims)], attrs));
  await compareWithJs(single('MaxPool', [randomF32(r, [1, 2, 20, 27])], { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] }));
  await compareWithJs(single('MaxPool', [randomF32(r, [1, 2, 20, 27])], { kernel_shape: [2, 2], dilations: [1, 3], strides: [2, 2], ceil_mode: 1 }));
});

test('AveragePool matches js with and without count_include_pad', async () => {
  for (const [dims, attrs] of CASES) {
    await compareWithJs(single('AveragePool', [randomF32(r, dims)], attrs));
    await compareWithJs(single('AveragePool', [randomF32(r, dims)], { ...attrs, count_include_pad: 1 }));
  }
  await compareWithJs(single('AveragePool', [randomF32(r, [1, 2, 20, 27])], { kernel_shape: [3, 3], dilations: [2, 2], pads: [1, 1, 1, 1] }, { opset: 19 }));
});

test('GlobalAveragePool and GlobalMaxPool over 1, 2 and 3 spatial axes', async () => {
  for (const dims of [[2, 3, 7, 9], [1, 5, 33], [1, 2, 3, 4, 5], [1, 64, 7, 7]]) {
    await compareWithJs(single('GlobalAveragePool', [randomF32(r, dims)]));
    await compareWithJs(single('GlobalMaxPool', [randomF32(r, dims)]));
  }
});

test('3-D pools and MaxPool with Indices fall back to js', async () => {
  await compareWithJs(single('MaxPool', [randomF32(r, [1, 1, 4, 4, 4])], { kernel_shape: [2, 2, 2] }), { onWasm: [], onJs: ['MaxPool'] });
  await compareWithJs(single('MaxPool', [randomF32(r, [1, 1, 6, 6])], { kernel_shape: [2, 2] }, { outputs: 2 }), { onWasm: [], onJs: ['MaxPool'] });
});
