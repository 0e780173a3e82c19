/**
 * Whole models with `webgpu` first in the backend list (`['webgpu', 'wasm', 'js']`): the built-in
 * zoo models against `['wasm', 'js']`, the real models in `../shared/testdata/models/onnx/` against
 * their reference outputs (onnxruntime's or the model zoo's) and the `js` backend; same top-1,
 * outputs within 1e-4 relative, and most nodes placed on `webgpu`.
 *
 * SwiftShader (software Vulkan) is slow: on this 2-core machine ResNet-50 batch 1 and
 * super-resolution-10 take 35-50 s each (test included; the whole file ~110 s); a case marked `slow` would run only with
 * `OPTIFLOW_SLOW_TESTS=1` (none is, while each stays under a minute). Skips, saying why, when no
 * adapter exists or shared test data is absent.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { exportOnnx } from '../../exporters/onnx/export.js';
import { decodeTensorProto } from '../../importers/onnx/tensor-proto.js';
import { InferenceSession, Tensor } from '../../index.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { relativeError } from '../../testing/compare.js';
import { sharedTestdata, skipUnless } from '../../testing/paths.js';
import { ZOO } from '../../zoo/index.js';
import { gpuTestSkipReason } from './testing.js';

const GPU_FIRST = ['webgpu', 'wasm', 'js'];
const SLOW = process.env.OPTIFLOW_SLOW_TESTS === '1';
const SLOW_SKIP = 'slow on SwiftShader (minutes); set OPTIFLOW_SLOW_TESTS=1';
const models = join(sharedTestdata(), 'models', 'onnx');
const mnistData = join(sharedTestdata(), 'models', 'data', 'mnist');

function argmax(v: ArrayLike<number>, from = 0, n = v.length): number {
  let k = from;
  for (let i = from + 1; i < from + n; i++) if (v[i]! > v[k]!) k = i;
  return k - from;
}

/** Share of nodes placed on `webgpu`, with the others listed for the failure message. */
function gpuShare(s: InferenceSession): { share: number; others: string } {
  const gpu = s.placements.filter((p) => p.backend === 'webgpu').length;
  const others = s.placements.filter((p) => p.backend !== 'webgpu').map((p) => `${p.node} (${p.opType}) on ${p.backend}: ${p.cause}`);
  return { share: gpu / s.placements.length, others: others.join('; ') };
}

/** Runs `model` GPU-first and on `reference`; checks placement share, dims, 1e-4 relative error. */
async function compareRuns(model: string | Uint8Array, feeds: Record<string, TensorData>, reference: string[], minShare: number): Promise<Record<string, Tensor>> {
  const gpu = await InferenceSession.create(model, { executionProviders: GPU_FIRST });
  let got: Record<string, Tensor>;
  try {
    const { share, others } = gpuShare(gpu);
    assert.ok(share >= minShare, `only ${(share * 100).toFixed(0)}% of nodes on webgpu; elsewhere: ${others}`);
    got = await gpu.run(feeds);
  } finally {
    await gpu.release();
  }
  const ref = await InferenceSession.create(model, { executionProviders: reference });
  try {
    const want = await ref.run(feeds);
    for (const [k, w] of Object.entries(want)) {
      assert.deepEqual(got[k]!.dims, w.dims, k);
      const e = relativeError(got[k]!.data as Float32Array, w.data as Float32Array);
      assert.ok(e <= 1e-4, `${k}: relative error ${e} vs ${reference.join(',')}`);
    }
  } finally {
    await ref.release();
  }
  return got;
}

const ZOO_CASES: { name: string; batch: number; minShare: number; slow: boolean; top1?: string }[] = [
  { name: 'mobilenet_v1', batch: 1, minShare: 1, slow: false, top1: 'probabilities' },
  // Embedding Gather (int64 ids) and the mask's Cast stay on the CPU.
  { name: 'bert', batch: 1, minShare: 0.9, slow: false },
  { name: 'resnet50', batch: 1, minShare: 1, slow: false, top1: 'logits' },
];

for (const c of ZOO_CASES) {
  test(`webgpu ${c.name} batch ${c.batch} matches wasm,js (1e-4 relative${c.top1 ? ', same top-1 as onnxruntime' : ''})`, { skip: c.slow && !SLOW ? SLOW_SKIP : false }, async (t) => {
    const why = await gpuTestSkipReason();
    if (why) return t.skip(why);
    const m = ZOO[c.name]!;
    const feeds = m.inputs(c.batch);
    const bytes = exportOnnx(m.build());
    const got = await compareRuns(bytes, feeds, ['wasm', 'js'], c.minShare);
    if (c.top1) {
      // Top-1 against onnxruntime-node's (a peer runtime) on the same bytes.
      const ort = await import('onnxruntime-node');
      const s = await ort.InferenceSession.create(bytes);
      const x = feeds['input']!;
      const r = await s.run({ input: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) });
      const want = r[c.top1]!.data as Float32Array;
      const mine = got[c.top1]!.data as Float32Array;
      const classes = want.length / c.batch;
      for (let b = 0; b < c.batch; b++) assert.equal(argmax(mine, b * classes, classes), argmax(want, b * classes, classes), `top-1 of example ${b}`);
    }
  });
}

/** Input 0 and output 0 of a model's `test_data_set_0`. */
function referenceData(dir: string, outFile: string): { x: TensorData; want: TensorData } {
  return {
    x: decodeTensorProto(readFileSync(join(dir, 'test_data_set_0', 'input_0.pb'))),
    want: decodeTensorProto(readFileSync(join(dir, 'test_data_set_0', outFile))),
  };
}

const REAL: { dir: string; file: string; ref: string; slow: boolean; top1?: boolean }[] = [
  { dir: 'mnist-8_cntk', file: 'mnist.onnx', ref: 'output_0.pb', slow: false, top1: true },
  { dir: 'msra_190729_bg_segmentation', file: 'msra_190729.onnx', ref: 'output_0.pb', slow: false },
  { dir: 'super_resolution_10', file: 'super-resolution-10.onnx', ref: 'ort_generated_output_0.pb', slow: false },
];

for (const c of REAL) {
  const dir = join(models, c.dir);
  const skip = skipUnless(dir) || (c.slow && !SLOW ? SLOW_SKIP : false);
  test(`webgpu ${c.dir} matches its reference output and js (1e-4 relative)`, { skip }, async (t) => {
    const why = await gpuTestSkipReason();
    if (why) return t.skip(why);
    const { x, want } = referenceData(dir, c.ref);
    const path = join(dir, c.file);
    const probe = await InferenceSession.create(path, { executionProviders: ['js'] });
    const input = probe.inputNames[0]!;
    const output = probe.outputNames[0]!;
    await probe.release();
    const got = (await compareRuns(path, { [input]: x }, ['js'], 1))[output]!;
    assert.deepEqual(got.dims, want.dims);
    const e = relativeError(got.data as Float32Array, want.data as Float32Array);
    assert.ok(e <= 1e-4, `relative error ${e} vs the reference output`);
    if (c.top1) assert.equal(argmax(got.data as Float32Array), argmax(want.data as Float32Array));
  });
}

test('webgpu cnn_mnist_pytorch classifies the labelled sample PNGs and matches js', { skip: skipUnless(join(models, 'cnn_mnist_pytorch')) || skipUnless(join(mnistData, 'sample0.png')) }, async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const path = join(models, 'cnn_mnist_pytorch', 'cnn_mnist_pytorch.onnx');
  const gpu = await InferenceSession.create(path, { executionProviders: GPU_FIRST });
  const js = await InferenceSession.create(path, { executionProviders: ['js'] });
  try {
    assert.equal(gpuShare(gpu).share, 1, gpuShare(gpu).others);
    const images: Uint8Array[] = [];
    for (let d = 0; d <= 9; d++) {
      const png = PNG.sync.read(readFileSync(join(mnistData, `sample${d}.png`)), { skipRescale: true });
      images.push(Uint8Array.from({ length: 784 }, (_, i) => png.data[i * 4]!));
    }
    // The ten samples (label = file name); the MNIST test set runs in src/runtime/real-models.test.ts.
    for (let d = 0; d < images.length; d++) {
      const x = new Tensor('float32', Float32Array.from(images[d]!, (v) => (v / 255 - 0.1307) / 0.3081), [1, 1, 28, 28]);
      const feeds = { [gpu.inputNames[0]!]: x };
      const got = (await gpu.run(feeds))[gpu.outputNames[0]!]!;
      const want = (await js.run(feeds))[js.outputNames[0]!]!;
      assert.equal(argmax(got.data as Float32Array), d, `sample${d}.png`);
      const e = relativeError(got.data as Float32Array, want.data as Float32Array);
      assert.ok(e <= 1e-4, `sample${d}.png: relative error ${e} vs js`);
    }
  } finally {
    await gpu.release();
    await js.release();
  }
});
