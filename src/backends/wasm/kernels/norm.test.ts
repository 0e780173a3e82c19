import test from 'node:test';
import { compareWithJs, randomF32, rng, single } from './shape-harness.js';

const r = rng(41);

function bnInputs(c: number) {
  const v = randomF32(r, [c], 0.1, 2);
  return [randomF32(r, [c], 0.5, 1.5), randomF32(r, [c]), randomF32(r, [c]), v];
}

test('BatchNormalization (inference) with constant statistics, NCHW and [N,C]', async () => {
  for (const dims of [[2, 3, 5, 7], [1, 16, 9, 9], [4, 6], [2, 3, 11]]) {
    await compareWithJs(single('BatchNormalization', [randomF32(r, dims), ...bnInputs(dims[1]!)], { epsilon: 1e-3 }, { constants: [1, 2, 3, 4], opset: 15 }), { tol: 1e-5 });
  }
});

test('BatchNormalization with statistics as graph inputs', async () => {
  await compareWithJs(single('BatchNormalization', [randomF32(r, [2, 4, 3, 3]), ...bnInputs(4)], {}, { opset: 9 }), { tol: 1e-5 });
});

test('BatchNormalization in training mode falls back to js', async () => {
  await compareWithJs(single('BatchNormalization', [randomF32(r, [2, 4, 3, 3]), ...bnInputs(4)], { training_mode: 1 }, { constants: [1, 2, 3, 4], opset: 15, outputs: 3 }), { onWasm: [], onJs: ['BatchNormalization'] });
});

test('LayerNormalization over the last axes, with and without bias, constant or not', async () => {
  await compareWithJs(single('LayerNormalization', [randomF32(r, [2, 7, 64], -3, 5), randomF32(r, [64]), randomF32(r, [64])], { epsilon: 1e-12 }, { constants: [1, 2] }), { tol: 1e-5 });
  await compareWithJs(single('LayerNormalization', [randomF32(r, [3, 5, 13]), randomF32(r, [5, 13])], { axis: -2 }), { tol: 1e-5 });
  await compareWithJs(single('LayerNormalization', [randomF32(r, [3, 5, 13]), randomF32(r, [13]), randomF32(r, [1])], { axis: 1 }, { constants: [1, 2] }), { tol: 1e-5 });
  await compareWithJs(single('LayerNormalization', [randomF32(r, [6, 1]), randomF32(r, [1])], { axis: 0 }), { tol: 1e-5 });
});

test('LayerNormalization with the Mean and InvStdDev outputs (one omitted)', async () => {
  await compareWithJs(single('LayerNormalization', [randomF32(r, [4, 3, 10]), randomF32(r, [10]), randomF32(r, [10])], {}, { outputs: 3 }), { tol: 1e-5 });
  const g = single('LayerNormalization', [randomF32(r, [4, 10]), randomF32(r, [10])], {});
  g.nodes[0]!.outputs = ['y', '', 'inv'];
  g.outputs = ['y', 'inv'];
  await compareWithJs(g, { tol: 1e-5 });
});
