import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Graph } from '../../ir/graph.js';
import { sizeOf } from '../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../ops/index.js';
import { UNARY } from '../../ops/elementwise-unary.js';
import { checkOps, inferGraph } from '../../ops/infer-graph.js';
import { OpRegistry } from '../../ops/registry.js';
import { f32, floats } from '../../testing/run-kernel.js';
import { createWebgpuBackend } from './index.js';
import { defineGpuKernel, type GpuTuningProblem, type PipelineCache } from './kernel.js';
import { gpuTestSkipReason, runGpuKernel } from './testing.js';
import { loadTuningTable, saveTuningTable, TuningTable } from './tuning.js';

const wgsl = (wg: number): string => `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: vec4<u32>;
@compute @workgroup_size(${wg}) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x >= u.x) { return; }
  y[g.x] = max(x[g.x], 0.0);
}`;

const pipe = (p: PipelineCache, wg: number): Promise<GPUComputePipeline> => p.get(`tune-test/relu/wg${wg}`, () => wgsl(wg));

/** A Relu whose workgroup size is tuned: key `tune-test/relu`, candidates 32/64/128 and an invalid 4096. */
const TUNED_RELU = defineGpuKernel(UNARY.Relu, {
  async create(ctx) {
    const wg = ctx.tuned('tune-test/relu')?.[0] ?? 64;
    const p = await pipe(ctx.pipelines, wg);
    const n = Number(ctx.inputs[0]?.shape?.reduce((a, d) => Number(a) * Number(d), 1) ?? 0);
    return {
      encode(enc, [x], [y]) {
        const m = sizeOf(y!.dims);
        enc.dispatch(p, [x!, y!, { uniform: new Uint32Array([m]) }], [Math.ceil(m / wg), 1, 1]);
      },
      tuning(): GpuTuningProblem[] {
        return [{
          key: 'tune-test/relu', candidates: [[32], [64], [128], [4096]],
          async prepare([w]) {
            const q = await pipe(ctx.pipelines, w!);
            return (enc) => {
              const x = enc.scratch([n], 'float32');
              const y = enc.scratch([n], 'float32');
              enc.dispatch(q, [x, y, { uniform: new Uint32Array([n]) }], [Math.ceil(n / w!), 1, 1]);
            };
          },
        }];
      },
    };
  },
});

test('TuningTable saves atomically and loads; other adapters and broken files give an empty table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-tune-'));
  try {
    const file = join(dir, 'sub', 'cache.json');
    const t = new TuningTable('vendor-arch', 'desc');
    t.set('k', { choice: [8, 8], ms: 1.5, tried: 3 });
    await saveTuningTable(t, file);
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['cache.json'], 'no temporary file left behind');
    assert.deepEqual((await loadTuningTable(file, 'vendor-arch')).entry('k'), { choice: [8, 8], ms: 1.5, tried: 3 });
    assert.equal((await loadTuningTable(file, 'other')).size, 0);
    writeFileSync(file, '{ not json');
    assert.equal((await loadTuningTable(file, 'vendor-arch')).size, 0);
    assert.equal((await loadTuningTable(join(dir, 'missing.json'), 'x')).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('backend.tune times candidates, skips invalid ones, saves the winner; a later backend reads it', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-tune-'));
  try {
    const file = join(dir, 'webgpu-tuning.json');
    const g = new Graph();
    g.opsets.set('', 17);
    g.inputs.push({ name: 'x', dtype: 'float32', shape: [1000] });
    g.nodes.push({ name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: new Map() });
    g.outputs.push({ name: 'y' });
    const schemas = checkOps(g, new OpRegistry(ALL_SCHEMAS));
    inferGraph(g, schemas);
    const spec = { graph: g, nodes: g.nodes, schemas, opsets: g.opsets, inputs: ['x'], outputs: ['y'] };
    const be = await createWebgpuBackend({ kernels: [TUNED_RELU], tuningCache: file, minFlopsPerByte: 0 });
    await be.compileSegment(spec);
    const keys = await be.tune({ repeats: 2, warmup: 0 });
    assert.deepEqual(keys, ['tune-test/relu']);
    const entry = be.tuning.entry('tune-test/relu')!;
    assert.equal(entry.tried, 3, '4096 exceeds maxComputeInvocationsPerWorkgroup and is skipped');
    assert.ok([32, 64, 128].includes(entry.choice[0]!));
    be.dispose();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { adapter: string; entries: Record<string, { choice: number[] }> };
    assert.deepEqual(saved.entries['tune-test/relu']!.choice, entry.choice);

    const be2 = await createWebgpuBackend({ kernels: [TUNED_RELU], tuningCache: file, minFlopsPerByte: 0 });
    assert.deepEqual(be2.context.tuned('tune-test/relu'), entry.choice);
    const seg = await be2.compileSegment(spec);
    assert.ok(be2.context.pipelines.keys().includes(`tune-test/relu/wg${entry.choice[0]}`));
    const x = Array.from({ length: 1000 }, (_, i) => i - 500);
    const [y] = await seg.run([f32([1000], x)]);
    assert.deepEqual(floats(y), x.map((v) => Math.max(v, 0)));
    be2.dispose();
    // The harness path sees no tuning table: the default workgroup size.
    assert.deepEqual(floats((await runGpuKernel(TUNED_RELU, {}, [f32([3], [-1, 0, 1])]))[0]), [0, 0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
