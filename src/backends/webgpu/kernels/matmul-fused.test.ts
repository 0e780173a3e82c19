import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkActivations } from './matmul-fused-testutil.js';

test('webgpu FusedMatMul / FusedGemm: Relu, Clip, Sigmoid in the epilogue vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  await checkActivations([['Relu', []], ['Clip', [-0.5, 0.7]], ['Sigmoid', []]], 3);
});
