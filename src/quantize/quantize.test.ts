import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { OptiflowError } from '../ir/errors.js';
import { InferenceSession } from '../index.js';
import { sharedTestdata, skipUnless } from '../testing/paths.js';
import { GraphBuilder } from '../zoo/builder.js';
import { exportOnnx } from '../exporters/onnx/export.js';
import { compareModels } from './compare.js';
import { quantize } from './index.js';
import { quantizeWeightsPerChannel } from './weights.js';

const mnistModel = join(sharedTestdata(), 'models', 'onnx', 'mnist-8_cntk', 'mnist.onnx');
const mnistData = join(sharedTestdata(), 'models', 'data', 'mnist');
/** Evaluation digits (a subset of the 10,000 to keep the test fast). */
const N = 1000;

function mnist(n: number): { images: Float32Array[]; labels: number[] } {
  const img = gunzipSync(readFileSync(join(mnistData, 't10k-images-idx3-ubyte.gz')));
  const lab = gunzipSync(readFileSync(join(mnistData, 't10k-labels-idx1-ubyte.gz')));
  const images: Float32Array[] = []; const labels: number[] = [];
  for (let i = 0; i < n; i++) { images.push(Float32Array.from(img.subarray(16 + i * 784, 16 + (i + 1) * 784))); labels.push(lab[8 + i]!); }
  return { images, labels };
}
const argmax = (v: ArrayLike<number>): number => { let k = 0; for (let i = 1; i < v.length; i++) if (v[i]! > v[k]!) k = i; return k; };

test('quantizeWeightsPerChannel: hand-computed scales and values', () => {
  // B [K=2, N=2], channel axis 1 (columns): column 0 max 2 → scale 2/127; column 1 max 0.5.
  const { q, scales } = quantizeWeightsPerChannel(Float32Array.from([1, -0.5, -2, 0.25]), [2, 2], 1);
  assert.deepEqual([...scales], [Math.fround(2 / 127), Math.fround(0.5 / 127)]);
  assert.deepEqual([...q], [64, -127, -127, 64]); // 63.5 → 64 (half to even), -0.5/… → -127
  const z = quantizeWeightsPerChannel(new Float32Array(4), [2, 2], 0);
  assert.deepEqual([...z.scales], [1, 1]);
  assert.throws(() => quantizeWeightsPerChannel(new Float32Array(4), [2, 2], 2), OptiflowError);
});

async function accuracy(bytes: Uint8Array, images: Float32Array[], labels: number[]): Promise<{ ours: number; ortAcc: number; agree: number }> {
  const ours = await InferenceSession.create(bytes);
  const peer = await ort.InferenceSession.create(bytes);
  let a = 0; let b = 0; let agree = 0;
  for (let i = 0; i < images.length; i++) {
    const x = images[i]!;
    const o = (await ours.run({ [ours.inputNames[0]!]: { type: 'float32', dims: [1, 1, 28, 28], data: x } }))[ours.outputNames[0]!]!;
    const p = (await peer.run({ [peer.inputNames[0]!]: new ort.Tensor('float32', x, [1, 1, 28, 28]) }))[peer.outputNames[0]!]!;
    const ko = argmax(o.data as Float32Array); const kp = argmax(p.data as Float32Array);
    if (ko === labels[i]) a++;
    if (kp === labels[i]) b++;
    if (ko === kp) agree++;
  }
  return { ours: a / images.length, ortAcc: b / images.length, agree: agree / images.length };
}

test('mnist-8 dynamic and fp16: accuracy vs float, size, onnxruntime-node agrees', { skip: skipUnless(mnistModel) ?? skipUnless(join(mnistData, 't10k-images-idx3-ubyte.gz')) }, async () => {
  const { images, labels } = mnist(N);
  const floatBytes = readFileSync(mnistModel);
  const f = await accuracy(floatBytes, images, labels);
  const dyn = await quantize(mnistModel, { mode: 'dynamic' });
  assert.deepEqual(dyn.report.quantized.map((e) => e.opType).sort(), ['Conv', 'Conv', 'MatMul']);
  const db = dyn.bytes();
  const d = await accuracy(db, images, labels);
  const half = await quantize(mnistModel, { mode: 'fp16' });
  const hb = half.bytes();
  const h = await accuracy(hb, images, labels);
  console.log(`float ${f.ours} (ort ${f.ortAcc}); dynamic ${d.ours} (ort ${d.ortAcc}, agree ${d.agree}) ${db.length}/${floatBytes.length} B; fp16 ${h.ours} (ort ${h.ortAcc}, agree ${h.agree}) ${hb.length} B`);
  assert.ok(Math.abs(d.ortAcc - f.ortAcc) <= 0.005, `dynamic accuracy ${d.ortAcc} vs float ${f.ortAcc} (onnxruntime)`);
  assert.ok(Math.abs(d.ours - f.ours) <= 0.005, `dynamic accuracy ${d.ours} vs float ${f.ours}`);
  // mnist-8 holds only 5,960 weights: the int8 weights, per-channel scales, biases and the Reshape
  // shape are 6,248 B of data (0.236× the 26,454 B float file); 23 nodes (1,184 B, the original
  // activation and node names kept), tensor headers and the graph's I/O put the file at 7,699 B,
  // 0.291× (it was 9,265 B, 0.350×, with long derived names; see names.ts and compact.ts).
  assert.ok(db.length <= 0.3 * floatBytes.length, `dynamic file ${db.length} vs float ${floatBytes.length}`);
  // Names that reports, --exclude and compareLayers rely on are kept.
  assert.equal(dyn.graph.nodes.find((n) => n.name === 'Convolution28')?.opType, 'ConvInteger');
  assert.equal(dyn.graph.nodes.find((n) => n.name === 'Times212')?.opType, 'MatMulInteger');
  assert.ok(dyn.graph.nodes.some((n) => n.outputs.includes('Plus30_Output_0')) && dyn.graph.nodes.some((n) => n.name === 'Pooling66'));
  assert.deepEqual([dyn.graph.inputs.map((v) => v.name), dyn.graph.outputs.map((v) => v.name)], [['Input3'], ['Plus214_Output_0']]);
  assert.equal(d.agree, 1);
  assert.equal(h.agree, 1);
  assert.ok(Math.abs(h.ours - f.ours) <= 0.005);
  const cmp = await compareModels(floatBytes, db, images.slice(0, 20).map((x) => ({ Input3: { type: 'float32', dims: [1, 1, 28, 28], data: x } })));
  assert.ok(cmp.outputs[0]!.snrDb > 20, `SNR ${cmp.outputs[0]!.snrDb}`);
});

function tiny(): Uint8Array {
  const b = new GraphBuilder('t', { '': 13 });
  b.input('x', 'float32', [2, 3]);
  const y = b.op('Relu', ['x']);
  b.node('Softmax', [y], { axis: -1 }, { outputs: ['y'] });
  b.output('y', 'float32', [2, 3]);
  return exportOnnx(b.build());
}

test('nothing to quantize: empty report, graph unchanged', async () => {
  const r = await quantize(tiny(), { mode: 'dynamic' });
  assert.equal(r.report.quantized.length, 0);
  assert.deepEqual(r.graph.nodes.map((n) => n.opType), ['Relu', 'Softmax']);
});

test('excluding everything quantizes nothing and says why', async () => {
  const r = await quantize(mnistModel, { mode: 'dynamic', exclude: ['Convolution28', 'Convolution110', 'Times212'] });
  assert.equal(r.report.quantized.length, 0);
  assert.equal(r.report.skipped.length, 3);
  assert.ok(r.report.skipped.every((e) => e.detail.includes('excluded')));
}, );

test('unknown mode is an OptiflowError', async () => {
  await assert.rejects(quantize(tiny(), { mode: 'int4' as 'dynamic' }), (e: unknown) => e instanceof OptiflowError && e.code === 'invalid_argument');
});

test('skipZeros with a method other than entropy is an invalid_argument error naming the method', async () => {
  await assert.rejects(quantize(tiny(), { mode: 'static', method: 'minmax', skipZeros: true }),
    (e: unknown) => e instanceof OptiflowError && e.code === 'invalid_argument' && /entropy method only.*'minmax'/.test(e.message));
});

test('Gemm (transB, alpha, beta, C) dynamic: close to onnxruntime on the float model', async () => {
  const b = new GraphBuilder('g', { '': 13 });
  b.input('x', 'float32', [3, 4]);
  const w = Float32Array.from({ length: 20 }, (_, i) => Math.sin(i + 1));
  const c = Float32Array.from({ length: 5 }, (_, i) => i / 5 - 0.4);
  b.node('Gemm', ['x', b.float('w', [5, 4], w), b.float('c', [5], c)], { transB: 1, alpha: { type: 'float', value: 0.5 }, beta: { type: 'float', value: 2 } }, { outputs: ['y'] });
  b.output('y', 'float32', [3, 5]);
  const bytes = exportOnnx(b.build());
  const q = await quantize(bytes, { mode: 'dynamic' });
  assert.equal(q.report.quantized.length, 1);
  const x = Float32Array.from({ length: 12 }, (_, i) => Math.cos(i * 0.7));
  const want = (await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor('float32', x, [3, 4]) })).y!.data as Float32Array;
  const got = (await (await ort.InferenceSession.create(q.bytes())).run({ x: new ort.Tensor('float32', x, [3, 4]) })).y!.data as Float32Array;
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i]! - got[i]!) < 0.05, `${i}: ${got[i]} vs ${want[i]}`);
});
