/**
 * The onednn backend through a session (executor segments): MobileNet v1 runs as one segment and
 * matches the js session; overlapping runs and several input shapes (engine cache) give the same
 * results; a missing addon makes the factory reject with the reason. Skips, saying why, when the
 * addon is unavailable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createJsBackend } from '../js/index.js';
import { OptiflowError } from '../../ir/errors.js';
import { exportOnnx } from '../../exporters/onnx/export.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { InferenceSession } from '../../runtime/session.js';
import { relativeError } from '../../testing/compare.js';
import { GraphBuilder, Rng, ZOO } from '../../zoo/index.js';
import { createOnednnBackend, onednnBackendFactory } from './index.js';
import { loadOnednnAddon } from './native.js';

const load = loadOnednnAddon();
const skip = 'unavailable' in load ? load.unavailable : false;
const FACTORIES = { onednn: onednnBackendFactory, js: createJsBackend };

async function run(bytes: Uint8Array, eps: string[], feeds: Record<string, TensorData>): Promise<Float32Array[]> {
  const s = await InferenceSession.create(bytes, { executionProviders: eps, intraOpNumThreads: 2 }, FACTORIES);
  try {
    const out = await s.run(feeds as never);
    return s.outputNames.map((n) => out[n]!.data as Float32Array);
  } finally {
    await s.release();
  }
}

test('MobileNet v1 runs as one onednn segment and matches the js session', { skip }, async () => {
  const bytes = exportOnnx(ZOO['mobilenet_v1']!.build());
  const s = await InferenceSession.create(bytes, { executionProviders: ['onednn', 'js'], intraOpNumThreads: 2 }, FACTORIES);
  try {
    assert.ok(s.placements.every((p) => p.backend === 'onednn' && /segment_0_onednn/.test(p.cause)), JSON.stringify(s.placements[0]));
    const feeds = ZOO['mobilenet_v1']!.inputs(1);
    const [got] = await Promise.all([s.run(feeds as never), s.run(feeds as never)]);
    const [want] = await run(bytes, ['js'], feeds);
    assert.ok(relativeError(got[s.outputNames[0]!]!.data as Float32Array, want!) < 1e-4);
  } finally {
    await s.release();
  }
});

test('a segment with a dynamic batch gets one engine per input shape', { skip }, async () => {
  const rng = new Rng(3);
  const b = new GraphBuilder('dyn', { '': 13 });
  b.input('x', 'float32', ['N', 8]);
  const h = b.op('Relu', [b.op('Gemm', ['x', b.float('w', [8, 4], rng.uniforms(32, -1, 1)), b.float('c', [4], rng.uniforms(4, -1, 1))])]);
  b.output(b.op('Softmax', [b.op('Mul', [h, b.scalar('k', 3)])], { axis: -1 }), 'float32', ['N', 4]);
  const bytes = exportOnnx(b.build());
  const s = await InferenceSession.create(bytes, { executionProviders: ['onednn', 'js'] }, FACTORIES);
  try {
    assert.ok(s.placements.every((p) => p.backend === 'onednn'), JSON.stringify(s.placements));
    for (const n of [1, 5, 2, 5]) {
      const feeds = { x: { type: 'float32', dims: [n, 8], data: rng.uniforms(n * 8, -1, 1) } as TensorData };
      const got = (await s.run(feeds as never))[s.outputNames[0]!]!;
      assert.deepEqual([...got.dims], [n, 4]);
      const [want] = await run(bytes, ['js'], feeds);
      assert.ok(relativeError(got.data as Float32Array, want!) < 1e-4);
    }
  } finally {
    await s.release();
  }
});

test('createOnednnBackend: unavailable addon rejects with the reason; compile() is segments-only', () => {
  if ('unavailable' in load) {
    assert.throws(() => createOnednnBackend({ intraOpNumThreads: 1 }),
      (e: unknown) => e instanceof OptiflowError && e.code === 'invalid_argument' && e.message === load.unavailable);
    return;
  }
  const be = createOnednnBackend({ intraOpNumThreads: 1, addon: load.addon, minSegmentSize: 5 });
  assert.equal(be.name, 'onednn');
  assert.equal(be.minSegmentSize, 5);
  assert.equal(createOnednnBackend({ intraOpNumThreads: 1, addon: load.addon }).minSegmentSize, 3);
  assert.throws(() => be.compile({ name: 'n', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: new Map() }, undefined as never, 13),
    (e: unknown) => e instanceof OptiflowError && /segments only/.test(e.message));
});
