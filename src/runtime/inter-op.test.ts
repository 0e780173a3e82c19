/**
 * Inter-op parallelism in the executor (`interOpNumThreads`): a segment that resolves later (an
 * off-thread engine) runs while the JavaScript thread runs the independent branch, only when
 * inter-op is above 1; the values are the same either way (hand-computed).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { Backend } from '../backends/backend.js';
import { createJsBackend } from '../backends/js/index.js';
import { importOnnx } from '../importers/onnx/import.js';
import type { TensorData } from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { fakeSegmentBackend } from '../testing/fake-backends.js';
import { modelBytes } from '../testing/onnx-bytes.js';
import { Plan } from './executor.js';

const REG = new OpRegistry(ALL_SCHEMAS);

/** A per-node backend that runs Sigmoid and logs each run. */
function loggingSigmoid(log: string[]): Backend {
  const js = createJsBackend();
  return {
    name: 'probe',
    supports: (q) => (q.node.opType === 'Sigmoid' ? { ok: true } : { ok: false, reason: 'probe runs Sigmoid only' }),
    compile(node, schema, opset) {
      const k = js.compile(node, schema, opset);
      return { run: (inputs, outs, sub) => { log.push(`sigmoid ${node.name}`); return k.run(inputs, outs, sub); } };
    },
  };
}

async function run(interOp: number): Promise<{ log: string[]; y: number[] }> {
  const log: string[] = [];
  const { backend: seg } = fakeSegmentBackend(['Neg', 'Abs', 'Relu'], { delayMs: 30, onEvent: (e) => log.push(`segment ${e}`) });
  // a = relu(abs(neg(x))) on the segment; b = sigmoid(sigmoid(x)) on the probe; y = a + b on js.
  const g = importOnnx(modelBytes([{ name: 'x', dtype: 'float32', dims: [3] }], [{ name: 'y', dtype: 'float32', dims: [3] }], [
    { op: 'Neg', inputs: ['x'], outputs: ['n'], name: 'neg' },
    { op: 'Abs', inputs: ['n'], outputs: ['m'], name: 'abs' },
    { op: 'Relu', inputs: ['m'], outputs: ['a'], name: 'relu' },
    { op: 'Sigmoid', inputs: ['x'], outputs: ['s'], name: 's1' },
    { op: 'Sigmoid', inputs: ['s'], outputs: ['b'], name: 's2' },
    { op: 'Add', inputs: ['a', 'b'], outputs: ['y'], name: 'add' },
  ]));
  const plan = await Plan.create(g, [seg, loggingSigmoid(log), createJsBackend()], checkOps(g, REG), g.opsets, { interOpNumThreads: interOp });
  const out = await plan.run(new Map([['x', { type: 'float32', dims: [3], data: Float32Array.of(-1, 0, 2) } as TensorData]]));
  return { log, y: [...(out.get('y') as TensorData).data as Float32Array] };
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const expected = [-1, 0, 2].map((x) => Math.abs(x) + sig(sig(x)));

test('inter-op 2: the independent branch runs on the JavaScript thread while the segment is in flight', async () => {
  const { log, y } = await run(2);
  assert.deepEqual(log, ['segment start', 'sigmoid s1', 'sigmoid s2', 'segment end']);
  y.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `y[${i}] = ${v}, expected ${expected[i]}`));
});

test('inter-op 1: one step after another in plan order', async () => {
  const { log, y } = await run(1);
  assert.deepEqual(log, ['sigmoid s1', 'sigmoid s2', 'segment start', 'segment end']);
  y.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `y[${i}] = ${v}, expected ${expected[i]}`));
});

test('a failing segment under inter-op 2 rejects the run with the segment named, after the other steps settle', async () => {
  const { backend: seg } = fakeSegmentBackend(['Neg', 'Abs', 'Relu'], { delayMs: 5 });
  const orig = seg.compileSegment!.bind(seg);
  seg.compileSegment = async (spec) => {
    const c = await orig(spec);
    return { run: async () => { throw new Error('engine exploded'); }, dispose: c.dispose };
  };
  const g = importOnnx(modelBytes([{ name: 'x', dtype: 'float32', dims: [3] }], [{ name: 'y', dtype: 'float32', dims: [3] }], [
    { op: 'Neg', inputs: ['x'], outputs: ['n'], name: 'neg' },
    { op: 'Abs', inputs: ['n'], outputs: ['m'], name: 'abs' },
    { op: 'Relu', inputs: ['m'], outputs: ['a'], name: 'relu' },
    { op: 'Sigmoid', inputs: ['x'], outputs: ['b'], name: 's1' },
    { op: 'Add', inputs: ['a', 'b'], outputs: ['y'], name: 'add' },
  ]));
  const plan = await Plan.create(g, [seg, createJsBackend()], checkOps(g, REG), g.opsets, { interOpNumThreads: 2 });
  await assert.rejects(plan.run(new Map([['x', { type: 'float32', dims: [3], data: Float32Array.of(-1, 0, 2) } as TensorData]])),
    (e: Error) => /engine exploded/.test(e.message) && /segment_0_seg/.test(String((e as { path?: string[] }).path)));
});
