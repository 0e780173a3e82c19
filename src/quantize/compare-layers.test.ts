import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { exportOnnx } from '../exporters/onnx/export.js';
import { OptiflowError } from '../ir/errors.js';
import type { TensorData } from '../ir/tensor-data.js';
import { InferenceSession } from '../index.js';
import { sharedTestdata, skipUnless } from '../testing/paths.js';
import { GraphBuilder } from '../zoo/builder.js';
import { Rng } from '../zoo/random.js';
import { compareLayers, formatLayers } from './compare-layers.js';
import { compareModels, formatCompare } from './compare.js';
import { quantize } from './index.js';

type Feeds = Record<string, TensorData>;

/** x[4] → Mul(w) → t1 → Add(1) → y. */
function scaleModel(w: number): Uint8Array {
  const b = new GraphBuilder('s', { '': 13 });
  b.input('x', 'float32', [4]);
  b.node('Mul', ['x', b.scalar('w', w)], {}, { outputs: ['t1'], name: 'mul' });
  b.node('Add', ['t1', b.scalar('one', 1)], {}, { outputs: ['y'], name: 'add' });
  b.output('y', 'float32', [4]);
  return exportOnnx(b.build());
}

test('compareLayers: SNR, relative error, drop and added noise match hand-computed values', async () => {
  const x: Feeds = { x: { type: 'float32', dims: [4], data: Float32Array.of(1, 2, 3, 4) } };
  const r = await compareLayers(scaleModel(2), scaleModel(2.1), [x], { executionProviders: ['js'] });
  assert.deepEqual(r.layers.map((l) => l.tensor), ['t1', 'y']);
  const [t1, y] = r.layers as [typeof r.layers[0], typeof r.layers[0]];
  // t1: ref [2,4,6,8], other = 1.05·ref → error 0.05·ref: SNR = 10·log10(1/0.05²) = 26.0206 dB.
  assert.ok(Math.abs(t1.snrDb - 26.0206) < 1e-3, `${t1.snrDb}`);
  assert.ok(Math.abs(t1.relError - 0.05) < 1e-5);
  assert.ok(Math.abs(t1.maxAbsError - 0.4) < 1e-5);
  assert.equal(t1.inputSnrDb, Infinity);
  assert.equal(t1.snrDropDb, Infinity);
  assert.ok(Math.abs(t1.addedNoiseDb - 26.0206) < 1e-3);
  assert.equal(t1.node, 'mul');
  assert.equal(t1.quantized, false);
  assert.equal(t1.inputQuantSnrDb, Infinity);
  // y: ref [3,5,7,9] (Σ=164), error [.1,.2,.3,.4] (Σ=0.3): SNR = 10·log10(164/0.3) = 27.3774 dB;
  // drop 26.0206 − 27.3774 = −1.3568 dB; NSR falls (0.3/164 < 0.0025), so no added noise.
  assert.ok(Math.abs(y.snrDb - 27.3774) < 1e-3, `${y.snrDb}`);
  assert.ok(Math.abs(y.snrDropDb + 1.3568) < 1e-3, `${y.snrDropDb}`);
  assert.equal(y.addedNoiseDb, Infinity);
  assert.equal(y.count, 4);
  // No quantized layer: every layer that adds noise is ranked.
  assert.deepEqual(r.ranked.map((l) => l.node), ['mul']);
  assert.match(formatLayers(r), /exclude first: --exclude mul$/m);
  // Identical models: SNR ∞, nothing ranked.
  const same = await compareLayers(scaleModel(2), scaleModel(2), [x], { executionProviders: ['js'] });
  assert.equal(same.layers[0]!.snrDb, Infinity);
  assert.equal(same.layers[0]!.snrDropDb, 0);
  assert.equal(same.ranked.length, 0);
});

test('compareLayers: bad input', async () => {
  const x: Feeds = { x: { type: 'float32', dims: [4], data: new Float32Array(4) } };
  await assert.rejects(compareLayers(scaleModel(2), scaleModel(2), []), (e: unknown) => e instanceof OptiflowError && e.code === 'invalid_argument');
  // No tensor in common.
  const b = new GraphBuilder('o', { '': 13 });
  b.input('x', 'float32', [4]);
  b.node('Relu', ['x'], {}, { outputs: ['z'] });
  b.output('z', 'float32', [4]);
  await assert.rejects(compareLayers(scaleModel(2), exportOnnx(b.build()), [x]), /share no float tensor/);
  const s = await InferenceSession.create(scaleModel(2), { executionProviders: ['js'] });
  await assert.rejects(compareModels(s, scaleModel(2), [x], { layers: true }), /needs model paths or bytes/);
  await s.release();
});

/**
 * x[1,16] → MatMul m1 → Relu → MatMul m2 → t2 → MatMul m3 → y, deterministic weights. With
 * `deadRow`, input row 0 of m2 reads a Relu channel that is always 0 (m1's column 0 is −1 on
 * non-negative inputs) and holds huge weights (1000): harmless in float, but per-channel int8
 * scales of every column of m2 become 1000/127, so m2's other weights round to 0.
 */
function mlp(deadRow: boolean): Uint8Array {
  const rng = new Rng(7);
  const b = new GraphBuilder('mlp', { '': 13 });
  b.input('x', 'float32', [1, 16]);
  const w1 = rng.normals(256, 0.3);
  if (deadRow) for (let k = 0; k < 16; k++) w1[k * 16] = -1;
  const w2 = rng.normals(256, 0.3);
  if (deadRow) for (let j = 0; j < 16; j++) w2[j] = 1000;
  b.node('MatMul', ['x', b.float('w1', [16, 16], w1)], {}, { outputs: ['t1'], name: 'm1' });
  b.node('Relu', ['t1'], {}, { outputs: ['r1'], name: 'relu' });
  b.node('MatMul', ['r1', b.float('w2', [16, 16], w2)], {}, { outputs: ['t2'], name: 'm2' });
  b.node('MatMul', ['t2', b.float('w3', [16, 16], rng.normals(256, 0.3))], {}, { outputs: ['y'], name: 'm3' });
  b.output('y', 'float32', [1, 16]);
  return exportOnnx(b.build());
}

function examples(n: number, seed: number): Feeds[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => ({ x: { type: 'float32', dims: [1, 16], data: rng.uniforms(16, 0, 1) } }));
}

test('compareLayers: the layer whose activation range a wrong calibration cut is ranked first (static QDQ)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qcl-'));
  try {
    const model = mlp(false);
    const cache = join(dir, 'ranges.json');
    const good = await quantize(model, { mode: 'static', calibration: examples(16, 1), calibrationCache: cache });
    const body = JSON.parse(readFileSync(cache, 'utf8')) as { ranges: Record<string, [number, number]> };
    assert.ok(body.ranges.t2, 'the input of m3 is calibrated');
    body.ranges.t2 = [body.ranges.t2[0] * 0.05, body.ranges.t2[1] * 0.05];
    writeFileSync(cache, JSON.stringify(body));
    const bad = await quantize(model, { mode: 'static', calibrationCache: cache });
    const test = examples(8, 2);
    const rg = await compareLayers(model, good.bytes(), test, { executionProviders: ['js'] });
    const rb = await compareLayers(model, bad.bytes(), test, { executionProviders: ['js'] });
    assert.deepEqual(rb.layers.map((l) => [l.node, l.tensor]), [['m1', 't1'], ['relu', 'r1'], ['m2', 't2'], ['m3', 'y']]);
    assert.deepEqual(rb.layers.map((l) => l.quantized), [true, false, true, true]);
    assert.equal(rb.ranked[0]!.node, 'm3');
    const m3 = rb.layers[3]!;
    assert.ok(m3.snrDb < 10 && m3.snrDropDb > 15, `m3 SNR ${m3.snrDb} dB, drop ${m3.snrDropDb} dB`);
    // The well-calibrated model loses far less at m3, and its layers keep a sane SNR.
    assert.ok(rg.layers[3]!.snrDb > m3.snrDb + 15);
    for (const l of rg.layers) assert.ok(l.snrDb > 20, `${l.tensor}: ${l.snrDb} dB`);
    // Its error is the quantization of its input t2 (the cut range), and the report says so.
    assert.equal(m3.inputQuantTensor, 't2');
    assert.ok(m3.inputQuantSnrDb < m3.snrDb + 3);
    const text = formatLayers(rb, 1);
    assert.match(text, /^exclude first: --exclude m3$/m);
    assert.match(text, /^note: m3's error is the quantization of its input 't2'/m);
    // Acting on it: with m3 excluded nothing quantizes t2 any more and the output recovers.
    const fixed = await quantize(model, { mode: 'static', calibrationCache: cache, exclude: ['m3'] });
    const rf = await compareLayers(model, fixed.bytes(), test, { executionProviders: ['js'] });
    assert.ok(rf.layers[3]!.snrDb > m3.snrDb + 15, `${rf.layers[3]!.snrDb}`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('compareLayers: a huge-range weight row is ranked first (dynamic mode, named after the replaced node)', async () => {
  const model = mlp(true);
  const q = await quantize(model, { mode: 'dynamic' });
  const r = await compareLayers(model, q.bytes(), examples(8, 3), { executionProviders: ['js'] });
  const m2 = r.layers.find((l) => l.tensor === 't2')!;
  assert.equal(m2.node, 'm2');
  assert.equal(m2.opType, 'MatMul');
  assert.equal(m2.quantized, true);
  assert.equal(r.ranked[0]!.node, 'm2');
  assert.ok(m2.snrDb < 6, `${m2.snrDb}`);
  assert.ok(r.layers.find((l) => l.tensor === 't1')!.snrDb > 30);
  // Acting on it: m2 excluded, its output is exact up to the quantized m1 before it.
  const fixed = await quantize(model, { mode: 'dynamic', exclude: ['m2'] });
  const rf = await compareLayers(model, fixed.bytes(), examples(8, 3), { executionProviders: ['js'] });
  assert.ok(rf.layers.find((l) => l.tensor === 't2')!.snrDb > 30);
});

const mnistModel = join(sharedTestdata(), 'models', 'onnx', 'mnist-8_cntk', 'mnist.onnx');
const mnistImages = join(sharedTestdata(), 'models', 'data', 'mnist', 't10k-images-idx3-ubyte.gz');

test('compareLayers: mnist-8 static int8 (entropy) gives a sane report', { skip: skipUnless(mnistModel) ?? skipUnless(mnistImages) }, async () => {
  const img = gunzipSync(readFileSync(mnistImages));
  const digits = (from: number, n: number): Feeds[] => Array.from({ length: n }, (_, i) => ({
    Input3: { type: 'float32', dims: [1, 1, 28, 28], data: Float32Array.from(img.subarray(16 + (from + i) * 784, 16 + (from + i + 1) * 784)) },
  }));
  const calib = digits(0, 20); const evalSet = digits(1000, 20);
  const q = await quantize(mnistModel, { mode: 'static', calibration: calib, method: 'entropy' });
  const r = await compareModels(mnistModel, q.bytes(), evalSet, { layers: true });
  const rep = r.layers!;
  // Float tensors both models have: the fused Conv+bias outputs keep the Add's name.
  assert.deepEqual(rep.layers.map((l) => l.tensor), ['Plus30_Output_0', 'ReLU32_Output_0', 'Pooling66_Output_0', 'Plus112_Output_0',
    'ReLU114_Output_0', 'Pooling160_Output_0', 'Pooling160_Output_0_reshape0', 'Times212_Output_0', 'Plus214_Output_0']);
  assert.equal(rep.layers[0]!.node, 'Convolution28');
  assert.equal(rep.layers[0]!.referenceNode, 'Plus30');
  const quantized = new Set(q.report.quantized.map((e) => e.node));
  assert.ok(rep.ranked.length > 0);
  for (const l of rep.ranked) assert.ok(quantized.has(l.node), `${l.node} is quantized`);
  for (const l of rep.layers) assert.ok(Number.isFinite(l.snrDb) && l.snrDb > 0 && l.count > 0, `${l.tensor}: ${l.snrDb}`);
  // The last layer is the graph output: same SNR as the per-output comparison.
  assert.ok(Math.abs(rep.layers[8]!.snrDb - r.outputs[0]!.snrDb) < 0.5);
  // The input 0..255 pixels are integers: uint8 with scale 1 quantizes them exactly.
  assert.equal(rep.layers[0]!.inputQuantSnrDb, Infinity);
  assert.match(formatCompare(r), /exclude first: --exclude [\w,]+/);
  assert.match(formatCompare(r, 2, true), /^all 9 layer\(s\) in graph order:$/m);
});
