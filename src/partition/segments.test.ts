import assert from 'node:assert/strict';
import test from 'node:test';
import { createJsBackend } from '../backends/js/index.js';
import type { Backend } from '../backends/backend.js';
import { importOnnx } from '../importers/onnx/import.js';
import type { TensorData } from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { Plan } from '../runtime/executor.js';
import { fakeSegmentBackend } from '../testing/fake-backends.js';
import { modelBytes, type NodeSpec } from '../testing/onnx-bytes.js';

const REG = new OpRegistry(ALL_SCHEMAS);

const f32 = (xs: number[]): TensorData => ({ type: 'float32', dims: [xs.length], data: Float32Array.from(xs) });

async function planFor(nodes: NodeSpec[], outputs: string[], backends: Backend[]) {
  const g = importOnnx(modelBytes([{ name: 'x', dtype: 'float32', dims: [3] }],
    outputs.map((name) => ({ name, dtype: 'float32', dims: [3] })), nodes));
  const plan = await Plan.create(g, backends, checkOps(g, REG), g.opsets);
  return plan;
}

test('consecutive supported nodes become one segment; a cut node splits them; values are right', async () => {
  const { backend, log } = fakeSegmentBackend(['Relu', 'Neg', 'Abs', 'Add']);
  const plan = await planFor([
    { op: 'Neg', inputs: ['x'], outputs: ['a'], name: 'n1' },
    { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'r1' },
    { op: 'Add', inputs: ['b', 'x'], outputs: ['c'], name: 'add1' },
    { op: 'Sigmoid', inputs: ['c'], outputs: ['d'], name: 's' },
    { op: 'Neg', inputs: ['d'], outputs: ['e'], name: 'n2' },
    { op: 'Abs', inputs: ['e'], outputs: ['f'], name: 'abs' },
    { op: 'Add', inputs: ['f', 'c'], outputs: ['y'], name: 'add2' },
  ], ['y'], [backend, createJsBackend()]);
  assert.deepEqual(plan.placements.map((p) => p.backend), ['seg', 'seg', 'seg', 'js', 'seg', 'seg', 'seg']);
  assert.match(plan.placements[0]!.cause, /^segment_0_seg \(3 nodes\)/);
  assert.deepEqual(log.compiled.map((s) => [s.nodes.map((n) => n.name), s.inputs, s.outputs]), [
    [['n1', 'r1', 'add1'], ['x'], ['c']],
    [['n2', 'abs', 'add2'], ['d', 'c'], ['y']],
  ]);
  const y = (await plan.run(new Map([['x', f32([-1, 0, 2])]]))).get('y') as TensorData;
  // c = relu(-x) + x = [0, 0, 2]; d = sigmoid(c); y = |-d| + c
  const s = (v: number) => 1 / (1 + Math.exp(-v));
  assert.deepEqual([...y.data as Float32Array].map((v) => +v.toFixed(5)), [s(0), s(0), s(2) + 2].map((v) => +v.toFixed(5)));
  assert.equal(log.runs, 2);
});

test('a segment never swallows a node whose input comes back from another backend (no cycle)', async () => {
  // a -> (js) -> c, and a -> b directly; b reads c: a and b cannot share a segment.
  const { backend, log } = fakeSegmentBackend(['Relu', 'Add'], { min: 1 });
  const plan = await planFor([
    { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'ra' },
    { op: 'Sigmoid', inputs: ['a'], outputs: ['c'], name: 'sc' },
    { op: 'Add', inputs: ['a', 'c'], outputs: ['y'], name: 'ab' },
  ], ['y'], [backend, createJsBackend()]);
  assert.deepEqual(log.compiled.map((s) => s.nodes.map((n) => n.name)), [['ra'], ['ab']]);
  const y = (await plan.run(new Map([['x', f32([1, -1, 0])]]))).get('y') as TensorData;
  const s = (v: number) => 1 / (1 + Math.exp(-v));
  assert.deepEqual([...y.data as Float32Array].map((v) => +v.toFixed(5)), [1 + s(1), s(0), s(0)].map((v) => +v.toFixed(5)));
});

test('ready CPU nodes run first so that segment nodes meet in one segment', async () => {
  const { backend, log } = fakeSegmentBackend(['Relu', 'Add', 'Neg']);
  await planFor([
    { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'r' },
    { op: 'Sigmoid', inputs: ['x'], outputs: ['s'], name: 'sig' },
    { op: 'Neg', inputs: ['a'], outputs: ['b'], name: 'n' },
    { op: 'Add', inputs: ['b', 's'], outputs: ['y'], name: 'add' },
  ], ['y'], [backend, createJsBackend()]);
  assert.deepEqual(log.compiled.map((s) => s.nodes.map((n) => n.name)), [['r', 'n', 'add']]);
});

test('islands below the minimum segment size run elsewhere, and the placement says why', async () => {
  const { backend, log } = fakeSegmentBackend(['Relu', 'Neg']);
  const plan = await planFor([
    { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'r' },
    { op: 'Neg', inputs: ['a'], outputs: ['b'], name: 'n' },
    { op: 'Sigmoid', inputs: ['b'], outputs: ['y'], name: 's' },
  ], ['y'], [backend, createJsBackend()]);
  assert.equal(log.compiled.length, 0);
  assert.deepEqual(plan.placements.map((p) => p.backend), ['js', 'js', 'js']);
  assert.match(plan.placements[0]!.cause, /seg: a segment of 2 node\(s\) is below the minimum segment size 3/);
});

test('an island stays on the segment backend when no other backend runs it', async () => {
  const { backend, log } = fakeSegmentBackend(['Relu']);
  const plan = await planFor([{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }], ['y'], [backend]);
  assert.equal(log.compiled.length, 1);
  const y = (await plan.run(new Map([['x', f32([-2, 3, 0])]]))).get('y') as TensorData;
  assert.deepEqual([...y.data as Float32Array], [0, 3, 0]);
});

test('a segment that fails to compile falls back to the next backend, and the placement says why', async () => {
  const { backend } = fakeSegmentBackend(['Relu', 'Neg', 'Abs'], { failCompile: true });
  const plan = await planFor([
    { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'r' },
    { op: 'Neg', inputs: ['a'], outputs: ['b'], name: 'n' },
    { op: 'Abs', inputs: ['b'], outputs: ['y'], name: 'ab' },
  ], ['y'], [backend, createJsBackend()]);
  assert.deepEqual(plan.placements.map((p) => p.backend), ['js', 'js', 'js']);
  assert.match(plan.placements[1]!.cause, /seg: its segment failed to compile \(shader did not compile\)/);
  const y = (await plan.run(new Map([['x', f32([-2, 3, 0])]]))).get('y') as TensorData;
  assert.deepEqual([...y.data as Float32Array], [0, 3, 0]);
});
