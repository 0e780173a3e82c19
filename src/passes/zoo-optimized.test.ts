import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import { InferenceSession } from '../index.js';
import { relativeError } from '../testing/compare.js';
import { ZOO } from '../zoo/index.js';

/** Op-type histogram of a session's graph (`domain::opType` outside ai.onnx). */
function histogram(s: InferenceSession): Map<string, number> {
  const h = new Map<string, number>();
  for (const n of s.graph.nodes) {
    const k = n.domain ? `${n.domain}::${n.opType}` : n.opType;
    h.set(k, (h.get(k) ?? 0) + 1);
  }
  return h;
}


// The optimizer's bar on the built-in models, on the default backends (wasm, then js).
const CASES: [string, (h: Map<string, number>) => void][] = [
  ['resnet50', (h) => {
    assert.equal(h.get('BatchNormalization') ?? 0, 0, 'every BatchNormalization is folded');
    assert.equal(h.get('Relu') ?? 0, 0, 'no standalone Relu');
    assert.equal(h.get('optiflow::FusedConv'), 49);
  }],
  ['mobilenet_v1', (h) => {
    assert.equal(h.get('Clip') ?? 0, 0, 'no standalone Clip');
    assert.equal(h.get('optiflow::FusedConv'), 27);
  }],
  ['bert', (h) => {
    for (const op of ['Softmax', 'Erf', 'Div', 'ReduceMean']) assert.equal(h.get(op) ?? 0, 0, `no ${op} left`);
    assert.equal(h.get('optiflow::Attention'), 4, 'one attention node per layer');
    assert.equal(h.get('LayerNormalization'), 9, 'embedding norm + two per layer');
    assert.ok((h.get('optiflow::FusedMatMul') ?? 0) >= 24, 'Q/K/V/output/FFN projections fused with bias (and GELU)');
  }],
];

for (const [name, check] of CASES) {
  test(`built-in ${name} at level all: fused as expected and equal to level disabled within 1e-4`, async () => {
    const bytes = exportOnnx(ZOO[name]!.build());
    const all = await InferenceSession.create(bytes);
    const off = await InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
    try {
      check(histogram(all));
      const feeds = ZOO[name]!.inputs(1);
      const [a, b] = [await all.run(feeds), await off.run(feeds)];
      for (const o of all.outputNames) assert.ok(relativeError(a[o]!.data as Float32Array, b[o]!.data as Float32Array) < 1e-4, `${name} output ${o}`);
    } finally {
      await all.release();
      await off.release();
    }
  });
}
