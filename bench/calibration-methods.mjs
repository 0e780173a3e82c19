#!/usr/bin/env node
/**
 * Static int8 accuracy per calibration method: minmax, entropy with exact zeros kept (TensorRT's
 * algorithm as published), entropy with zeros left out (optiflow's default) and percentile 99.999.
 * - MNIST (`../shared/testdata/models/onnx/mnist-8_cntk`, skipped with a message when absent):
 *   calibration on t10k digits 0..499, evaluation on the next `--digits` (default 9,500): accuracy
 *   vs the labels and the float model, and output SNR.
 * - The built-in MobileNet v1 and ResNet-50: 8 seeded calibration inputs and 8 other seeded
 *   evaluation inputs: top-1 agreement with float32 and output SNR.
 * Runs on the default backends. SNR = 10·log10(Σ float² / Σ (float − int8)²) over all outputs.
 * Usage: node bench/calibration-methods.mjs [--digits 9500] [--models mobilenet_v1,resnet50] [--dist DIR]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { argmax, loadOptiflow } from './quantize-common.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  digits: { type: 'string', default: '9500' }, models: { type: 'string', default: 'mobilenet_v1,resnet50' },
  dist: { type: 'string', default: join(root, 'dist') },
} });
const { InferenceSession, Tensor, quantize, ZOO, exportOnnx, sharedTestdata } = await loadOptiflow(args.dist);

const METHODS = [
  ['minmax', { method: 'minmax' }],
  ['entropy, zeros kept', { method: 'entropy', skipZeros: false }],
  ['entropy (default)', { method: 'entropy' }],
  ['percentile 99.999', { method: 'percentile' }],
];
const first = async (s, feeds) => Float32Array.from(Object.values(await s.run(feeds))[0].data);

/** Runs `examples` through float and each quantized model; `label(i)` optional. */
async function evaluate(name, floatBytes, calibration, examples, label) {
  const sf = await InferenceSession.create(floatBytes);
  const ref = []; let floatOk = 0;
  for (let i = 0; i < examples.length; i++) { const y = await first(sf, examples[i]); ref.push(y); if (label && argmax(y) === label(i)) floatOk++; }
  await sf.release();
  process.stdout.write(`${name}${label ? `: float32 accuracy ${(100 * floatOk / examples.length).toFixed(2)}%` : ''} on ${examples.length} inputs\n`);
  for (const [m, o] of METHODS) {
    const sq = await InferenceSession.create((await quantize(floatBytes, { mode: 'static', calibration, ...o })).bytes());
    let ok = 0; let agree = 0; let sig = 0; let err = 0;
    for (let i = 0; i < examples.length; i++) {
      const y = await first(sq, examples[i]); const f = ref[i];
      if (label && argmax(y) === label(i)) ok++;
      if (argmax(y) === argmax(f)) agree++;
      for (let k = 0; k < y.length; k++) { sig += f[k] ** 2; err += (f[k] - y[k]) ** 2; }
    }
    await sq.release();
    const acc = label ? `accuracy ${(100 * ok / examples.length).toFixed(2)}% (${(100 * (ok - floatOk) / examples.length).toFixed(2)} points), ` : '';
    process.stdout.write(`  ${m.padEnd(20)} ${acc}top-1 = float ${agree}/${examples.length}, SNR ${(10 * Math.log10(sig / err)).toFixed(1)} dB\n`);
  }
}

const mnistModel = join(sharedTestdata(), 'models', 'onnx', 'mnist-8_cntk', 'mnist.onnx');
const mnistData = join(sharedTestdata(), 'models', 'data', 'mnist');
if (existsSync(mnistModel) && existsSync(join(mnistData, 't10k-images-idx3-ubyte.gz'))) {
  const img = gunzipSync(readFileSync(join(mnistData, 't10k-images-idx3-ubyte.gz')));
  const lab = gunzipSync(readFileSync(join(mnistData, 't10k-labels-idx1-ubyte.gz')));
  const digit = (i) => ({ Input3: new Tensor('float32', Float32Array.from(img.subarray(16 + i * 784, 16 + (i + 1) * 784)), [1, 1, 28, 28]) });
  const n = Math.min(Number(args.digits), 9500);
  const cal = Array.from({ length: 500 }, (_, i) => { const t = digit(i).Input3; return { Input3: { type: 'float32', dims: [1, 1, 28, 28], data: t.data } }; });
  await evaluate('mnist-8', readFileSync(mnistModel), cal, Array.from({ length: n }, (_, i) => digit(500 + i)), (i) => lab[8 + 500 + i]);
} else {
  process.stdout.write(`mnist-8: skipped (no ${mnistModel} or MNIST data under ${mnistData})\n`);
}
for (const m of args.models.split(',')) {
  const z = ZOO[m];
  await evaluate(m, exportOnnx(z.build()), [0, 1, 2, 3, 4, 5, 6, 7].map((s) => z.inputs(1, s + 10)), [0, 1, 2, 3, 4, 5, 6, 7].map((s) => z.inputs(1, s + 100)));
}
