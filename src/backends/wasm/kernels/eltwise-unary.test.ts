import test from 'node:test';
import type { TensorData } from '../../../ir/tensor-data.js';
import { compareWithJs, randomF32, rng, single } from './shape-harness.js';

const r = rng(5);

/** Inputs with a tail (1027 = 256·4 + 3) over [lo, hi), plus special values at the front. */
function input(lo: number, hi: number, specials: readonly number[] = []): TensorData {
  const t = randomF32(r, [1027], lo, hi);
  (t.data as Float32Array).set(specials);
  return t;
}

/** op → [lo, hi, tolerance]; the polynomial functions are held to 2e-6. */
const CASES: Record<string, [number, number, number]> = {
  Relu: [-5, 5, 0], Neg: [-5, 5, 0], Abs: [-5, 5, 0], Sqrt: [0, 100, 0], Reciprocal: [0.5, 9, 0],
  Exp: [-87, 88, 2e-6], Sigmoid: [-30, 30, 2e-6], Tanh: [-12, 12, 2e-6], Erf: [-5, 5, 2e-6],
  Log: [1e-3, 1e3, 2e-6], Softplus: [-30, 40, 2e-6], HardSwish: [-5, 5, 1e-6],
  Floor: [-50, 50, 0], Ceil: [-50, 50, 0], Sin: [-100, 100, 2e-6], Cos: [-100, 100, 2e-6], Softsign: [-50, 50, 1e-6],
};

for (const [op, [lo, hi, tol]] of Object.entries(CASES)) {
  test(`${op} matches js within ${tol}`, async () => {
    const specials = op === 'Sqrt' || op === 'Log' || op === 'Reciprocal' ? [] : [0, -0, 1e-30, -1e-30, NaN];
    await compareWithJs(single(op, [input(lo, hi, specials)]), { tol: Math.max(tol, 1e-7) });
  });
}

test('Exp, Sigmoid and Tanh saturate like the reference', async () => {
  for (const op of ['Exp', 'Sigmoid', 'Tanh']) {
    await compareWithJs(single(op, [input(-200, 200, [Infinity, -Infinity, 88.9, -104, 200])]), { tol: 2e-6 });
  }
});

test('LeakyRelu and HardSigmoid take their attributes', async () => {
  await compareWithJs(single('LeakyRelu', [input(-5, 5)], { alpha: 0.3 }), { tol: 1e-6 });
  await compareWithJs(single('HardSigmoid', [input(-8, 8)], { alpha: 0.25, beta: 0.4 }), { tol: 1e-6 });
});

test('Gelu (opset 20), exact and tanh forms', async () => {
  await compareWithJs(single('Gelu', [input(-6, 6)], {}, { opset: 20 }), { tol: 2e-6 });
  await compareWithJs(single('Gelu', [input(-6, 6)], { approximate: 'tanh' }, { opset: 20 }), { tol: 2e-6 });
});

test('Clip: attribute bounds before opset 11, optional inputs after', async () => {
  await compareWithJs(single('Clip', [input(-9, 9)], { min: -1.5, max: 2 }, { opset: 6 }));
  await compareWithJs(single('Clip', [input(-9, 9)], {}, { opset: 6 }));
  const lo = { type: 'float32' as const, dims: [], data: Float32Array.of(0) };
  const hi = { type: 'float32' as const, dims: [], data: Float32Array.of(6) };
  await compareWithJs(single('Clip', [input(-9, 9), lo, hi], {}, { opset: 13, constants: [1, 2] }));
  await compareWithJs(single('Clip', [input(-9, 9), undefined, hi], {}, { opset: 13 }));
  await compareWithJs(single('Clip', [input(-9, 9), lo], {}, { opset: 12 }));
  await compareWithJs(single('Clip', [input(-9, 9)], {}, { opset: 13 }));
});
