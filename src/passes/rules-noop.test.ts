import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import { InferenceSession, Tensor } from '../index.js';
import { Graph, type Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { NOOP_RULES } from './rules-noop.js';
import {
  applyRules, assertClose, assertSameOutputs, f32, i64, int, ints, makeGraph, node, opTypes, runOrt,
} from './rewrite-testing.js';

const X = f32([2, 3, 4]);

/** x [shape] → ...ops → t → Relu → y, with the given initializers. */
const chain = (ops: Node[], inits: Record<string, TensorData> = {}, shape = [2, 3, 4], opset = 17) => () => makeGraph({
  inputs: [{ name: 'x', shape }], outputs: ['y'], inits, opset,
  nodes: [...ops, node('relu', 'Relu', ['t'], ['y'])],
});

/** Asserts the rules leave only `expected` op types and the outputs match onnxruntime's. */
async function fires(build: () => Graph, expected: string[], x: TensorData = X): Promise<Graph> {
  const g = await assertSameOutputs(build, (h) => { applyRules(h, NOOP_RULES); }, { x });
  assert.deepEqual(opTypes(g), expected);
  return g;
}

/** Asserts the rules change nothing. */
function keeps(build: () => Graph): void {
  const g = build();
  const before = opTypes(g);
  assert.deepEqual(applyRules(g, NOOP_RULES), []);
  assert.deepEqual(opTypes(g), before);
}

test('Cast and CastLike to the same dtype are removed; a real Cast stays', async () => {
  await fires(chain([node('c', 'Cast', ['x'], ['t'], { to: int(1) })]), ['Relu']);
  await fires(chain([node('c', 'CastLike', ['x', 'like'], ['t'])], { like: f32([1], [0]) }), ['Relu']);
  keeps(chain([node('c', 'Cast', ['x'], ['c64'], { to: int(11) }), node('b', 'Cast', ['c64'], ['t'], { to: int(1) })]));
  // A Cast producing a graph output keeps its name.
  keeps(() => makeGraph({ inputs: [{ name: 'x', shape: [2] }], outputs: ['y'], nodes: [node('c', 'Cast', ['x'], ['y'], { to: int(1) })] }));
});

test('Reshape to the same shape is removed (static, copied and inferred dims); a real Reshape stays', async () => {
  await fires(chain([node('r', 'Reshape', ['x', 's'], ['t'])], { s: i64([3], [2, 3, 4]) }), ['Relu']);
  await fires(chain([node('r', 'Reshape', ['x', 's'], ['t'])], { s: i64([3], [0, 3, -1]) }), ['Relu']);
  keeps(chain([node('r', 'Reshape', ['x', 's'], ['t'])], { s: i64([2], [2, 12]) }));
  keeps(chain([node('r', 'Reshape', ['x', 's'], ['t'])], { s: i64([3], [3, 2, 4]) }));
});

test('cancelling Transposes are removed; others are composed into one Transpose', async () => {
  const pair = (p1: number[] | undefined, p2: number[] | undefined) => chain([
    node('t1', 'Transpose', ['x'], ['m'], p1 ? { perm: ints(p1) } : {}),
    node('t2', 'Transpose', ['m'], ['t'], p2 ? { perm: ints(p2) } : {}),
  ], {}, [2, 3, 4, 5]);
  const x4 = f32([2, 3, 4, 5]);
  await fires(pair([0, 2, 3, 1], [0, 3, 1, 2]), ['Relu'], x4);
  await fires(pair(undefined, undefined), ['Relu'], x4);
  await fires(pair([3, 2, 1, 0], undefined), ['Relu'], x4);
  const g = await fires(pair([0, 2, 3, 1], [0, 2, 3, 1]), ['Transpose', 'Relu'], x4);
  assert.deepEqual(g.nodes[0]!.attributes.get('perm'), { type: 'ints', value: [0, 3, 1, 2] });
  assert.deepEqual(g.nodes[0]!.inputs, ['x']);
  // Non-cancelling pair whose first Transpose has another reader: both stay.
  keeps(() => makeGraph({
    inputs: [{ name: 'x', shape: [2, 3, 4] }], outputs: ['y', 'z'],
    nodes: [
      node('t1', 'Transpose', ['x'], ['m'], { perm: ints([1, 0, 2]) }),
      node('t2', 'Transpose', ['m'], ['t'], { perm: ints([0, 2, 1]) }),
      node('relu', 'Relu', ['t'], ['y']), node('neg', 'Neg', ['m'], ['z']),
    ],
  }));
});

test('a Slice taking everything is removed; a real Slice stays', async () => {
  const slice = (starts: number[], ends: number[], axes: number[], steps?: number[]) => chain(
    [node('s', 'Slice', ['x', 'st', 'en', 'ax', ...(steps ? ['sp'] : [])], ['t'])],
    { st: i64([starts.length], starts), en: i64([ends.length], ends), ax: i64([axes.length], axes), ...(steps ? { sp: i64([steps.length], steps) } : {}) });
  await fires(slice([0, -3], [9_000_000_000_000, 4], [2, 1], [1, 1]), ['Relu']);
  await fires(slice([-100], [100], [-1]), ['Relu']);
  keeps(slice([0, 0], [3, 3], [1, 2]));
  keeps(slice([0], [4], [2], [2]));
  keeps(slice([1], [4], [2]));
});

test('a Slice at opset 9 (attributes) taking everything is removed', async () => {
  await fires(chain([node('s', 'Slice', ['x'], ['t'], { starts: ints([0]), ends: ints([2]), axes: ints([0]) })], {}, [2, 3, 4], 9), ['Relu']);
});

test('Pad with zero pads and Expand to the same shape are removed; real ones stay', async () => {
  await fires(chain([node('p', 'Pad', ['x', 'pads'], ['t'], { mode: { type: 'string', value: 'reflect' } })], { pads: i64([6], [0, 0, 0, 0, 0, 0]) }), ['Relu']);
  keeps(chain([node('p', 'Pad', ['x', 'pads'], ['t'])], { pads: i64([6], [0, 0, 1, 0, 0, 0]) }));
  await fires(chain([node('e', 'Expand', ['x', 's'], ['t'])], { s: i64([2], [3, 1]) }), ['Relu']);
  keeps(chain([node('e', 'Expand', ['x', 's'], ['t'])], { s: i64([4], [2, 2, 3, 4]) }));
  keeps(chain([node('e', 'Expand', ['x', 's'], ['t'])], { s: i64([3], [1, 1, 5]) }, [2, 3, 1]));
});

test('Unsqueeze/Squeeze pairs over the same axes cancel; others stay', async () => {
  await fires(chain([
    node('u', 'Unsqueeze', ['x', 'a'], ['m']), node('s', 'Squeeze', ['m', 'b'], ['t']),
  ], { a: i64([1], [0]), b: i64([1], [-4]) }), ['Relu']);
  const x1 = f32([2, 1, 4]);
  await fires(chain([
    node('s', 'Squeeze', ['x', 'a'], ['m']), node('u', 'Unsqueeze', ['m', 'a'], ['t']),
  ], { a: i64([1], [1]) }, [2, 1, 4]), ['Relu'], x1);
  await fires(chain([
    node('u', 'Unsqueeze', ['x'], ['m'], { axes: ints([3]) }), node('s', 'Squeeze', ['m'], ['t'], { axes: ints([-1]) }),
  ], {}, [2, 3, 4], 11), ['Relu']);
  keeps(chain([
    node('u', 'Unsqueeze', ['x', 'a'], ['m']), node('s', 'Squeeze', ['m', 'b'], ['t']),
  ], { a: i64([1], [0]), b: i64([1], [3]) }, [2, 3, 1]));
});

test('basic level in a session removes no-ops and matches onnxruntime', async () => {
  const g = chain([
    node('c', 'Cast', ['x'], ['c1'], { to: int(1) }),
    node('t1', 'Transpose', ['c1'], ['m'], { perm: ints([2, 0, 1]) }),
    node('t2', 'Transpose', ['m'], ['t'], { perm: ints([1, 2, 0]) }),
  ])();
  const bytes = exportOnnx(g);
  const s = await InferenceSession.create(bytes, { graphOptimizationLevel: 'basic' });
  assert.deepEqual(opTypes(s.graph), ['Relu']);
  const out = await s.run({ x: new Tensor('float32', X.data as Float32Array, [2, 3, 4]) });
  const ref = await runOrt(g, { x: X });
  assertClose(out.y!, ref.y!);
});

test('a no-op whose output a subgraph captures is kept', () => {
  const branch = new Graph();
  branch.nodes = [node('i', 'Identity', ['t'], ['o'])];
  branch.outputs = [{ name: 'o' }];
  const g = new Graph();
  g.opsets.set('', 17);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: [2] }, { name: 'cond', dtype: 'bool', shape: [] }];
  g.outputs = [{ name: 'y' }];
  g.nodes = [
    node('c', 'Cast', ['x'], ['t'], { to: int(1) }),
    node('if', 'If', ['cond'], ['y'], { then_branch: { type: 'graph', value: branch }, else_branch: { type: 'graph', value: branch } }),
  ];
  assert.deepEqual(applyRules(g, NOOP_RULES), []);
  assert.deepEqual(opTypes(g), ['Cast', 'If']);
});
