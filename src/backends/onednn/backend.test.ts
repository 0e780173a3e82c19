/**
 * The backend's engine handling with a fake addon (no oneDNN needed): engines built at compile time
 * for static shapes, one per input shape at run time (LRU, evicted engines disposed), runs of one
 * engine serialized, declines surfacing at compile time also for symbolic shapes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dim } from '../../ir/graph.js';
import { OptiflowError } from '../../ir/errors.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { GraphBuilder } from '../../zoo/index.js';
import { createOnednnBackend } from './index.js';
import { segmentOf } from './segment-testing.js';
import type { EngineSpec, NativeAddon } from './spec.js';

/** A fake addon: records specs, "runs" by filling outputs with the run number, counts disposals. */
function fakeAddon(): { addon: NativeAddon; specs: EngineSpec[]; disposed: number[]; order: string[] } {
  const specs: EngineSpec[] = []; const disposed: number[] = []; const order: string[] = [];
  let runs = 0;
  const addon: NativeAddon = {
    info: () => ({ version: 'fake', isa: 'none', bf16: false }),
    createEngine(spec) {
      const id = specs.push(spec) - 1;
      return {
        async run(_inputs, outputs) {
          const n = ++runs;
          order.push(`start ${n}`);
          await new Promise((r) => setTimeout(r, 5));
          for (const o of outputs) o.fill(n);
          order.push(`end ${n}`);
        },
        dispose: () => { disposed.push(id); },
      };
    },
  };
  return { addon, specs, disposed, order };
}

function reluSegment(shape: Dim[]) {
  const b = new GraphBuilder('t', { '': 13 });
  b.input('x', 'float32', shape);
  b.output(b.op('Sigmoid', [b.op('Relu', ['x'])]), 'float32', shape);
  return segmentOf(b.build(), () => true);
}

const f32 = (dims: number[]): TensorData => ({ type: 'float32', dims, data: new Float32Array(dims.reduce((p, d) => p * d, 1)) });

test('static shapes: the engine is built at compile time; runs of one engine do not overlap', async () => {
  const fake = fakeAddon();
  const be = createOnednnBackend({ intraOpNumThreads: 3, precision: 'bf16', addon: fake.addon });
  const seg = await be.compileSegment!(reluSegment([2, 3]));
  assert.equal(fake.specs.length, 1);
  assert.equal(fake.specs[0]!.threads, 3);
  assert.equal(fake.specs[0]!.precision, 'bf16');
  const [a, b] = await Promise.all([seg.run([f32([2, 3])]), seg.run([f32([2, 3])])]);
  assert.deepEqual(fake.order, ['start 1', 'end 1', 'start 2', 'end 2']);
  assert.deepEqual([...(a![0] as TensorData).dims], [2, 3]);
  assert.equal((b![0] as TensorData).data[0], 2);
  assert.equal(fake.specs.length, 1, 'same shape reuses the engine');
  await seg.dispose?.();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(fake.disposed, [0]);
});

test('symbolic shapes: one engine per input shape, least recently used evicted and disposed', async () => {
  const fake = fakeAddon();
  const be = createOnednnBackend({ intraOpNumThreads: 1, addon: fake.addon, enginesPerSegment: 2 });
  const seg = await be.compileSegment!(reluSegment(['N', 3]));
  assert.equal(fake.specs.length, 0, 'no engine for guessed sizes');
  for (const n of [1, 2, 1, 3]) {
    const [y] = await seg.run([f32([n, 3])]);
    assert.deepEqual([...(y as TensorData).dims], [n, 3]);
  }
  assert.deepEqual(fake.specs.map((s) => s.tensors[0]!.dims[0]), [1, 2, 3]);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(fake.disposed, [1], 'the shape [2,3] engine was least recently used');
  await be.dispose?.();
});

test('a segment the translator declines fails at compile time, also with symbolic dims', async () => {
  const fake = fakeAddon();
  const be = createOnednnBackend({ intraOpNumThreads: 1, addon: fake.addon });
  const b = new GraphBuilder('t', { '': 13 });
  b.input('x', 'float32', ['N', 1, 3, 3, 3, 3]);
  const w = b.float('w', [1, 1, 1, 1, 1, 1], [2]);
  b.output(b.op('Relu', [b.op('Conv', ['x', w])]), 'float32', []);
  const seg = segmentOf(b.build(), () => true);
  await assert.rejects(async () => be.compileSegment!(seg), (e: unknown) => e instanceof OptiflowError && e.code === 'unsupported_op' && /4 spatial dims/.test(e.message));
});
