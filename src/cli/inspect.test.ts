import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import { GraphBuilder } from '../zoo/index.js';
import { gpuTestSkipReason } from '../backends/webgpu/testing.js';
import { sharedTestdata, skipUnless } from '../testing/paths.js';
import type { SegmentInfo } from '../runtime/executor.js';
import { formatInspect, inspectModel, memoryReport, placementReport, segmentCopies } from './inspect.js';

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
    const r = await inspectModel(file, { memory: true, placement: true, executionProviders: ['wasm', 'js'] });
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

/** A segment record as the session reports it (no engine behind it). */
function seg(name: string, backend: string, nodes: string[], inputs: string[], outputs: string[], loc?: ('cpu' | 'gpu-buffer')[]): SegmentInfo {
  return { name, backend, nodes, inputs, outputs, outputLocations: loc ?? outputs.map(() => 'cpu'), stats: () => undefined };
}

test('segment copies per run from static shapes: webgpu int64 as int32, GPU-resident values not copied', () => {
  const g = tiny();
  g.valueInfo.set('ids', { name: 'ids', dtype: 'int64', shape: ['N', 5] });
  const rows = segmentCopies(g, [
    // x [1,4] f32 = 16 B and ids [1,5] int64 = 20 B on the GPU (int32) up; t [1,12] = 48 B left on the GPU.
    seg('segment_0_webgpu', 'webgpu', ['a', 'b', 'c'], ['x', 'ids'], ['t'], ['gpu-buffer']),
    // t is bound in place; y [1,12] = 48 B back; 'q' has no shape.
    seg('segment_1_webgpu', 'webgpu', ['d', 'e', 'f'], ['t', 'q'], ['y']),
    // onednn copies int64 at 8 bytes.
    seg('segment_2_onednn', 'onednn', ['g', 'h', 'i'], ['ids'], []),
  ]);
  assert.deepEqual(rows.assumedDims, ['N']);
  assert.deepEqual(rows.segments.map((r) => [r.name, r.nodes, r.uploads, r.uploadBytes, r.readbacks, r.readbackBytes, r.unknown]), [
    ['segment_0_webgpu', 3, 2, 36, 0, 0, 0],
    ['segment_1_webgpu', 3, 1, 0, 1, 48, 1],
    ['segment_2_onednn', 3, 1, 40, 0, 0, 0],
  ]);
  const text = formatInspectPlacement({ nodes: [], counts: {}, segments: rows.segments, assumedDims: rows.assumedDims });
  assert.match(text, /segment_1_webgpu +3 +1 +0 B +1 +48 B +\(1 of unknown shape not counted\)/);
  assert.match(text, /total +9 +4 +76 B +1 +48 B/);
});

/** The placement part of the text report. */
function formatInspectPlacement(p: NonNullable<Parameters<typeof formatInspect>[0]['placement']>): string {
  return formatInspect({
    name: 'm', irVersion: 8, producer: '', docString: '', opsets: {}, inputs: [], outputs: [], ops: [['Relu', 1]], nodes: 1,
    parameters: 0, parameterBytes: 0, flops: 0, flopsSkipped: 0, metadata: {}, placement: p,
  });
}

test('inspect --placement --ep webgpu,wasm,js: every MobileNet node on one webgpu segment, input up, probabilities back', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = await inspectModel('mobilenet_v1', { placement: true, executionProviders: ['webgpu', 'wasm', 'js'] });
  const p = r.placement!;
  assert.deepEqual(p.executionProviders, ['webgpu', 'wasm', 'js']);
  assert.equal(p.counts.webgpu, p.nodes.length);
  assert.equal(p.segments!.length, 1);
  // input [1,3,224,224] float32 = 602112 B; probabilities [1,1000] = 4000 B.
  const s = p.segments![0]!;
  assert.deepEqual([s.backend, s.nodes, s.uploads, s.uploadBytes, s.readbacks, s.readbackBytes], ['webgpu', p.nodes.length, 1, 602112, 1, 4000]);
  assert.match(formatInspect(r), /per backend: webgpu \d+ \(--ep webgpu,wasm,js\)/);
});

const MNIST = join(sharedTestdata(), 'models', 'onnx', 'mnist-8_cntk', 'mnist.onnx');

test('inspect --placement --measure on mnist-8 with webgpu: the static copy estimate equals one measured run', { skip: skipUnless(MNIST) }, async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = await inspectModel(MNIST, { placement: true, measure: true, executionProviders: ['webgpu', 'wasm', 'js'] });
  const segs = r.placement!.segments!;
  assert.equal(segs.length, 1);
  const s = segs[0]!;
  // Input3 [1,1,28,28] float32 = 3136 B up; Plus214_Output_0 [1,10] = 40 B back.
  assert.deepEqual([s.uploads, s.uploadBytes, s.readbacks, s.readbackBytes], [1, 3136, 1, 40]);
  assert.deepEqual(s.measured, { uploads: 1, uploadBytes: 3136, readbacks: 1, readbackBytes: 40 });
  assert.match(formatInspect(r), /measured +1 +3.14 kB +1 +40 B +\(one run/);
});
