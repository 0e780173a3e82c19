/**
 * The onednn backend through a session does not block the event loop: a segment runs on a libuv
 * worker thread while timers keep firing on the main thread; and two sessions run at once with
 * the same results as one after the other. Skips, saying why, when the addon is unavailable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportOnnx } from '../../exporters/onnx/export.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { InferenceSession } from '../../runtime/session.js';
import { GraphBuilder } from '../../zoo/index.js';
import { createJsBackend } from '../js/index.js';
import { onednnBackendFactory } from './index.js';
import { loadOnednnAddon } from './native.js';

const load = loadOnednnAddon();
const skip = 'unavailable' in load ? load.unavailable : false;
const FACTORIES = { onednn: onednnBackendFactory, js: createJsBackend };

/** x [M,K] through `layers` MatMul(+Relu) layers of [K,K] weights: about 2·M·K²·layers flops. */
function bigMatMuls(m: number, k: number, layers: number): Uint8Array {
  const b = new GraphBuilder('big', { '': 17 });
  let x = b.input('x', 'float32', [m, k]);
  for (let i = 0; i < layers; i++) {
    // Weights 1/k keep activations bounded: each output is the mean of the previous row.
    const w = b.float('w', [k, k], new Float32Array(k * k).fill(1 / k));
    x = b.op('Relu', [b.op('MatMul', [x, w])]);
  }
  b.graph.outputs.push({ name: x, dtype: 'float32', shape: [m, k], kind: 'tensor' });
  return exportOnnx(b.graph);
}

test('session.run on onednn keeps the event loop responsive (timers fire during the run)', { skip }, async () => {
  const [m, k] = [1024, 2048];
  const s = await InferenceSession.create(bigMatMuls(m, k, 3), { executionProviders: ['onednn', 'js'], intraOpNumThreads: 1 }, FACTORIES);
  try {
    assert.ok(s.placements.every((p) => p.backend === 'onednn'), JSON.stringify(s.placements.map((p) => p.backend)));
    const x: TensorData = { type: 'float32', dims: [m, k], data: new Float32Array(m * k).fill(2) };
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 1);
    const t0 = performance.now();
    const out = await s.run({ x } as never);
    const ms = performance.now() - t0;
    clearInterval(timer);
    // Row means of a constant row are the constant: every output is exactly 2 (Relu keeps it).
    const y = out[s.outputNames[0]!]!.data as Float32Array;
    assert.ok(y.every((v) => Math.abs(v - 2) < 1e-4), `y[0] = ${y[0]}`);
    // ~25 GFLOP take tens of ms at least; a 1 ms timer must have fired several times meanwhile.
    assert.ok(ticks >= 3, `only ${ticks} timer ticks during a ${ms.toFixed(1)} ms run`);
  } finally {
    await s.release();
  }
});

test('two onednn sessions run at once, each with the right results', { skip }, async () => {
  const bytes = bigMatMuls(64, 256, 3);
  const opts = { executionProviders: ['onednn', 'js'], intraOpNumThreads: 1 };
  const [a, b] = await Promise.all([InferenceSession.create(bytes, opts, FACTORIES), InferenceSession.create(bytes, opts, FACTORIES)]);
  try {
    const feed = (v: number) => ({ x: { type: 'float32', dims: [64, 256], data: Float32Array.from({ length: 64 * 256 }, (_, i) => (i % 7) * v - 3) } as TensorData });
    // Hand truth: each layer replaces every element of a row by the row's mean (then Relu);
    // after the first layer all columns are equal, so the answer is relu(mean of the row).
    const expect = (v: number): number[] => Array.from({ length: 64 }, (_, r) => {
      let s = 0;
      for (let c = 0; c < 256; c++) s += ((r * 256 + c) % 7) * v - 3;
      return Math.max(0, s / 256);
    });
    const [ya, yb] = await Promise.all([a.run(feed(1) as never), b.run(feed(2) as never)]);
    const rows = (y: Float32Array) => Array.from({ length: 64 }, (_, r) => y[r * 256]!);
    for (const [y, v] of [[ya, 1], [yb, 2]] as const) {
      const got = rows(y[a.outputNames[0]!]!.data as Float32Array);
      expect(v).forEach((e, r) => assert.ok(Math.abs(got[r]! - e) < 1e-4 * Math.max(1, Math.abs(e)), `row ${r}: ${got[r]} vs ${e}`));
    }
  } finally {
    await Promise.all([a.release(), b.release()]);
  }
});
