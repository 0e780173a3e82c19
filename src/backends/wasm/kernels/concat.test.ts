import test from 'node:test';
import { compareWithJs, randomF32, rng, single } from './shape-harness.js';

const r = rng(71);

test('Concat along every axis (negative included), with an empty input and a constant', async () => {
  for (const axis of [0, 1, 2, -1]) {
    const d = (k: number) => [2, 3, 4].map((n, i) => (i === (axis + 3) % 3 ? k : n));
    await compareWithJs(single('Concat', [randomF32(r, d(1)), randomF32(r, d(5)), randomF32(r, d(0)), randomF32(r, d(2))], { axis }), { tol: 0 });
  }
  await compareWithJs(single('Concat', [randomF32(r, [3, 2]), randomF32(r, [3, 7])], { axis: 1 }, { constants: [0] }), { tol: 0 });
  await compareWithJs(single('Concat', [randomF32(r, [9])], { axis: 0 }), { tol: 0 });
});
