import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../../../exporters/onnx/export.js';
import { InferenceSession } from '../../../index.js';
import { Tensor } from '../../../runtime/tensor.js';
import { ZOO } from '../../../zoo/index.js';

test('BERT on [wasm, js]: attention fused and placed on wasm, outputs within 1e-4 of [js]', async () => {
  const bytes = exportOnnx(ZOO.bert!.build());
  const inputs = ZOO.bert!.inputs(1);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, new Tensor(t.type, t.data as BigInt64Array, t.dims)]));
  const wasm = await InferenceSession.create(bytes, { executionProviders: ['wasm', 'js'] });
  const js = await InferenceSession.create(bytes, { executionProviders: ['js'] });
  try {
    const fused = wasm.graph.nodes.filter((n) => n.opType === 'Attention' && n.domain === 'optiflow');
    assert.equal(fused.length, 4, 'one fused attention per layer');
    for (const n of fused) {
      const p = wasm.placements.find((x) => x.node === n.name);
      assert.equal(p?.backend, 'wasm', `${n.name} placed on ${p?.backend}: ${p?.cause}`);
    }
    const got = (await wasm.run(feeds)).last_hidden_state!.data as Float32Array;
    const want = (await js.run(feeds)).last_hidden_state!.data as Float32Array;
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(got[i]! - want[i]!);
      if (!(d <= 1e-4 * Math.max(1, Math.abs(want[i]!)))) assert.fail(`element ${i}: wasm ${got[i]}, js ${want[i]}`);
    }
  } finally {
    await wasm.release();
    await js.release();
  }
});
