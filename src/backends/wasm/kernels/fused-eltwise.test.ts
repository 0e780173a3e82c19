import assert from 'node:assert/strict';
import test from 'node:test';
import { operandAccess } from './fused-eltwise.js';
import { comparePattern } from './pattern-harness.js';
import { randomF32, rng } from './shape-harness.js';

const r = rng(7);

test('operandAccess: in place, scalar, trailing vector, per-channel; undefined for a split broadcast', () => {
  const big = 0x40000000;
  assert.deepEqual(operandAccess([2, 3, 4], [2, 3, 4]), { C: 1, inner: big, cs: 0, is: 1 });
  assert.deepEqual(operandAccess([1, 3, 4], [1, 3, 4]), { C: 1, inner: big, cs: 0, is: 1 });
  assert.deepEqual(operandAccess([], [2, 3]), { C: 1, inner: big, cs: 0, is: 0 });
  assert.deepEqual(operandAccess([1, 1], [2, 3]), { C: 1, inner: big, cs: 0, is: 0 });
  assert.deepEqual(operandAccess([4], [2, 3, 4]), { C: 1, inner: 4, cs: 0, is: 1 });
  assert.deepEqual(operandAccess([3, 4], [2, 3, 4]), { C: 1, inner: 12, cs: 0, is: 1 });
  assert.deepEqual(operandAccess([3, 1, 1], [2, 3, 5, 7]), { C: 3, inner: 35, cs: 1, is: 0 });
  assert.deepEqual(operandAccess([2, 3, 1], [2, 3, 5]), { C: 6, inner: 5, cs: 1, is: 0 });
  assert.equal(operandAccess([3, 1, 7], [2, 3, 5, 7]), undefined);
});

const ew = (program: string, inputs: ReturnType<typeof randomF32>[], constants?: number[]) =>
  comparePattern({ op: 'FusedElementwise', inputs, attrs: { program }, constants });

test('FusedElementwise: the erf GELU chain and a chain of every unary op on odd sizes', async () => {
  await ew('t0=Div(x0,1.4142135623730951);t1=Erf(t0);t2=Add(t1,1);t3=Mul(x0,t2);y=Mul(t3,0.5)', [randomF32(r, [3, 1031], -5, 5)]);
  const unary = ['Relu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Neg', 'Abs', 'Floor', 'Ceil', 'Sin', 'Cos', 'Softplus', 'Softsign'];
  for (const op of unary) await ew(`t0=Mul(x0,1.5);y=${op}(t0)`, [randomF32(r, [7, 13], -4, 4)]);
  for (const op of ['Log', 'Sqrt', 'Reciprocal']) await ew(`t0=Abs(x0);t1=Add(t0,0.25);y=${op}(t1)`, [randomF32(r, [5, 201])]);
  await ew('t0=Clip(x0,-0.5,0.75);y=Mul(t0,x1)', [randomF32(r, [4, 33]), randomF32(r, [4, 33])]);
});

test('FusedElementwise: every binary op with scalar, trailing-vector and per-channel operands', async () => {
  const x = () => randomF32(r, [2, 5, 9, 11], 0.5, 2);
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min']) {
    await ew(`t0=${op}(x0,x1);y=Add(t0,x2)`, [x(), randomF32(r, [11], 0.5, 2), randomF32(r, [5, 1, 1], 0.5, 2)]);
    await ew(`t0=${op}(x1,x0);y=Sub(x2,t0)`, [x(), randomF32(r, [1], 0.5, 2), randomF32(r, [2, 5, 1, 1], 0.5, 2)]);
  }
  // Operand slices crossing chunk boundaries: trailing vectors longer than a chunk, short per-channel runs.
  await ew('t0=Mul(x0,x1);y=Add(t0,x2)', [randomF32(r, [3, 700]), randomF32(r, [700]), randomF32(r, [3, 1])]);
  await ew('t0=Mul(x0,x1);y=Add(t0,x2)', [randomF32(r, [37, 3, 3]), randomF32(r, [37, 1, 1]), randomF32(r, [3, 3])]);
});

test('FusedElementwise: constants, scalar-only steps, broadcasting of the output and general broadcasts', async () => {
  await ew('t0=Mul(x0,x1);y=Add(t0,x2)', [randomF32(r, [6, 64]), randomF32(r, [64]), randomF32(r, [6, 1])], [1, 2]);
  await ew('t0=Exp(x1);t1=Add(t0,2);y=Mul(x0,t1)', [randomF32(r, [3, 10]), randomF32(r, [1])]);
  await ew('t0=Sqrt(4);y=Add(x0,t0)', [randomF32(r, [9])]);
  await ew('y=Add(x0,x1)', [randomF32(r, [4, 1]), randomF32(r, [1, 6])]);
  await ew('t0=Mul(x0,x1);y=Sub(t0,x2)', [randomF32(r, [2, 3, 5, 7]), randomF32(r, [3, 1, 7]), randomF32(r, [2, 1, 5, 1])]);
  await ew('t0=Add(x0,1);y=Mul(t0,t0)', [randomF32(r, [1, 1])]);
});

test('FusedElementwise: NaN and infinities pass through as the separate ops give them', async () => {
  const x = randomF32(r, [2, 9]);
  const d = x.data as Float32Array;
  d[0] = NaN; d[1] = Infinity; d[2] = -Infinity; d[3] = 0; d[4] = -0;
  await ew('t0=Relu(x0);t1=Max(t0,x0);t2=Div(1,x0);y=Add(t1,t2)', [x]);
});
