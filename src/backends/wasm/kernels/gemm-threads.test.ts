import assert from 'node:assert/strict';
import test from 'node:test';
import type { TensorData } from '../../../ir/tensor-data.js';
import { loadWasmModule } from '../loader.js';
import { WasmRuntime } from '../runtime.js';
import { ThreadPool } from '../thread-pool.js';
import { compareOp } from './gemm-harness.js';
import { randomF32, rng } from './shape-harness.js';

const r = rng(5);
const t = (...dims: number[]): TensorData => randomF32(r, dims, -1, 1);

test('GEMM, im2col, transposed and depthwise kernels split across 3 threads match js; baseline SIMD build too', async () => {
  for (const variant of ['relaxed', 'simd'] as const) {
    let mod;
    try { mod = await loadWasmModule(variant); } catch { continue; } // the engine lacks this build
    const rt = WasmRuntime.create(mod.module, mod.variant, 4 << 20);
    // Threshold 1: every call splits, into ranges as small as one strip or plane.
    const pool = await ThreadPool.create({ module: mod.module, memory: rt.memory, exports: rt.exports, threads: 3, threshold: 1, adaptive: false });
    rt.parallelFor = pool.parallelFor;
    try {
      await compareOp({ op: 'MatMul', inputs: [t(2, 19, 70), t(70, 41)], constants: [1] }, 1e-4, rt);
      await compareOp({ op: 'MatMul', inputs: [t(3, 40, 7), t(3, 7, 9)] }, 1e-4, rt);
      await compareOp({ op: 'Gemm', inputs: [t(50, 33), t(29, 33), t(29)], attrs: { transB: 1 }, constants: [1] }, 1e-4, rt);
      await compareOp({ op: 'Conv', inputs: [t(1, 5, 23, 29), t(9, 5, 3, 3), t(9)], attrs: { pads: [1, 1, 1, 1], strides: [1, 2] }, constants: [1, 2] }, 1e-4, rt);
      await compareOp({ op: 'Conv', inputs: [t(1, 8, 7, 7), t(200, 8, 3, 3)], attrs: { pads: [1, 1, 1, 1] }, constants: [1] }, 1e-4, rt);
      await compareOp({ op: 'FusedConv', domain: 'optiflow', inputs: [t(2, 6, 17, 18), t(6, 1, 3, 3), t(6), t(2, 6, 9, 9)],
        attrs: { group: 6, strides: [2, 2], pads: [1, 1, 1, 1], activation: 'Clip', activation_params: [0, 6] }, constants: [1, 2] }, 1e-4, rt);
      assert.ok(pool.stats.parallel > 10, `${variant}: calls were split (${JSON.stringify(pool.stats)})`);
    } finally {
      await pool.dispose();
    }
  }
});
