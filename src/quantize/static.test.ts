import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import test from 'node:test';
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../ir/tensor-data.js';
import { InferenceSession, Tensor } from '../index.js';
import { sharedTestdata, skipUnless } from '../testing/paths.js';
import { quantize } from './index.js';

const mnistModel = join(sharedTestdata(), 'models', 'onnx', 'mnist-8_cntk', 'mnist.onnx');
const mnistData = join(sharedTestdata(), 'models', 'data', 'mnist');

/** MNIST t10k images [first, first+n) as raw 0..255 float32 [1,1,28,28] and their labels. */
function mnist(first: number, n: number): { images: Float32Array[]; labels: number[] } {
  const img = gunzipSync(readFileSync(join(mnistData, 't10k-images-idx3-ubyte.gz')));
  const lab = gunzipSync(readFileSync(join(mnistData, 't10k-labels-idx1-ubyte.gz')));
  const images: Float32Array[] = []; const labels: number[] = [];
  for (let i = first; i < first + n; i++) {
    images.push(Float32Array.from(img.subarray(16 + i * 784, 16 + (i + 1) * 784)));
    labels.push(lab[8 + i]!);
  }
  return { images, labels };
}

function argmax(v: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[k]!) k = i;
  return k;
}

// The bar: entropy calibration on 500 digits held apart (t10k 0..499); evaluation on 2,000 other
// digits (t10k 500..2499) to keep the unit test fast — the full 9,500 are measured by the lead's
// report script (see the closing note).
const CAL = 500; const EVAL = 2000;

test('MNIST static int8 (entropy, 500 calibration digits) keeps accuracy within 0.5 points and runs in onnxruntime',
  { skip: skipUnless(join(mnistData, 't10k-images-idx3-ubyte.gz')) || skipUnless(mnistModel) }, async () => {
    const floatBytes = readFileSync(mnistModel);
    const cal = mnist(0, CAL).images.map((d): Record<string, TensorData> => ({ Input3: { type: 'float32', dims: [1, 1, 28, 28], data: d } }));
    const r = await quantize(floatBytes, { mode: 'static', method: 'entropy', calibration: cal });
    assert.deepEqual(r.report.quantized.map((e) => e.opType), ['Conv', 'MaxPool', 'Conv', 'MaxPool', 'MatMul']);
    const qb = r.bytes();
    // The int8 weights, scales, zero points, float biases and the Reshape shape are 6,261 B of
    // data (0.237× the 26,454 B float file); 22 nodes (1,267 B, of which 13 Q/DQ nodes ~580 B; the
    // original activation and node names kept), tensor headers and the graph's I/O put the file at
    // 7,827 B, 0.296× (it was 9,974 B, 0.377×, with long derived names, one scale and zero point
    // initializer per tensor and explicit zero weight zero points; see names.ts and compact.ts).
    assert.ok(qb.length <= 0.3 * floatBytes.length, `static file ${qb.length} vs float ${floatBytes.length}`);
    assert.deepEqual(r.graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'MatMul' || n.opType === 'MaxPool').map((n) => n.name),
      ['Convolution28', 'Pooling66', 'Convolution110', 'Pooling160', 'Times212']);
    const sf = await InferenceSession.create(floatBytes);
    const sq = await InferenceSession.create(qb);
    const so = await ort.InferenceSession.create(qb);
    const { images, labels } = mnist(CAL, EVAL);
    let float = 0; let quant = 0; let same = 0;
    for (let i = 0; i < images.length; i++) {
      const x = images[i]!;
      const f = argmax((await sf.run({ Input3: new Tensor('float32', x, [1, 1, 28, 28]) }))[sf.outputNames[0]!]!.data as Float32Array);
      const q = argmax((await sq.run({ Input3: new Tensor('float32', x, [1, 1, 28, 28]) }))[sq.outputNames[0]!]!.data as Float32Array);
      const o = argmax((await so.run({ Input3: new ort.Tensor('float32', x, [1, 1, 28, 28]) }))[so.outputNames[0]!]!.data as Float32Array);
      if (f === labels[i]) float++;
      if (q === labels[i]) quant++;
      if (q === o) same++;
    }
    assert.equal(same, images.length, 'the same top-1 as onnxruntime-node on every evaluation digit');
    assert.ok((float - quant) / images.length <= 0.005, `float ${float}/${images.length}, int8 ${quant}/${images.length}`);
  });
