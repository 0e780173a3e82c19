import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkActivations } from './matmul-fused-testutil.js';

test('webgpu FusedMatMul / FusedGemm: Tanh, Gelu (erf and tanh forms) in the epilogue vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  await checkActivations([['Tanh', []], ['Gelu', [0]], ['Gelu', [1]]], 5);
});
