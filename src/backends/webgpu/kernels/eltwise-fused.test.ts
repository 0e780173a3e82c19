import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkVsJs, randDims, randF32, rng } from './b-test-util.js';
import { programWgsl } from './eltwise-fused.js';

const NODE = { name: 'f', opType: 'FusedElementwise', domain: 'optiflow', inputs: ['a', 'b'], outputs: ['y'], attributes: new Map() };

test('a fused program becomes one shader body: temporaries as lets, literals bit-exact', () => {
  const { body, expr } = programWgsl('t0=Mul(x0,0.5);t1=Add(t0,x1);y=Clip(t1,-Infinity,6)', 2, NODE);
  assert.match(body, /let t0 = \(v0 \* bitcast<f32>\(1056964608u\)\);/);
  assert.match(body, /let t1 = \(t0 \+ v1\);/);
  assert.equal(expr, 'min_f(max_f(t1, (-inf_f())), bitcast<f32>(1086324736u))');
});

test('FusedElementwise matches js on random shapes and broadcasting', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(11);
  const programs: [string, number][] = [
    ['t0=Mul(x0,0.7071067811865476);t1=Erf(t0);t2=Add(t1,1);t3=Mul(x0,t2);y=Mul(t3,0.5)', 1],
    ['t0=Add(x0,x1);y=Relu(t0)', 2],
    ['t0=Sub(x0,x1);t1=Mul(t0,t0);t2=Add(t1,1e-5);t3=Sqrt(t2);y=Div(x2,t3)', 3],
    ['t0=Sigmoid(x0);t1=Mul(x0,t0);t2=Tanh(t1);t3=Softplus(t2);t4=Pow(t3,2);t5=Max(t4,x1);y=Clip(t5,0,6)', 2],
    ['t0=Exp(x0);t1=Log(t0);t2=Abs(t1);t3=Neg(t2);t4=Reciprocal(t3);t5=Floor(x1);t6=Ceil(x1);t7=Min(t5,t6);t8=Sin(t7);t9=Cos(t4);y=Softsign(t9)', 2],
  ];
  for (const [program, k] of programs) {
    const d = randDims(r, 2, 4);
    const shapes = [d, d.slice(1), [1], d.map((x, i) => (i === 0 ? x : 1))].slice(0, k);
    const inputs = shapes.map((s, i) => randF32(r, s, i === 0 && k === 2 && program.includes('Log') ? 0.5 : -2, 2));
    await checkVsJs('FusedElementwise', inputs, { program }, { opset: 1, domain: 'optiflow' }, program.slice(0, 24));
  }
  // constant operand uploaded at create
  const d = randDims(r, 2, 3);
  await checkVsJs('FusedElementwise', [randF32(r, d), randF32(r, [d[d.length - 1]!])], { program: 't0=Mul(x0,x1);y=Add(t0,x1)' },
    { opset: 1, domain: 'optiflow', constantInputs: [1] }, 'const input');
});
