import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkAgainstJs, randInt, randTensor, rng } from './a-testutil.js';
import { gpuBatchNormalization, gpuLayerNormalization, gpuOptiflowLayerNormalization } from './norm.js';

test('webgpu LayerNormalization (ONNX-17 and optiflow): axes, optional B, Mean/InvStdDev outputs vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(50);
  const cases: [number[], number, boolean, number][] = [
    [[2, 3, 16], -1, true, 1], [[2, 3, 4, 5], 2, false, 3], [[5, 130], 1, true, 3], [[3, 4, 6], 0, true, 1],
  ];
  cases.push([[randInt(r, 1, 4), randInt(r, 1, 70)], -1, true, 1]);
  for (const [x, axis, withB, outputCount] of cases) {
    const a = axis < 0 ? axis + x.length : axis;
    const norm = x.slice(a);
    const inputs = [randTensor(r, x, 3), randTensor(r, norm), ...(withB ? [randTensor(r, norm)] : [])];
    const attrs = { axis, epsilon: { float: 1e-3 } };
    await checkAgainstJs(gpuLayerNormalization, { opType: 'LayerNormalization', opset: 17, inputs, attrs, outputCount, constantInputs: [1, 2] },
      `LayerNormalization [${x}] axis=${axis}`);
    await checkAgainstJs(gpuOptiflowLayerNormalization, { opType: 'LayerNormalization', domain: 'optiflow', opset: 1, inputs, attrs, outputCount },
      `optiflow::LayerNormalization [${x}] axis=${axis}`);
  }
});

test('webgpu BatchNormalization (inference) vs js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(51);
  for (const [x, opset] of [[[2, 3, 5, 4], 15], [[3, 4], 9], [[1, 5, 7], 14], [[2, 2, 3, 2, 2], 15]] as [number[], number][]) {
    const c = x[1]!;
    const variance = randTensor(r, [c]);
    (variance.data as Float32Array).forEach((v, i, d) => { d[i] = Math.abs(v) + 0.1; });
    await checkAgainstJs(gpuBatchNormalization, {
      opType: 'BatchNormalization', opset, attrs: { epsilon: { float: 1e-3 } }, constantInputs: [1, 2, 3, 4],
      inputs: [randTensor(r, x, 2), randTensor(r, [c]), randTensor(r, [c]), randTensor(r, [c]), variance],
    }, `BatchNormalization [${x}] opset ${opset}`);
  }
});
