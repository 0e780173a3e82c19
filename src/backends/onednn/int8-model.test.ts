/**
 * The built-in MobileNet v1 (seeded weights, input 96x96 batch 1 to keep the test fast; global
 * average pooling makes it size-agnostic), statically quantized (QDQ, entropy calibration), run
 * through sessions with `['onednn', 'wasm', 'js']` and `['wasm', 'js']` (optimization level `all`:
 * QLinearConv nodes): the placements show every int8 node on onednn (one segment), and both give
 * the same top-1 with probabilities within 0.02 absolute (the two backends may round a
 * requantization tie differently, one step of an activation; measured here: 8e-4).
 * Skips, saying why, when the addon is unavailable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportOnnx } from '../../exporters/onnx/export.js';
import { InferenceSession } from '../../index.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { quantize } from '../../quantize/index.js';
import { buildMobileNetV1, Rng } from '../../zoo/index.js';
import { loadOnednnAddon } from './native.js';

const load = loadOnednnAddon();
const skip = 'unavailable' in load ? load.unavailable : false;

const SIZE = 96;
const input = (seed: number): Record<string, TensorData> => {
  const dims = [1, 3, SIZE, SIZE];
  return { input: { type: 'float32', dims, data: new Rng(seed).uniforms(dims.reduce((p, d) => p * d, 1), -2, 2) } };
};
const argmax = (d: Float32Array): number => d.reduce((k, v, i) => (v > d[k]! ? i : k), 0);

test('quantized MobileNet v1 runs its int8 nodes as one onednn segment and agrees with wasm', { skip }, async () => {
  const g = buildMobileNetV1();
  g.inputs[0]!.shape = ['N', 3, SIZE, SIZE];
  const q = await quantize(exportOnnx(g), { mode: 'static', method: 'entropy', calibration: [input(1), input(2)] });
  const bytes = q.bytes();
  const opts = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
  const on = await InferenceSession.create(bytes, { ...opts, executionProviders: ['onednn', 'wasm', 'js'] });
  const ref = await InferenceSession.create(bytes, { ...opts, executionProviders: ['wasm', 'js'] });
  try {
    const int8 = on.placements.filter((p) => ['QLinearConv', 'QLinearMatMul', 'QuantizeLinear', 'DequantizeLinear'].includes(p.opType));
    assert.ok(int8.filter((p) => p.opType === 'QLinearConv').length >= 27, 'the convolutions are fused to QLinearConv');
    for (const p of on.placements) assert.equal(p.backend, 'onednn', `${p.node} (${p.opType}) runs on ${p.backend}: ${p.cause ?? ''}`);
    for (const seed of [5, 6]) {
      const x = input(seed);
      const a = Object.values(await on.run(x))[0]!.data as Float32Array;
      const b = Object.values(await ref.run(x))[0]!.data as Float32Array;
      assert.equal(a.length, b.length);
      assert.equal(argmax(a), argmax(b), 'same top-1');
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      assert.ok(worst < 0.02, `max |diff| ${worst}`);
    }
  } finally {
    await on.release();
    await ref.release();
  }
});
