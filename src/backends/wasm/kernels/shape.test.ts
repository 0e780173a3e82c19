import assert from 'node:assert/strict';
import test from 'node:test';
import { compareWithJs, int64, randomF32, rng } from './shape-harness.js';

const r = rng(91);

test('Reshape, Flatten, Squeeze, Unsqueeze and Cast alias wasm memory between wasm kernels', async () => {
  await compareWithJs({
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] },
      { op: 'Reshape', inputs: ['a', 'shape'], outputs: ['b'] },
      { op: 'Unsqueeze', inputs: ['b', 'ax'], outputs: ['c'] },
      { op: 'Squeeze', inputs: ['c', 'ax'], outputs: ['d'] },
      { op: 'Flatten', inputs: ['d'], outputs: ['e'], attrs: { axis: 2 } },
      { op: 'Cast', inputs: ['e'], outputs: ['f'], attrs: { to: 1 } },
      { op: 'Neg', inputs: ['f'], outputs: ['y'] },
    ],
    values: { x: randomF32(r, [2, 3, 4, 5]), shape: int64([3], [6, -1, 5]), ax: int64([1], [0]) },
    constants: ['shape', 'ax'],
    outputs: ['y', 'b'],
  }, { onWasm: ['Relu', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten', 'Cast', 'Neg'] });
});

test('a graph input reshaped on wasm is returned intact; Cast to another type falls back', async () => {
  const out = await compareWithJs({
    nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
    values: { x: randomF32(r, [4, 6]), shape: int64([2], [3, 8]) },
    constants: ['shape'],
  });
  assert.deepEqual(out.get('y')!.dims, [3, 8]);
  await compareWithJs({
    nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 6 } }],
    values: { x: randomF32(r, [5]) },
  }, { onWasm: [], onJs: ['Cast'] });
});

test('Identity of a wasm result that is also a graph output keeps its memory alive (refcounted alias)', async () => {
  await compareWithJs({
    nodes: [
      { op: 'Add', inputs: ['x', 'x'], outputs: ['a'] },
      { op: 'Identity', inputs: ['a'], outputs: ['y'] },
      { op: 'Neg', inputs: ['a'], outputs: ['n'] },
    ],
    values: { x: randomF32(r, [3, 50]) },
    outputs: ['y', 'a', 'n'],
  });
});
