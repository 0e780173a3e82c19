import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkAgainstJs, randInt, randTensor, rng } from './a-testutil.js';
import { gpuAveragePool, gpuGlobalAveragePool, gpuGlobalMaxPool, gpuMaxPool } from './pool.js';

test('webgpu MaxPool / AveragePool: pads, strides, dilations, ceil_mode, count_include_pad, 1-3 spatial axes vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(30);
  const cases: [number[], Record<string, number | number[] | string>][] = [
    [[2, 3, 9, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    [[1, 2, 10, 7], { kernel_shape: [3, 2], strides: [2, 2], ceil_mode: 1 }],
    [[1, 2, 11, 9], { kernel_shape: [3, 3], strides: [3, 2], pads: [1, 0, 2, 1], ceil_mode: 1, count_include_pad: 1 }],
    [[1, 2, 9, 9], { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 0, 0] }],
    [[2, 2, 13], { kernel_shape: [4], strides: [3], pads: [2, 1], count_include_pad: 1 }],
    [[1, 2, 5, 6, 4], { kernel_shape: [2, 3, 2], strides: [2, 1, 2], auto_pad: 'SAME_UPPER' }],
    [[1, 3, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER', count_include_pad: 1 }],
  ];
  const rs = randInt(r, 5, 12);
  cases.push([[2, randInt(r, 1, 4), rs, rs + 1], { kernel_shape: [2, 3], strides: [randInt(r, 1, 3), randInt(r, 1, 3)] }]);
  for (const [x, attrs] of cases) {
    const xt = randTensor(r, x);
    const { count_include_pad: cip, ...maxAttrs } = attrs;
    const dil = 'dilations' in attrs;
    await checkAgainstJs(gpuMaxPool, { opType: 'MaxPool', opset: 12, inputs: [xt], attrs: maxAttrs }, `MaxPool [${x}] ${JSON.stringify(maxAttrs)}`);
    await checkAgainstJs(gpuAveragePool, {
      opType: 'AveragePool', opset: dil ? 19 : 11, inputs: [xt], attrs: { ...maxAttrs, ...(cip !== undefined ? { count_include_pad: cip } : {}) },
    }, `AveragePool [${x}] ${JSON.stringify(attrs)}`);
  }
});

test('webgpu GlobalAveragePool / GlobalMaxPool vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(31);
  for (const x of [[2, 3, 7, 9], [1, 5, 130], [3, 2, 1, 1], [1, 2, 3, 4, 5]]) {
    const xt = randTensor(r, x);
    await checkAgainstJs(gpuGlobalAveragePool, { opType: 'GlobalAveragePool', opset: 1, inputs: [xt] }, `GlobalAveragePool [${x}]`);
    await checkAgainstJs(gpuGlobalMaxPool, { opType: 'GlobalMaxPool', opset: 1, inputs: [xt] }, `GlobalMaxPool [${x}]`);
  }
});
