import test from 'node:test';
import { compareWithJs, randomF32, rng, single } from './shape-harness.js';

const r = rng(31);

test('Softmax and LogSoftmax (opset 13) along every axis, negative axes included', async () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const axis of [-1, 0, 1, 2, -2]) await compareWithJs(single(op, [randomF32(r, [3, 7, 13], -20, 20)], { axis }), { tol: 1e-5 });
    await compareWithJs(single(op, [randomF32(r, [2, 4, 128], -8, 8)]), { tol: 1e-5 });
    await compareWithJs(single(op, [randomF32(r, [5, 1])], { axis: 0 }), { tol: 1e-5 });
  }
});

test('Softmax before opset 13 normalizes the coerced 2-D rows', async () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const axis of [0, 1, 2, -1]) await compareWithJs(single(op, [randomF32(r, [2, 3, 5], -10, 10)], { axis }, { opset: 11 }), { tol: 1e-5 });
    await compareWithJs(single(op, [randomF32(r, [2, 3, 5], -10, 10)], {}, { opset: 11 }), { tol: 1e-5 });
  }
});

test('Softmax of large magnitudes stays finite (max subtracted)', async () => {
  await compareWithJs(single('Softmax', [randomF32(r, [4, 37], -1000, 1000)]), { tol: 1e-5 });
});
