import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../exporters/onnx/export.js';
import { InferenceSession, isOptiflowError } from '../index.js';
import { GraphBuilder, Rng, ZOO } from './index.js';
import { relativeError, toOrt } from '../testing/compare.js';

test('Rng is deterministic and in range', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 1000 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => new Rng(43).next()));
  const n = new Rng(1).normals(20000, 2);
  const mean = n.reduce((s, x) => s + x, 0) / n.length;
  const sd = Math.sqrt(n.reduce((s, x) => s + (x - mean) ** 2, 0) / n.length);
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(sd - 2) < 0.05, `sd ${sd}`);
});

test('GraphBuilder generates unique names and typed attributes', () => {
  const b = new GraphBuilder('g', { '': 13 });
  const x = b.input('x', 'float32', ['N', 4]);
  const w = b.float('w', [4], [1, 2, 3, 4]);
  const w2 = b.float('w', [4], [1, 2, 3, 4]);
  assert.equal(w, 'w');
  assert.equal(w2, 'w_1');
  const y = b.op('Add', [x, w]);
  const z = b.op('Add', [y, w2], { alpha: 0.5, axis: 1, perm: [0, 1], scales: [0.5, 2], mode: 'x', f1: { type: 'float', value: 1 } });
  assert.notEqual(y, z);
  b.op('Relu', [z], {}, { output: 'out' });
  b.output('out', 'float32', ['N', 4]);
  const g = b.build();
  const attrs = g.nodes[1]!.attributes;
  assert.deepEqual(attrs.get('alpha'), { type: 'float', value: 0.5 });
  assert.deepEqual(attrs.get('axis'), { type: 'int', value: 1 });
  assert.deepEqual(attrs.get('perm'), { type: 'ints', value: [0, 1] });
  assert.deepEqual(attrs.get('scales'), { type: 'floats', value: [0.5, 2] });
  assert.deepEqual(attrs.get('mode'), { type: 'string', value: 'x' });
  assert.deepEqual(attrs.get('f1'), { type: 'float', value: 1 });
  assert.equal(new Set(g.nodes.map((n) => n.name)).size, 3);
  assert.throws(() => b.input('x', 'float32', [1]), /already used/);
  const bad = new GraphBuilder('bad', { '': 13 });
  bad.op('Relu', ['nowhere']);
  assert.throws(() => bad.build(), /not defined/);
});


for (const [name, model] of Object.entries(ZOO)) {
  test(`zoo ${name}: loads in onnxruntime and matches it`, async (t) => {
    const graph = model.build();
    const bytes = exportOnnx(graph);
    const again = exportOnnx(model.build());
    assert.equal(Buffer.compare(Buffer.from(bytes), Buffer.from(again)), 0, 'deterministic weights');
    const ref = await ort.InferenceSession.create(bytes);
    assert.deepEqual([...ref.inputNames], graph.inputs.map((v) => v.name));
    assert.deepEqual([...ref.outputNames], graph.outputs.map((v) => v.name));
    const feeds = model.inputs(1, 7);
    const expected = await ref.run(toOrt(feeds));
    for (const o of graph.outputs) {
      const e = expected[o.name]!;
      assert.deepEqual([...e.dims], o.shape!.map((d) => (typeof d === 'number' ? d : 1)));
      const data = e.data as Float32Array;
      assert.ok(data.every(Number.isFinite), `${o.name} finite`);
    }
    let session;
    try {
      session = await InferenceSession.create(bytes);
    } catch (e) {
      if (isOptiflowError(e) && (e.code === 'unsupported_op' || e.code === 'opset_out_of_range')) {
        t.skip(`optiflow cannot run ${name} yet: ${e.message}`);
        return;
      }
      throw e;
    }
    const got = await session.run(feeds);
    for (const o of graph.outputs) {
      const g = got[o.name]!;
      const e = expected[o.name]!;
      assert.deepEqual([...g.dims], [...e.dims]);
      const err = relativeError(g.data as Float32Array, e.data as Float32Array);
      assert.ok(err <= 1e-4, `${name}.${o.name}: relative error ${err} > 1e-4`);
    }
  });
}
