import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../exporters/onnx/export.js';
import { writeOnnxFile } from '../exporters/onnx/export-file.js';
import { BUILTIN_BACKENDS, InferenceSession } from '../index.js';
import { importOnnx } from '../importers/onnx/import.js';
import { OPTIFLOW_DOMAIN } from '../ops/optiflow.js';
import { GraphBuilder, Rng, ZOO } from '../zoo/index.js';
import { optimize } from './optimize.js';
import { relativeError, toOrt } from '../testing/compare.js';

const JS = { executionProviders: ['js'] };

/**
 * y = Relu(Conv(x, W, B)) · (c1 · c2) with x [1,2,6,6], W [3,2,3,3], B [3], c1·c2 constant
 * [3,1,1]: a constant to fold and a Conv+Relu pair to fuse.
 */
function smallModel(): Uint8Array {
  const b = new GraphBuilder('small', { '': 13 });
  const rng = new Rng(5);
  const x = b.input('x', 'float32', [1, 2, 6, 6]);
  const w = b.float('W', [3, 2, 3, 3], rng.uniforms(54, -1, 1));
  const bias = b.float('B', [3], [0.1, -0.2, 0.3]);
  const conv = b.op('Conv', [x, w, bias], { pads: [1, 1, 1, 1] });
  const relu = b.op('Relu', [conv]);
  const scale = b.op('Mul', [b.float('c1', [3, 1, 1], [1, 2, 3]), b.float('c2', [3, 1, 1], [0.5, 0.5, 2])]);
  b.op('Mul', [relu, scale], {}, { output: 'y' });
  b.output('y', 'float32', [1, 3, 6, 6]);
  return exportOnnx(b.build());
}


test('optimize folds and fuses, keeps the original, places every node, and writes a standard model onnxruntime agrees with', async () => {
  const bytes = smallModel();
  const r = await optimize(bytes, JS, BUILTIN_BACKENDS);
  assert.equal(r.level, 'all');
  assert.ok(r.applied.includes('constant-folding'), `applied: ${r.applied.join(', ')}`);
  assert.ok(r.graph.nodes.length < r.original.nodes.length, 'fewer nodes after');
  assert.deepEqual(r.original.nodes.map((n) => n.opType).sort(), ['Conv', 'Mul', 'Mul', 'Relu'], 'the original is the graph as loaded');
  assert.notEqual(r.original.initializers.get('W'), r.graph.initializers.get('W'), 'deep copy');
  assert.deepEqual(r.placements.map((p) => p.node), r.graph.nodes.map((n) => n.name));
  assert.ok(r.placements.every((p) => p.backend === 'js'));
  assert.equal(r.bytes(), r.bytes(), 'serialized once');
  const written = importOnnx(r.bytes());
  assert.equal(written.opsets.has(OPTIFLOW_DOMAIN), false);
  assert.ok(written.nodes.every((n) => n.domain === ''));
  // Truth: onnxruntime on the unoptimized model.
  const x = { x: { type: 'float32' as const, dims: [1, 2, 6, 6], data: new Rng(9).uniforms(72, -1, 1) } };
  const want = (await (await ort.InferenceSession.create(bytes)).run(toOrt(x))).y!.data as Float32Array;
  const fromFile = (await (await ort.InferenceSession.create(r.bytes())).run(toOrt(x))).y!.data as Float32Array;
  assert.ok(relativeError(fromFile, want) <= 1e-5, `exported optimized model: ${relativeError(fromFile, want)}`);
  const s = await InferenceSession.create(bytes, { ...JS, graphOptimizationLevel: 'all' });
  const got = (await s.run(x)).y!.data as Float32Array;
  assert.ok(relativeError(got, want) <= 1e-5, `optiflow at level all: ${relativeError(got, want)}`);
});

test('level disabled changes nothing; levels and providers are checked', async () => {
  const bytes = smallModel();
  const r = await optimize(bytes, { ...JS, level: 'disabled' }, BUILTIN_BACKENDS);
  assert.deepEqual(r.applied, []);
  assert.deepEqual(r.graph.nodes.map((n) => n.opType), r.original.nodes.map((n) => n.opType));
  const basic = await optimize(bytes, { ...JS, level: 'basic' }, BUILTIN_BACKENDS);
  assert.ok(!basic.graph.nodes.some((n) => n.domain === OPTIFLOW_DOMAIN), 'basic does not fuse');
  await assert.rejects(optimize(bytes, { level: 'max' as never }, BUILTIN_BACKENDS), /level must be/);
  await assert.rejects(optimize(bytes, { executionProviders: ['nope'] }, BUILTIN_BACKENDS), /unknown execution provider 'nope'/);
  await assert.rejects(optimize(bytes, { executionProviders: [] }, BUILTIN_BACKENDS), /empty/);
  await assert.rejects(optimize(Uint8Array.of(1, 2, 3), JS, BUILTIN_BACKENDS), (e: Error & { code?: string }) => e.code === 'invalid_model');
  await assert.rejects(optimize('/nonexistent/m.onnx', JS, BUILTIN_BACKENDS), (e: Error & { code?: string }) => e.code === 'io_error');
});

test('optimize reads a model with external data from its path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-opt-'));
  try {
    const file = join(dir, 'small.onnx');
    writeOnnxFile(file, importOnnx(smallModel()), { externalDataThreshold: 100, externalDataMinBytes: 100 });
    const r = await optimize(file, JS, BUILTIN_BACKENDS);
    assert.deepEqual(r.original.initializers.get('W'), importOnnx(smallModel()).initializers.get('W'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

// The bar of the optimizer: optimized built-in models, exported, run in onnxruntime as optiflow runs them.
for (const [name, model] of Object.entries(ZOO)) {
  test(`zoo ${name} optimized at level all: the exported file loads in onnxruntime and matches optiflow within 1e-4`, async () => {
    const bytes = exportOnnx(model.build());
    const r = await optimize(bytes, { ...JS, level: 'all' }, BUILTIN_BACKENDS);
    const file = r.bytes();
    assert.equal(importOnnx(file).opsets.has(OPTIFLOW_DOMAIN), false);
    const ref = await ort.InferenceSession.create(file);
    const feeds = model.inputs(1, 3);
    const expected = await ref.run(toOrt(feeds));
    const s = await InferenceSession.create(bytes, { ...JS, graphOptimizationLevel: 'all' });
    const got = await s.run(feeds);
    for (const o of s.outputNames) {
      const g = got[o]!;
      const e = expected[o]!;
      assert.deepEqual([...g.dims], [...e.dims], o);
      const err = relativeError(g.data as Float32Array, e.data as Float32Array);
      assert.ok(err <= 1e-4, `${name}.${o}: relative error ${err} > 1e-4`);
    }
  });
}
