import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../../../exporters/onnx/export.js';
import { InferenceSession } from '../../../index.js';
import { quantize } from '../../../quantize/index.js';
import { GraphBuilder } from '../../../zoo/builder.js';
import { conv } from '../../../zoo/layers.js';
import { Rng } from '../../../zoo/random.js';

/** A depthwise + pointwise block (then a float head) large enough that the thread pool splits every int8 kernel. */
function block(): Uint8Array {
  const b = new GraphBuilder('dwpw', { '': 13 });
  const rng = new Rng(3);
  const x = b.input('x', 'float32', [1, 32, 56, 56]);
  const dw = b.op('Relu', [conv(b, rng, x, 32, 32, { k: 3, stride: 1, group: 32, bias: true, name: 'dw' })]);
  const pw = b.op('Relu', [conv(b, rng, dw, 32, 64, { k: 1, bias: true, name: 'pw' })]);
  // A last float conv: the graph output is not quantized, so the convs before it get an output Q.
  b.op('Identity', [conv(b, rng, pw, 64, 8, { k: 1, bias: true, name: 'head' })], {}, { output: 'y' });
  b.output('y', 'float32', [1, 8, 56, 56]);
  return exportOnnx(b.build());
}

test('static int8 QLinearConv (depthwise and pointwise) gives identical outputs with 1 and 2 threads', async () => {
  const rng = new Rng(9);
  const feeds = (seed: number) => ({ x: { type: 'float32' as const, dims: [1, 32, 56, 56], data: new Rng(seed).uniforms(32 * 56 * 56, -1, 1) } });
  const q = await quantize(block(), { mode: 'static', calibration: [feeds(1), feeds(2)] });
  const bytes = q.bytes();
  const one = await InferenceSession.create(bytes, { intraOpNumThreads: 1, executionProviders: ['wasm', 'js'] });
  const two = await InferenceSession.create(bytes, { intraOpNumThreads: 2, executionProviders: ['wasm', 'js'] });
  try {
    assert.ok(one.placements.filter((p) => p.opType === 'QLinearConv' && p.backend === 'wasm').length === 2, 'both convs run as int8 on wasm');
    const f = feeds(rng.int(5, 1000));
    const [a, b] = [await one.run(f), await two.run(f)];
    assert.deepEqual(Array.from(b.y!.data as Float32Array), Array.from(a.y!.data as Float32Array));
  } finally {
    await one.release();
    await two.release();
  }
});
