import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkAgainstJs, randInt, randTensor, rng } from './a-testutil.js';
import { gpuLogSoftmax, gpuSoftmax } from './softmax.js';

test('webgpu Softmax / LogSoftmax: every axis at opset 13, flattened rows at opset 11 vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(40);
  const cases: [number[], number | undefined, number][] = [
    [[3, 5, 7], undefined, 13], [[3, 5, 7], 1, 13], [[4, 3, 2, 6], 0, 13], [[2, 150], -1, 13],
    [[3, 5, 7], undefined, 11], [[2, 3, 4, 5], 2, 11], [[2, 3, 4], -1, 11], [[2, 3], 0, 1], [[2, 3], 2, 11],
  ];
  cases.push([[randInt(r, 1, 5), randInt(r, 1, 90)], -1, 13]);
  for (const [x, axis, opset] of cases) {
    const xt = randTensor(r, x, 4);
    const attrs: Record<string, number> = axis === undefined ? {} : { axis };
    await checkAgainstJs(gpuSoftmax, { opType: 'Softmax', opset, inputs: [xt], attrs }, `Softmax-${opset} [${x}] axis=${axis}`);
    await checkAgainstJs(gpuLogSoftmax, { opType: 'LogSoftmax', opset, inputs: [xt], attrs }, `LogSoftmax-${opset} [${x}] axis=${axis}`);
  }
});
