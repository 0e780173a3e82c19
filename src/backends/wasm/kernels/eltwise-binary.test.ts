import assert from 'node:assert/strict';
import test from 'node:test';
import { broadcastPlan } from './eltwise-binary.js';
import { loadWasmModule } from '../loader.js';
import { ThreadPool } from '../thread-pool.js';
import { compareWithJs, randomF32, rng, single, testRuntime } from './shape-harness.js';

test('broadcastPlan coalesces same-shape, per-channel, trailing and scalar operands', () => {
  assert.deepEqual(broadcastPlan([2, 3, 4], [2, 3, 4], [2, 3, 4]), { dims: [24], a: [1], b: [1] });
  assert.deepEqual(broadcastPlan([2, 3, 4, 5], [2, 3, 4, 5], [3, 1, 1]), { dims: [2, 3, 20], a: [60, 20, 1], b: [0, 1, 0] });
  assert.deepEqual(broadcastPlan([2, 5, 7], [2, 5, 7], [7]), { dims: [10, 7], a: [7, 1], b: [0, 1] });
  assert.deepEqual(broadcastPlan([3, 5], [], [3, 5]), { dims: [15], a: [0], b: [1] });
  assert.deepEqual(broadcastPlan([1, 1], [1, 1], [1]), { dims: [], a: [], b: [] });
});

const r = rng(11);

/** [A dims, B dims] pairs: same shape, scalar, per-channel, trailing vector, both-sided, rank 7. */
const PATTERNS: [number[], number[]][] = [
  [[2, 3, 5, 7], [2, 3, 5, 7]],
  [[1023], [1023]],
  [[3, 5], []],
  [[1], [4, 9]],
  [[2, 3, 4, 5], [3, 1, 1]],
  [[2, 5, 17], [17]],
  [[4, 1, 6], [1, 5, 1]],
  [[3, 1], [1, 7]],
  [[2, 1, 3, 1, 2, 1, 5], [1, 4, 1, 3, 1, 2, 1]],
  [[2, 0, 3], [3]],
];

for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
  test(`${op}: numpy broadcasting patterns match js`, async () => {
    for (const [ad, bd] of PATTERNS) {
      const b = randomF32(r, bd);
      if (op === 'Div') for (let i = 0; i < b.data.length; i++) (b.data as Float32Array)[i]! += 3;
      await compareWithJs(single(op, [randomF32(r, ad), b]));
    }
  });
}

test('Pow with a positive base, and a scalar exponent', async () => {
  await compareWithJs(single('Pow', [randomF32(r, [3, 17], 0.1, 3), randomF32(r, [17], -2, 2)]));
  await compareWithJs(single('Pow', [randomF32(r, [2, 9], 0.1, 3), randomF32(r, [], 2, 2)]));
});

test('Max, Min, Sum fold several broadcasting inputs; one input is a copy', async () => {
  for (const op of ['Max', 'Min', 'Sum']) {
    await compareWithJs(single(op, [randomF32(r, [2, 3, 5]), randomF32(r, [3, 1]), randomF32(r, [5])]));
    await compareWithJs(single(op, [randomF32(r, [4, 6])]));
  }
});

test('a constant operand is packed at create and freed at dispose', async () => {
  await compareWithJs(single('Add', [randomF32(r, [3, 64]), randomF32(r, [64])], {}, { constants: [1] }));
  await compareWithJs(single('Mul', [randomF32(r, [1]), randomF32(r, [2, 3, 4, 4])], {}, { constants: [0] }));
});

test('opset 6 broadcast=1 aligns B at axis', async () => {
  await compareWithJs(single('Add', [randomF32(r, [2, 3, 4, 5]), randomF32(r, [3])], { broadcast: 1, axis: 1 }, { opset: 6 }));
  await compareWithJs(single('Mul', [randomF32(r, [2, 3, 4, 5]), randomF32(r, [4, 5])], { broadcast: 1 }, { opset: 6 }));
});

test('chains stay in wasm memory: Add → Mul → Relu', async () => {
  await compareWithJs({
    nodes: [
      { op: 'Add', inputs: ['a', 'b'], outputs: ['s'] },
      { op: 'Mul', inputs: ['s', 'a'], outputs: ['m'] },
      { op: 'Relu', inputs: ['m'], outputs: ['y'] },
    ],
    values: { a: randomF32(r, [3, 33]), b: randomF32(r, [33]) },
  });
});

test('non-float32 inputs fall back to js with a reason', async () => {
  const i32 = { type: 'int32' as const, dims: [4], data: Int32Array.from([1, -2, 3, 4]) };
  await compareWithJs(single('Add', [i32, i32]), { onWasm: [], onJs: ['Add'] });
});

test('a real two-thread pool splits the kernels without changing results', async () => {
  const rt = await testRuntime();
  const pool = await ThreadPool.create({ module: (await loadWasmModule()).module, memory: rt.memory, exports: rt.exports, threads: 2, threshold: 64 });
  try {
    await compareWithJs({
      nodes: [
        { op: 'Add', inputs: ['x', 'b'], outputs: ['a'] },
        { op: 'Erf', inputs: ['a'], outputs: ['e'] },
        { op: 'LayerNormalization', inputs: ['e', 'g', 'b'], outputs: ['l'] },
        { op: 'Softmax', inputs: ['l'], outputs: ['s'], attrs: { axis: 1 } },
        { op: 'Transpose', inputs: ['s'], outputs: ['t'], attrs: { perm: [0, 2, 1] } },
        { op: 'ReduceMean', inputs: ['t'], outputs: ['m'], attrs: { axes: [1] } },
        { op: 'MaxPool', inputs: ['t'], outputs: ['p'], attrs: { kernel_shape: [3], pads: [1, 1] } },
        { op: 'Concat', inputs: ['m', 'p'], outputs: ['y'], attrs: { axis: 1 } },
      ],
      values: { x: randomF32(r, [4, 96, 64]), b: randomF32(r, [64]), g: randomF32(r, [64]) },
    }, { parallelFor: pool.parallelFor, tol: 1e-5 });
    assert.ok(pool.stats.parallel > 0, 'some calls were split');
  } finally {
    await pool.dispose();
  }
});
