import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkAgainstJs, randInt, randTensor, rng } from './a-testutil.js';
import { gpuConv } from './conv.js';

/** One random Conv case: shapes and attributes. */
interface ConvCase { x: number[]; w: number[]; attrs: Record<string, number | string | number[]>; bias: boolean }

function cases(): ConvCase[] {
  const r = rng(10);
  const out: ConvCase[] = [
    // implicit GEMM: 3×3, pads, strides, dilations, groups, bias
    { x: [2, 5, 9, 11], w: [7, 5, 3, 3], attrs: { pads: [1, 0, 2, 1], strides: [2, 1] }, bias: true },
    { x: [1, 6, 10, 8], w: [4, 3, 3, 2], attrs: { group: 2, dilations: [2, 1], pads: [1, 1, 1, 1] }, bias: false },
    { x: [1, 3, 7, 7], w: [5, 3, 3, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] }, bias: true },
    { x: [2, 4, 6, 5], w: [3, 4, 2, 2], attrs: { auto_pad: 'SAME_LOWER' }, bias: true },
    { x: [1, 3, 8, 8], w: [4, 3, 3, 3], attrs: { auto_pad: 'VALID', strides: [3, 2] }, bias: false },
    // 1×1 as GEMM (with groups), depthwise direct (with channel multiplier)
    { x: [2, 6, 5, 7], w: [9, 6, 1, 1], attrs: {}, bias: true },
    { x: [1, 6, 4, 4], w: [4, 3, 1, 1], attrs: { group: 2 }, bias: true },
    { x: [2, 4, 9, 7], w: [4, 1, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1], strides: [2, 2] }, bias: true },
    { x: [1, 3, 6, 6], w: [6, 1, 3, 2], attrs: { group: 3, dilations: [1, 2] }, bias: false },
    // 1-D
    { x: [2, 3, 17], w: [5, 3, 4], attrs: { pads: [2, 1], strides: [2] }, bias: true },
  ];
  for (let i = 0; i < 2; i++) {
    const c = randInt(r, 1, 8); const m = randInt(r, 1, 40); const k = randInt(r, 1, 4);
    out.push({ x: [randInt(r, 1, 2), c, randInt(r, k, 12), randInt(r, k, 12)], w: [m, c, k, k], attrs: { pads: [k >> 1, k >> 1, k >> 1, k >> 1] }, bias: true });
  }
  return out;
}

test('webgpu Conv: implicit GEMM, 1×1 GEMM, depthwise direct, 1-D; pads/strides/dilations/groups/auto_pad vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(11);
  for (const c of cases()) {
    const inputs = [randTensor(r, c.x), randTensor(r, c.w), ...(c.bias ? [randTensor(r, [c.w[0]!])] : [])];
    await checkAgainstJs(gpuConv, { opType: 'Conv', opset: 11, inputs, attrs: c.attrs, constantInputs: [1, 2] },
      `Conv x=[${c.x}] w=[${c.w}] ${JSON.stringify(c.attrs)}`);
  }
});
