import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkAgainstJs, randTensor, rng } from './a-testutil.js';
import { gpuFusedConv, gpuNhwcConv } from './conv.js';

test('webgpu FusedConv: bias + residual Z + activation on every algorithm vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(20);
  const cases: [number[], number[], Record<string, number | number[] | string>][] = [
    [[1, 4, 7, 6], [5, 4, 3, 3], { pads: [1, 1, 1, 1], activation: 'Relu' }],
    [[2, 6, 5, 5], [6, 6, 1, 1], { activation: 'Clip', activation_params: [-0.3, 0.4] }],
    [[1, 4, 8, 8], [4, 1, 3, 3], { group: 4, strides: [2, 2], pads: [1, 1, 1, 1], activation: 'HardSwish' }],
  ];
  for (const [x, w, attrs] of cases) {
    const xt = randTensor(r, x);
    const oh = Math.floor((x[2]! + ((attrs.pads as number[] | undefined)?.[0] ?? 0) * 2 - w[2]!) / ((attrs.strides as number[] | undefined)?.[0] ?? 1)) + 1;
    const ow = Math.floor((x[3]! + ((attrs.pads as number[] | undefined)?.[1] ?? 0) * 2 - w[3]!) / ((attrs.strides as number[] | undefined)?.[1] ?? 1)) + 1;
    const z = randTensor(r, [x[0]!, w[0]!, oh, ow]);
    await checkAgainstJs(gpuFusedConv, {
      opType: 'FusedConv', domain: 'optiflow', opset: 1, attrs, constantInputs: [1, 2],
      inputs: [xt, randTensor(r, w), randTensor(r, [w[0]!]), z],
    }, `FusedConv x=[${x}] w=[${w}] ${JSON.stringify(attrs)}`);
  }
});

test('webgpu NhwcConv: channels-last implicit GEMM with groups, bias, activation vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(21);
  await checkAgainstJs(gpuNhwcConv, {
    opType: 'NhwcConv', domain: 'optiflow', opset: 1, attrs: { group: 2, pads: [1, 0, 1, 2], strides: [1, 2], activation: 'LeakyRelu' },
    inputs: [randTensor(r, [2, 7, 6, 4]), randTensor(r, [6, 2, 3, 3]), randTensor(r, [6])], constantInputs: [],
  }, 'NhwcConv (W and B at run time)');
});
