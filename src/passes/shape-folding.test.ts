import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import { InferenceSession, Tensor } from '../index.js';
import { assertClose, f32, i64, int, makeGraph, node, opTypes, runOrt } from './rewrite-testing.js';

test('Shape → Gather → (Unsqueeze) → Concat → Reshape on a static input folds to a Reshape by a constant at basic', async () => {
  for (const scalarIndex of [false, true]) {
    const g = makeGraph({
      inputs: [{ name: 'x', shape: [2, 3, 4] }], outputs: ['y'],
      inits: { idx: scalarIndex ? i64([], [0]) : i64([1], [0]), minus1: i64([1], [-1]), ...(scalarIndex ? { axes: i64([1], [0]) } : {}) },
      nodes: [
        node('shape', 'Shape', ['x'], ['s']),
        node('gather', 'Gather', ['s', 'idx'], [scalarIndex ? 'd' : 'd0'], { axis: int(0) }),
        ...(scalarIndex ? [node('unsq', 'Unsqueeze', ['d', 'axes'], ['d0'])] : []),
        node('concat', 'Concat', ['d0', 'minus1'], ['target'], { axis: int(0) }),
        node('reshape', 'Reshape', ['x', 'target'], ['y']),
      ],
    });
    const s = await InferenceSession.create(exportOnnx(g), { graphOptimizationLevel: 'basic' });
    assert.deepEqual(opTypes(s.graph), ['Reshape']);
    const shape = s.graph.initializers.get(s.graph.nodes[0]!.inputs[1]!);
    assert.ok(shape, 'the shape operand is an initializer');
    assert.deepEqual(Array.from(shape.data as BigInt64Array), [2n, -1n]);
    const x = f32([2, 3, 4]);
    const out = await s.run({ x: new Tensor('float32', x.data as Float32Array, [2, 3, 4]) });
    assertClose(out.y!, (await runOrt(g, { x })).y!);
  }
});

test('Gather of static dims from the Shape of a partly symbolic input folds; the symbolic dim stays computed', async () => {
  const g = makeGraph({
    inputs: [{ name: 'x', shape: ['N', 3, 4] }], outputs: ['y', 'n'],
    inits: { i1: i64([1], [1]), i2: i64([1], [-1]), i0: i64([1], [0]), minus1: i64([1], [-1]) },
    nodes: [
      node('shape', 'Shape', ['x'], ['s']),
      node('g1', 'Gather', ['s', 'i1'], ['d1'], { axis: int(0) }),
      node('g2', 'Gather', ['s', 'i2'], ['d2'], { axis: int(0) }),
      node('mul', 'Mul', ['d1', 'd2'], ['d12']),
      node('concat', 'Concat', ['minus1', 'd12'], ['target'], { axis: int(0) }),
      node('reshape', 'Reshape', ['x', 'target'], ['y']),
      node('g0', 'Gather', ['s', 'i0'], ['n'], { axis: int(0) }),
    ],
  });
  const s = await InferenceSession.create(exportOnnx(g), { graphOptimizationLevel: 'basic' });
  assert.deepEqual(opTypes(s.graph).sort(), ['Gather', 'Reshape', 'Shape']);
  const reshape = s.graph.nodes.find((n) => n.opType === 'Reshape')!;
  assert.deepEqual(Array.from(s.graph.initializers.get(reshape.inputs[1]!)!.data as BigInt64Array), [-1n, 12n]);
  const x = f32([2, 3, 4]);
  const out = await s.run({ x: new Tensor('float32', x.data as Float32Array, [2, 3, 4]) });
  const ref = await runOrt(g, { x });
  assertClose(out.y!, ref.y!);
  assert.deepEqual(Array.from(out.n!.data as BigInt64Array), Array.from(ref.n!.data as BigInt64Array));
});
