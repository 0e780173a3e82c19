import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DType } from '../../../ir/dtype.js';
import { Graph, type Attribute, type Node } from '../../../ir/graph.js';
import type { RuntimeValue, TensorData } from '../../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../../ops/index.js';
import { checkOps } from '../../../ops/infer-graph.js';
import { OpRegistry } from '../../../ops/registry.js';
import { Plan } from '../../../runtime/executor.js';
import { createJsBackend } from '../index.js';
import { floatView, fromNumbers } from '../util.js';

const LN3 = Math.log(3);

function T(dtype: DType, dims: number[], values: number[]): TensorData {
  return { type: dtype, dims, data: fromNumbers(dtype, values) };
}

function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attribute> = {},
  domain = ''): Node {
  return { name: `${opType}_${outputs[0]}`, opType, domain, inputs, outputs, attributes: new Map(Object.entries(attrs)) };
}

/** A modifier graph `x -> op(x, c)` with the constant `c` (dims `cdims`) as initializer. */
function modifier(op: string, dtype: DType, cdims: number[], c: number[], extraInputs = 0): Graph {
  const g = new Graph();
  g.inputs = [{ name: 'x', dtype, shape: ['B', 'H', 'L', 'S'] }];
  for (let i = 0; i < extraInputs; i++) g.inputs.push({ name: `extra${i}`, dtype, shape: [] });
  g.initializers.set('c', T(dtype, cdims, c));
  g.nodes = [node(op, ['x', 'c'], ['y'])];
  g.outputs = [{ name: 'y', dtype, shape: ['B', 'H', 'L', 'S'] }];
  g.opsets.set('', 26);
  return g;
}

/** Runs one FlexAttention node on q, k, v. */
async function flex(q: TensorData, k: TensorData, v: TensorData, attrs: Record<string, Attribute> = {}): Promise<TensorData> {
  const g = new Graph();
  g.inputs = [
    { name: 'q', dtype: q.type, shape: [...q.dims] }, { name: 'k', dtype: k.type, shape: [...k.dims] },
    { name: 'v', dtype: v.type, shape: [...v.dims] },
  ];
  g.nodes = [node('FlexAttention', ['q', 'k', 'v'], ['y'], attrs, 'ai.onnx.preview')];
  g.outputs = [{ name: 'y' }];
  g.opsets.set('', 26); g.opsets.set('ai.onnx.preview', 1);
  const plan = await Plan.create(g, [createJsBackend()], checkOps(g, new OpRegistry(ALL_SCHEMAS)), g.opsets);
  const r = await plan.run(new Map<string, RuntimeValue>([['q', q], ['k', k], ['v', v]]));
  return r.get('y') as TensorData;
}

const graph = (value: Graph): Attribute => ({ type: 'graph', value });
const float = (value: number): Attribute => ({ type: 'float', value });

function close(got: TensorData, want: number[], dims: number[], tol = 1e-6): void {
  assert.deepEqual(got.dims, dims);
  const g = Array.from(floatView(got));
  assert.equal(g.length, want.length);
  g.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) <= tol, `element ${i}: got ${x}, want ${want[i]}`));
}

// 1 head, L = S = E = Ev = 2: Q = K = I, scale = ln 3, so scores = [[ln3, 0], [0, ln3]].
// score_mod adds a causal bias [[0, -inf], [0, 0]]:
//   row 0: [ln3, -inf] -> probs [1, 0]       -> Y = V[0] = [1, 2]
//   row 1: [0, ln3]    -> probs [1/4, 3/4]   -> Y = [1/4 + 9/4, 2/4 + 12/4] = [2.5, 3.5]
const I2 = [1, 0, 0, 1];
const V2 = [1, 2, 3, 4];
const CAUSAL = [0, -Infinity, 0, 0];

test('FlexAttention: 1-head 2x2 with a causal score_mod subgraph', async () => {
  const y = await flex(T('float32', [1, 1, 2, 2], I2), T('float32', [1, 1, 2, 2], I2), T('float32', [1, 1, 2, 2], V2),
    { scale: float(LN3), score_mod: graph(modifier('Add', 'float32', [2, 2], CAUSAL)) });
  close(y, [1, 2, 2.5, 3.5], [1, 1, 2, 2]);
});

test('FlexAttention: without score_mod the 2x2 case is a plain softmax', async () => {
  // row 0: [ln3, 0] -> [3/4, 1/4] -> [3/4 + 3/4, 6/4 + 4/4] = [1.5, 2.5]; row 1 as above: [2.5, 3.5].
  const y = await flex(T('float32', [1, 1, 2, 2], I2), T('float32', [1, 1, 2, 2], I2), T('float32', [1, 1, 2, 2], V2),
    { scale: float(LN3) });
  close(y, [1.5, 2.5, 2.5, 3.5], [1, 1, 2, 2]);
});

test('FlexAttention: float16 inputs give float16 output, same values', async () => {
  const y = await flex(T('float16', [1, 1, 2, 2], I2), T('float16', [1, 1, 2, 2], I2), T('float16', [1, 1, 2, 2], V2),
    { scale: float(LN3), score_mod: graph(modifier('Add', 'float32', [2, 2], CAUSAL)) });
  assert.equal(y.type, 'float16');
  close(y, [1, 2, 2.5, 3.5], [1, 1, 2, 2], 2e-3);
});

test('FlexAttention: float64 inputs feed score_mod a float64 tensor', async () => {
  const y = await flex(T('float64', [1, 1, 2, 2], I2), T('float64', [1, 1, 2, 2], I2), T('float64', [1, 1, 2, 2], V2),
    { scale: float(LN3), score_mod: graph(modifier('Add', 'float64', [2, 2], CAUSAL)) });
  assert.equal(y.type, 'float64');
  close(y, [1, 2, 2.5, 3.5], [1, 1, 2, 2], 1e-12);
});

// Default scale 1/sqrt(E) with E = 4: Q = [2, 0, 0, 0], K rows [ln3, 0, 0, 0] and 0:
// dots [2 ln3, 0] · 1/2 = [ln3, 0] -> probs [3/4, 1/4]; V = [[4], [8]] -> Y = 3 + 2 = 5.
const QD = T('float32', [1, 1, 1, 4], [2, 0, 0, 0]);
const KD = T('float32', [1, 1, 2, 4], [LN3, 0, 0, 0, 0, 0, 0, 0]);
const VD = T('float32', [1, 1, 2, 1], [4, 8]);

test('FlexAttention: default scale is 1/sqrt(head size); Ev may differ from E', async () => {
  close(await flex(QD, KD, VD), [5], [1, 1, 1, 1], 1e-5);
});

test('FlexAttention: prob_mod rewrites the probabilities after softmax', async () => {
  const y = await flex(QD, KD, VD, { prob_mod: graph(modifier('Mul', 'float32', [], [0.5])) });
  close(y, [2.5], [1, 1, 1, 1], 1e-5);
});

test('FlexAttention: GQA shares one K/V head between consecutive query heads', async () => {
  // Hq = 2, Hkv = 1, scale 1: head 0 q = ln3 -> scores [ln3, 0] -> 3/4·4 + 1/4·8 = 5;
  // head 1 q = 0 -> scores [0, 0] -> (4 + 8) / 2 = 6.
  const y = await flex(T('float32', [1, 2, 1, 1], [LN3, 0]), T('float32', [1, 1, 2, 1], [1, 0]),
    T('float32', [1, 1, 2, 1], [4, 8]), { scale: float(1) });
  close(y, [5, 6], [1, 2, 1, 1], 1e-5);
});

test('FlexAttention: query heads not a multiple of key heads is a shape mismatch', async () => {
  await assert.rejects(flex(T('float32', [1, 3, 1, 1], [0, 0, 0]), T('float32', [1, 2, 1, 1], [0, 0]),
    T('float32', [1, 2, 1, 1], [0, 0])), (e: { code?: string }) => e.code === 'shape_mismatch');
});

test('FlexAttention: a score_mod with two inputs is an invalid attribute', async () => {
  await assert.rejects(flex(QD, KD, VD, { score_mod: graph(modifier('Add', 'float32', [], [0], 1)) }),
    (e: { code?: string }) => e.code === 'invalid_attribute');
});

test('FlexAttention: a score_mod typed float64 for float32 inputs is a dtype mismatch', async () => {
  await assert.rejects(flex(QD, KD, VD, { score_mod: graph(modifier('Add', 'float64', [], [0])) }),
    (e: { code?: string }) => e.code === 'dtype_mismatch');
});

test('FlexAttention: a score_mod that changes the shape fails at run time', async () => {
  // Adding a [1, 1, 1, 2, 1] constant broadcasts the [1, 1, 1, 2] scores to rank 5.
  const g = modifier('Add', 'float32', [1, 1, 1, 2, 1], [0, 0]);
  g.outputs = [{ name: 'y', dtype: 'float32' }];
  await assert.rejects(flex(QD, KD, VD, { score_mod: graph(g) }), (e: { code?: string }) => e.code === 'runtime_error');
});
