import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import { InferenceSession, Tensor } from '../index.js';
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { FOLDING_RULES } from './fold-into-conv.js';
import {
  applyRules, assertClose, assertSameOutputs, f32, float, int, makeGraph, node, opTypes, rand, runOrt,
} from './rewrite-testing.js';

const C = 4;
const X = f32([2, 3, 5, 5], undefined, 7);
const positive = (n: number, seed: number) => Array.from(rand(n, seed), (v) => Math.abs(v) + 0.5);
const bnParams = (c = C): Record<string, TensorData> => ({
  scale: f32([c], undefined, 11), beta: f32([c], undefined, 12), mean: f32([c], undefined, 13), var: f32([c], positive(c, 14)),
});
const bn = (x: string, y: string, eps = 1e-3): Node =>
  node('bn', 'BatchNormalization', [x, 'scale', 'beta', 'mean', 'var'], [y], { epsilon: float(eps) });

/** x [2,3,5,5] → Conv(W [4,3,3,3], B?) → conv → `tail` → y. */
const convThen = (tail: Node[], o: { bias?: boolean; inits?: Record<string, TensorData>; outputs?: string[]; group?: number } = {}) => () => {
  const group = o.group ?? 1;
  return makeGraph({
    inputs: [{ name: 'x', shape: [2, 3 * group, 5, 5] }], outputs: o.outputs ?? ['y'],
    inits: { W: f32([C, 3, 3, 3], undefined, 3), ...(o.bias === false ? {} : { B: f32([C], undefined, 4) }), ...o.inits },
    nodes: [
      node('conv', 'Conv', ['x', 'W', ...(o.bias === false ? [] : ['B'])], ['conv'], { pads: { type: 'ints', value: [1, 1, 1, 1] }, group: int(group) }),
      ...tail,
    ],
  });
};

const fold = (g: Graph) => { applyRules(g, FOLDING_RULES); };

/** Asserts folding leaves `expected` op types, outputs match onnxruntime's, the new Conv keeps its name. */
async function fires(build: () => Graph, expected: string[], x: TensorData = X): Promise<Graph> {
  const g = await assertSameOutputs(build, fold, { x }, 1e-4, 1e-5);
  assert.deepEqual(opTypes(g), expected);
  assert.equal(g.nodes[0]!.name, build().nodes[0]!.name);
  return g;
}

/** Asserts folding changes nothing (and adds no initializer). */
function keeps(build: () => Graph, context?: Parameters<typeof applyRules>[2]): void {
  const g = build();
  const [ops, inits] = [opTypes(g), [...g.initializers.keys()]];
  assert.deepEqual(applyRules(g, FOLDING_RULES, context), []);
  assert.deepEqual(opTypes(g), ops);
  assert.deepEqual([...g.initializers.keys()], inits);
}

test('BatchNormalization folds into Conv, with and without bias, grouped too', async () => {
  const g = await fires(convThen([bn('conv', 'y')], { inits: bnParams() }), ['Conv']);
  assert.equal(g.nodes[0]!.inputs.length, 3);
  assert.deepEqual(g.nodes[0]!.outputs, ['y']);
  await fires(convThen([bn('conv', 'y', 1e-5)], { bias: false, inits: bnParams() }), ['Conv']);
  await fires(convThen([bn('conv', 'y')], { inits: bnParams(), group: 2 }), ['Conv'], f32([2, 6, 5, 5]));
});

test('folding never modifies a shared weight', async () => {
  // Two Convs share W and B; only one is followed by BatchNormalization.
  const g = await fires(() => makeGraph({
    inputs: [{ name: 'x', shape: [2, 3, 5, 5] }], outputs: ['y', 'z'],
    inits: { W: f32([C, 3, 3, 3], undefined, 3), B: f32([C], undefined, 4), ...bnParams() },
    nodes: [node('conv', 'Conv', ['x', 'W', 'B'], ['conv']), bn('conv', 'y'), node('conv2', 'Conv', ['x', 'W', 'B'], ['z'])],
  }), ['Conv', 'Conv']);
  assert.deepEqual(g.nodes[1]!.inputs, ['x', 'W', 'B']);
});

test('constant per-channel Mul, Div, Add and Sub fold into Conv; a chain folds completely', async () => {
  const k = (dims: number[], seed: number) => ({ k: f32(dims, dims.length ? undefined : [1.5], seed) });
  await fires(convThen([node('m', 'Mul', ['conv', 'k'], ['y'])], { inits: k([C, 1, 1], 20) }), ['Conv']);
  await fires(convThen([node('m', 'Mul', ['k', 'conv'], ['y'])], { inits: k([1, C, 1, 1], 21) }), ['Conv']);
  const noBias = await fires(convThen([node('m', 'Mul', ['conv', 'k'], ['y'])], { inits: k([], 0), bias: false }), ['Conv']);
  assert.equal(noBias.nodes[0]!.inputs.length, 2, 'no bias was created for a Mul');
  await fires(convThen([node('d', 'Div', ['conv', 'k'], ['y'])], { inits: { k: f32([C, 1, 1], positive(C, 22)) } }), ['Conv']);
  const g = await fires(convThen([node('a', 'Add', ['conv', 'k'], ['y'])], { inits: k([C, 1, 1], 23), bias: false }), ['Conv']);
  assert.equal(g.nodes[0]!.inputs.length, 3, 'a bias was created');
  await fires(convThen([node('s', 'Sub', ['conv', 'k'], ['y'])], { inits: k([1, 1, 1], 24) }), ['Conv']);
  await fires(convThen([
    bn('conv', 'b'), node('m', 'Mul', ['b', 'k'], ['m']), node('a', 'Add', ['k2', 'm'], ['y']),
  ], { inits: { ...bnParams(), ...k([C, 1, 1], 25), k2: f32([C, 1, 1], undefined, 26) } }), ['Conv']);
});

test('BatchNormalization, Mul and Add fold into Gemm (transB 0/1, with and without C)', async () => {
  const gemm = (transB: number, c: TensorData | undefined, tail: Node[], inits: Record<string, TensorData>) => () => makeGraph({
    inputs: [{ name: 'x', shape: [3, 5] }], outputs: ['y'],
    inits: { B: f32(transB ? [C, 5] : [5, C], undefined, 30), ...(c ? { C: c } : {}), ...inits },
    nodes: [node('gemm', 'Gemm', ['x', 'B', ...(c ? ['C'] : [])], ['conv'], { transB: int(transB), alpha: float(0.5), beta: float(2) }), ...tail],
  });
  const x = f32([3, 5], undefined, 31);
  for (const transB of [0, 1]) {
    for (const c of [undefined, f32([C], undefined, 32), f32([3, C], undefined, 33), f32([3, 1], undefined, 34), f32([], [0.25])]) {
      await fires(gemm(transB, c, [bn('conv', 'y')], bnParams()), ['Gemm'], x);
    }
  }
  await fires(gemm(1, f32([C]), [node('m', 'Mul', ['conv', 'k'], ['y'])], { k: f32([1, C], undefined, 35) }), ['Gemm'], x);
  await fires(gemm(0, undefined, [node('a', 'Add', ['conv', 'k'], ['y'])], { k: f32([C], undefined, 36) }), ['Gemm'], x);
  // A per-row constant ([3, 1]) is not per-channel.
  keeps(gemm(0, undefined, [node('a', 'Add', ['conv', 'k'], ['y'])], { k: f32([3, 1], undefined, 37) }));
});

test('no fold when the Conv output has another reader or is a graph output', () => {
  keeps(convThen([bn('conv', 'b'), node('r', 'Relu', ['conv'], ['r']), node('add', 'Add', ['b', 'r'], ['y'])], { inits: bnParams() }));
  keeps(convThen([bn('conv', 'y')], { inits: bnParams(), outputs: ['y', 'conv'] }));
  keeps(convThen([node('m', 'Mul', ['conv', 'conv'], ['y'])]));
});

test('no fold when weights, bias or BatchNormalization parameters are not constants', () => {
  const params = bnParams();
  keeps(() => makeGraph({
    inputs: [{ name: 'x', shape: [2, 3, 5, 5] }, { name: 'W', shape: [C, 3, 3, 3] }], outputs: ['y'], inits: params,
    nodes: [node('conv', 'Conv', ['x', 'W'], ['conv']), bn('conv', 'y')],
  }));
  keeps(() => makeGraph({
    inputs: [{ name: 'x', shape: [2, 3, 5, 5] }, { name: 'B', shape: [C] }], outputs: ['y'], inits: { W: f32([C, 3, 3, 3]), ...params },
    nodes: [node('conv', 'Conv', ['x', 'W', 'B'], ['conv']), bn('conv', 'y')],
  }));
  const { mean: _m, ...noMean } = params;
  keeps(() => makeGraph({
    inputs: [{ name: 'x', shape: [2, 3, 5, 5] }, { name: 'mean', shape: [C] }], outputs: ['y'], inits: { W: f32([C, 3, 3, 3]), ...noMean },
    nodes: [node('conv', 'Conv', ['x', 'W'], ['conv']), bn('conv', 'y')],
  }));
  keeps(() => makeGraph({
    inputs: [{ name: 'x', shape: [2, 3, 5, 5] }, { name: 'k', shape: [C, 1, 1] }], outputs: ['y'], inits: { W: f32([C, 3, 3, 3]) },
    nodes: [node('conv', 'Conv', ['x', 'W'], ['conv']), node('m', 'Mul', ['conv', 'k'], ['y'])],
  }));
});

test('no fold for training-mode BatchNormalization, non-per-channel constants, float64, or a refusing oracle', () => {
  keeps(convThen([
    node('bn', 'BatchNormalization', ['conv', 'scale', 'beta', 'mean', 'var'], ['y', 'rm', 'rv'], { training_mode: int(1) }),
  ], { inits: bnParams(), outputs: ['y', 'rm', 'rv'] }));
  keeps(convThen([node('m', 'Mul', ['conv', 'k'], ['y'])], { inits: { k: f32([1, 1, 1, 5]) } }));
  keeps(convThen([node('m', 'Mul', ['conv', 'k'], ['y'])], { inits: { k: f32([C]) } }));
  keeps(convThen([node('m', 'Mul', ['conv', 'k'], ['y'])], { inits: { k: f32([2, C, 1, 1]) } }));
  keeps(convThen([node('a', 'Add', ['conv', 'k'], ['y'])], { inits: { k: f32([1, C, 1, 1, 1]) } }));
  keeps(convThen([node('d', 'Div', ['k', 'conv'], ['y'])], { inits: { k: f32([C, 1, 1]) } }));
  keeps(convThen([node('d', 'Div', ['conv', 'k'], ['y'])], { inits: { k: f32([C, 1, 1], [1, 0, 2, 3]) } }));
  const f64 = (t: TensorData): TensorData => ({ type: 'float64', dims: t.dims, data: Float64Array.from(t.data as Float32Array) });
  keeps(() => makeGraph({
    inputs: [{ name: 'x', dtype: 'float64', shape: [2, 3, 5, 5] }], outputs: ['y'],
    inits: { W: f64(f32([C, 3, 3, 3])), ...Object.fromEntries(Object.entries(bnParams()).map(([k, v]) => [k, f64(v)])) },
    nodes: [node('conv', 'Conv', ['x', 'W'], ['conv']), bn('conv', 'y')],
  }));
  let asked: [string, string] | undefined;
  keeps(convThen([bn('conv', 'y')], { inits: bnParams() }), { canReplace: (r, o) => { asked = [r.opType, o.opType]; return false; } });
  assert.deepEqual(asked, ['Conv', 'BatchNormalization']);
});

test('extended level in a session folds BatchNormalization and matches onnxruntime', async () => {
  const g = convThen([bn('conv', 'y')], { inits: bnParams() })();
  const s = await InferenceSession.create(exportOnnx(g), { graphOptimizationLevel: 'extended' });
  assert.deepEqual(opTypes(s.graph), ['Conv']);
  const out = await s.run({ x: new Tensor('float32', X.data as Float32Array, [...X.dims]) });
  assertClose(out.y!, (await runOrt(g, { x: X })).y!, 1e-4, 1e-5);
});
