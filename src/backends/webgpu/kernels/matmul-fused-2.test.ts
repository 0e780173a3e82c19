import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkActivations } from './matmul-fused-testutil.js';

test('webgpu FusedMatMul / FusedGemm: HardSigmoid, HardSwish, LeakyRelu in the epilogue vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  await checkActivations([['HardSigmoid', [0.3, 0.4]], ['HardSwish', []], ['LeakyRelu', [0.2]]], 4);
});
