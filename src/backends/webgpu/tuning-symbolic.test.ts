/**
 * Tuning with symbolic dims: a session whose batch dim is symbolic offers tuning problems at the
 * concrete shapes it ran (before a run: symbolic dims bound to 1), keyed without `?`; the winners
 * are saved, and a later backend loading the cache uses them (at creation for the batch-1 key, per
 * dispatch for other batches), observable through the pipeline keys; outputs checked against `js`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportOnnx } from '../../exporters/onnx/export.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { InferenceSession } from '../../runtime/session.js';
import { relativeError } from '../../testing/compare.js';
import { GraphBuilder } from '../../zoo/builder.js';
import { createJsBackend } from '../js/index.js';
import { createWebgpuBackend, type WebgpuBackend } from './index.js';
import { gpuTestSkipReason } from './testing.js';
import { saveTuningTable } from './tuning.js';

const pseudo = (i: number, k: number): number => (((i * k) % 17) - 8) / 8;

/** x [N, 8, 16, 16] → depthwise Conv 3×3 pads 1 (direct shader) → MatMul [16, 4] → y [N, 8, 16, 4]. */
function model(): Uint8Array {
  const b = new GraphBuilder('sym', { '': 17 });
  const x = b.input('x', 'float32', ['N', 8, 16, 16]);
  const c = b.op('Conv', [x, b.float('W', [8, 1, 3, 3], Array.from({ length: 72 }, (_, i) => pseudo(i, 7) / 4))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 });
  b.op('MatMul', [c, b.float('M', [16, 4], Array.from({ length: 64 }, (_, i) => pseudo(i, 5) / 4))], {}, { output: 'y' });
  b.output('y', 'float32', ['N', 8, 16, 4]);
  return exportOnnx(b.build());
}

const input = (n: number): TensorData => ({ type: 'float32', dims: [n, 8, 16, 16], data: Float32Array.from({ length: n * 2048 }, (_, i) => pseudo(i, 3)) });

async function gpuSession(file: string, keep: WebgpuBackend[]): Promise<InferenceSession> {
  return InferenceSession.create(model(), { executionProviders: ['webgpu', 'js'], graphOptimizationLevel: 'disabled' }, {
    webgpu: async (o) => { const be = await createWebgpuBackend({ ...o, tuningCache: file, minFlopsPerByte: 0, minSegmentSize: 1 }); keep.push(be); return be; },
    js: createJsBackend,
  });
}

async function checkRun(s: InferenceSession, n: number): Promise<void> {
  const js = await InferenceSession.create(model(), { executionProviders: ['js'], graphOptimizationLevel: 'disabled' }, { js: createJsBackend });
  try {
    const got = (await s.run({ x: input(n) } as never)).y as unknown as TensorData;
    const want = (await js.run({ x: input(n) } as never)).y as unknown as TensorData;
    assert.deepEqual(got.dims, [n, 8, 16, 4]);
    const e = relativeError(got.data as Float32Array, want.data as Float32Array);
    assert.ok(e <= 1e-4, `relative error ${e} vs js`);
  } finally {
    await js.release();
  }
}

const CONV1 = 'conv-direct:Conv:f32:1x8x16x16,8x1x3x3';
const CONV4 = 'conv-direct:Conv:f32:4x8x16x16,8x1x3x3';
const GEMM4 = 'gemm:MatMul:gemm:f32:4x8x16x16,16x4';

test('symbolic batch: tuning problems at the run\'s batch, winners saved and used by a later backend', { timeout: 60_000 }, async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-tune-sym-'));
  const file = join(dir, 'cache.json');
  const keep: WebgpuBackend[] = [];
  try {
    const s1 = await gpuSession(file, keep);
    const be1 = keep[0]!;
    assert.deepEqual(s1.placements.map((p) => p.backend), ['webgpu', 'webgpu']);
    const keys = (): string[] => be1.segments.flatMap((s) => s.tuningProblems().map((p) => p.key));
    // Before any run: symbolic dims bound to 1.
    assert.deepEqual(keys(), [CONV1, 'gemm:MatMul:gemm:f32:1x8x16x16,16x4']);
    await checkRun(s1, 4);
    assert.deepEqual(keys(), [CONV4, GEMM4]);
    const tuned = await be1.tune({ repeats: 1, warmup: 0 });
    assert.deepEqual(tuned, [CONV4, GEMM4]);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { choice: number[]; tried: number }> };
    assert.ok(saved.entries[CONV4]!.tried >= 1 && [32, 64, 128, 256].includes(saved.entries[CONV4]!.choice[0]!));
    assert.equal(saved.entries[GEMM4]!.choice.length, 5);
    await s1.release();
    be1.dispose();

    // Make the winners differ from the defaults so that their use is visible in the pipeline keys.
    be1.tuning.set(CONV1, { choice: [256], ms: 1, tried: 4 });
    be1.tuning.set(CONV4, { choice: [128], ms: 1, tried: 4 });
    be1.tuning.set(GEMM4, { choice: [16, 8, 4, 4, 16], ms: 1, tried: 6 });
    await saveTuningTable(be1.tuning, file);

    const s2 = await gpuSession(file, keep);
    const be2 = keep[1]!;
    const pipes = (): string[] => be2.context.pipelines.keys();
    // At creation the symbolic dims bind to 1: the batch-1 winner of the conv is built, not the default.
    assert.ok(pipes().some((k) => k.startsWith('a/conv-direct/') && k.endsWith('/wg256')), pipes().join(' '));
    assert.ok(!pipes().some((k) => k.endsWith('/wg64')), pipes().join(' '));
    assert.ok(!pipes().some((k) => k.endsWith('/16x8x4x4x16')));
    // Batch 4: the first run looks the winners up by the concrete shapes and creates their pipelines.
    await checkRun(s2, 4);
    for (let i = 0; i < 500 && !(pipes().some((k) => k.endsWith('/wg128')) && pipes().some((k) => k.endsWith('/16x8x4x4x16'))); i++) {
      await new Promise((ok) => setTimeout(ok, 10));
    }
    assert.ok(pipes().some((k) => k.startsWith('a/conv-direct/') && k.endsWith('/wg128')), pipes().join(' '));
    assert.ok(pipes().some((k) => k.startsWith('a/gemm/') && k.endsWith('/16x8x4x4x16')), pipes().join(' '));
    // Later runs dispatch with the tuned pipelines (and still match js).
    await checkRun(s2, 4);
    await checkRun(s2, 2);
    await s2.release();
  } finally {
    for (const be of keep) be.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
