import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createWebgpuBackend } from '../backends/webgpu/index.js';
import { gpuTestSkipReason } from '../backends/webgpu/testing.js';
import { exportOnnx } from '../exporters/onnx/export.js';
import { GraphBuilder } from '../zoo/index.js';
import { formatTune, tuneWebgpu } from './bench.js';

/** x [16,64] -> MatMul [64,32] -> Add -> Relu -> MatMul [32,16]: two tunable MatMuls. */
function mlp(): Uint8Array {
  const b = new GraphBuilder('mlp', { '': 17 });
  const x = b.input('x', 'float32', [16, 64]);
  const h = b.op('MatMul', [x, b.float('W1', [64, 32], Float32Array.from({ length: 64 * 32 }, (_, i) => ((i % 13) - 6) / 20))]);
  const a = b.op('Add', [h, b.float('b1', [32], new Float32Array(32).fill(0.1))]);
  const r = b.op('Relu', [a]);
  b.op('MatMul', [r, b.float('W2', [32, 16], Float32Array.from({ length: 32 * 16 }, (_, i) => ((i % 7) - 3) / 10))], {}, { output: 'y' });
  b.output('y', 'float32', [16, 16]);
  return exportOnnx(b.build());
}

test('bench --tune with webgpu times the kernels, saves the per-adapter cache, and later backends load it', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-gpu-tune-'));
  try {
    const model = join(dir, 'mlp.onnx');
    writeFileSync(model, mlp());
    const cache = join(dir, 'cache.json');
    const o = { executionProviders: ['webgpu', 'js'], tuningCache: cache, repeats: 1, tuneWarmup: 0, level: 'disabled' as const };
    const r = await tuneWebgpu(model, o);
    assert.equal(r.cacheFile, cache);
    assert.ok(r.problems >= 1, 'the MatMuls have tuning problems');
    assert.equal(r.tuned.length, r.problems);
    assert.ok(existsSync(cache));
    const saved = readFileSync(cache, 'utf8');
    for (const k of r.tuned) assert.ok(saved.includes(JSON.stringify(k).slice(1, -1)), `${k} is in the cache file`);
    const be = await createWebgpuBackend({ tuningCache: cache });
    try {
      for (const k of r.tuned) assert.ok(be.tuning.get(k), `a later backend loads ${k}`);
    } finally {
      be.dispose();
    }
    // Cached keys are not timed again.
    const again = await tuneWebgpu(model, o);
    assert.deepEqual([again.tuned.length, again.problems], [0, r.problems]);
    const text = formatTune({ model: 'mlp', webgpu: again, trials: [], bestRealtime: TRIAL, bestThroughput: TRIAL });
    assert.match(text, new RegExp(`webgpu: 0 of ${r.problems} kernel tuning problems timed on .* \\(the rest were cached\\)`));
    assert.ok(text.includes(`webgpu tuning cache: ${cache}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const TRIAL = { mode: 'realtime' as const, threads: 1, interOpThreads: 1, batch: 1, medianMs: 1, throughput: 1000 };
