import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import { GraphBuilder } from '../zoo/index.js';
import { formatInspect, inspectModel, memoryReport, placementReport } from './inspect.js';

/** x [N,4] -> MatMul W [4,12] -> t [N,12] -> Relu -> y [N,12], with shapes filled in. */
function tiny() {
  const b = new GraphBuilder('tiny', { '': 13 });
  const x = b.input('x', 'float32', ['N', 4]);
  const t = b.op('MatMul', [x, b.float('W', [4, 12], new Float32Array(48).fill(1))], {}, { output: 't' });
  b.op('Relu', [t], {}, { output: 'y' });
  b.output('y', 'float32', ['N', 12]);
  const g = b.build();
  g.valueInfo.set('t', { name: 't', dtype: 'float32', shape: ['N', 12] });
  g.valueInfo.set('y', { name: 'y', dtype: 'float32', shape: ['N', 12] });
  return g;
}

test('memory report: batch 1, 64-byte aligned arena, Relu in place over the MatMul output', () => {
  // t and y are 1 x 12 floats = 48 bytes each (64 aligned); y overwrites t, which dies at the Relu.
  assert.deepEqual(memoryReport(tiny()), {
    assumedDims: ['N'], values: 2, totalBytes: 96, peakBytes: 64, liveBytes: 64, inPlace: 1, unknown: 0,
  });
  const g = tiny();
  g.valueInfo.delete('t');
  const r = memoryReport(g);
  assert.equal(r.unknown, 1);
  assert.equal(r.totalBytes, 48);
});

test('placement report counts nodes per backend', () => {
  const rows = [
    { node: 'a', opType: 'Conv', backend: 'wasm', cause: 'first backend in priority order' },
    { node: 'b', opType: 'Foo', backend: 'js', cause: 'fallback (wasm: wasm has no kernel for Foo)' },
    { node: 'c', opType: 'Relu', backend: 'wasm', cause: 'first backend in priority order' },
  ];
  assert.deepEqual(placementReport(rows).counts, { wasm: 2, js: 1 });
});

test('inspect --memory --placement on a model file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-inspect-'));
  try {
    const file = join(dir, 'tiny.onnx');
    writeFileSync(file, exportOnnx(tiny()));
    const r = await inspectModel(file, { memory: true, placement: true });
    assert.ok(r.memory && r.placement);
    assert.deepEqual(r.memory.assumedDims, ['N']);
    assert.ok(r.memory.peakBytes <= r.memory.totalBytes + 64 * r.memory.values);
    // Placement is of the optimized graph (MatMul + Relu may be fused into one node).
    assert.ok(r.placement.nodes.length >= 1 && r.placement.nodes.length <= r.nodes);
    assert.deepEqual(r.ops, [['MatMul', 1], ['Relu', 1]], 'the basic report describes the model as stored');
    assert.equal(Object.values(r.placement.counts).reduce((a, c) => a + c, 0), r.placement.nodes.length);
    for (const p of r.placement.nodes) {
      assert.ok(['wasm', 'js'].includes(p.backend));
      assert.match(p.cause, p.backend === 'wasm' ? /first backend/ : /fallback \(wasm: /);
    }
    const text = formatInspect(r);
    assert.match(text, /symbolic dims N taken as 1 \(batch 1\)/);
    assert.match(text, /arena peak +\d/);
    assert.match(text, /per backend: /);
    const plain = await inspectModel(file);
    assert.equal(plain.memory, undefined);
    assert.equal(plain.placement, undefined);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('inspect --placement on a model that does not load says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-inspect-'));
  try {
    const b = new GraphBuilder('odd', { '': 13, 'com.example': 1 });
    const y = b.op('Foo', [b.input('x', 'float32', [2])], {}, { domain: 'com.example', output: 'y' });
    b.output(y, 'float32', [2]);
    const file = join(dir, 'odd.onnx');
    writeFileSync(file, exportOnnx(b.build()));
    const r = await inspectModel(file, { memory: true, placement: true });
    assert.ok(r.loadError);
    assert.match(r.placement!.unavailable!, /unsupported_op/);
    assert.match(formatInspect(r), /placement: +none, the model does not load/);
    assert.equal(r.memory!.values, 1, 'y is a declared graph output with a static shape');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
