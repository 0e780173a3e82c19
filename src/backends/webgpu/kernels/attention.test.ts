import { test } from 'node:test';
import { bool } from '../../../testing/run-kernel.js';
import { gpuTestSkipReason } from '../testing.js';
import { checkAgainstJs, randInt, randTensor, rng } from './a-testutil.js';
import { gpuAttention } from './attention.js';

test('webgpu optiflow::Attention: heads broadcast, scale, float and constant bool masks vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(60);
  const run = (q: number[], k: number[], v: number[], extra: { mask?: number[]; boolMask?: boolean; scale?: number }) => {
    const inputs = [randTensor(r, q), randTensor(r, k), randTensor(r, v)];
    if (extra.mask) {
      const n = extra.mask.reduce((a, b) => a * b, 1);
      inputs.push(extra.boolMask ? bool(extra.mask, Array.from({ length: n }, (_, i) => i % 3 !== 1)) : randTensor(r, extra.mask, 2));
    }
    return checkAgainstJs(gpuAttention, {
      opType: 'Attention', domain: 'optiflow', opset: 1, inputs, attrs: extra.scale !== undefined ? { scale: { float: extra.scale } } : {},
      constantInputs: extra.boolMask ? [3] : [],
    }, `Attention q=[${q}] k=[${k}] ${JSON.stringify(extra)}`);
  };
  await run([2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6], {});
  await run([1, 4, 6, 16], [1, 1, 70, 16], [1, 1, 70, 5], { mask: [6, 70], scale: 0.3 });
  await run([2, 2, 3, 4], [2, 2, 9, 4], [2, 2, 9, 4], { mask: [2, 1, 1, 9], boolMask: true });
  const s = randInt(r, 1, 9); const tt = randInt(r, 1, 100); const d = randInt(r, 1, 20);
  await run([1, 2, s, d], [1, 2, tt, d], [1, 2, tt, randInt(r, 1, 70)], { mask: [1, 2, s, tt] });
});
