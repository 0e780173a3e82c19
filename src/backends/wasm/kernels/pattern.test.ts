import assert from 'node:assert/strict';
import test from 'node:test';
import { loadWasmModule } from '../loader.js';
import { WasmRuntime } from '../runtime.js';
import { ThreadPool } from '../thread-pool.js';
import { comparePattern } from './pattern-harness.js';
import { randomF32, rng } from './shape-harness.js';

const r = rng(11);

test('optiflow::Gelu, erf and tanh forms, odd sizes', async () => {
  for (const dims of [[1], [7], [3, 129], [2, 128, 1024]]) {
    await comparePattern({ op: 'Gelu', inputs: [randomF32(r, dims, -6, 6)] });
    await comparePattern({ op: 'Gelu', inputs: [randomF32(r, dims, -6, 6)], attrs: { approximate: 'tanh' } });
  }
});

test('pattern ops on other dtypes fall back to js', async () => {
  const x = { type: 'float64' as const, dims: [5], data: Float64Array.from([1, -2, 3, 0.5, -0.25]) };
  await comparePattern({ op: 'Gelu', inputs: [x] }, { on: 'js' });
});

test('Attention and FusedElementwise split over a 3-thread pool match the reference', async () => {
  const { module, variant } = await loadWasmModule();
  const rt = WasmRuntime.create(module, variant, 4 << 20);
  const pool = await ThreadPool.create({ module, memory: rt.memory, exports: rt.exports, threads: 3, threshold: 1 });
  rt.parallelFor = pool.parallelFor;
  try {
    // 5 (batch, head) units over 3 slots of 2; a mask per batch.
    const q = randomF32(r, [1, 5, 9, 8]); const k = randomF32(r, [1, 5, 12, 8]); const v = randomF32(r, [1, 5, 12, 3]);
    await comparePattern({ op: 'Attention', inputs: [q, k, v, randomF32(r, [1, 1, 9, 12])] }, { runtime: rt });
    await comparePattern({ op: 'Attention', inputs: [randomF32(r, [2, 4, 7, 8]), randomF32(r, [2, 1, 6, 8]), randomF32(r, [2, 1, 6, 5])] }, { runtime: rt });
    // 5 chunks over 3 slots; a trailing vector crossing chunk boundaries.
    await comparePattern({ op: 'FusedElementwise', inputs: [randomF32(r, [5, 511]), randomF32(r, [511])], attrs: { program: 't0=Mul(x0,x1);t1=Tanh(t0);y=Add(t1,x0)' } }, { runtime: rt });
    assert.ok(pool.stats.parallel > 0, 'calls were split across threads');
  } finally {
    await pool.dispose();
  }
});

test('the baseline SIMD128 build (no relaxed FMA) gives the same results', async () => {
  const { module, variant } = await loadWasmModule('simd');
  const rt = WasmRuntime.create(module, variant, 4 << 20);
  await comparePattern({ op: 'Attention', inputs: [randomF32(r, [2, 3, 10, 16]), randomF32(r, [2, 3, 14, 16]), randomF32(r, [2, 3, 14, 8]), randomF32(r, [2, 1, 1, 14])] }, { runtime: rt });
  await comparePattern({ op: 'FusedElementwise', inputs: [randomF32(r, [3, 77]), randomF32(r, [77])], attrs: { program: 't0=Sub(x0,x1);t1=Exp(t0);y=Mul(t1,0.5)' } }, { runtime: rt });
});
