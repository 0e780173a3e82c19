#!/usr/bin/env node
/**
 * Static int8 vs float32 on the `wasm` backend (batch 1, 1 thread), built-in models: quantizes each
 * model (static QDQ, entropy calibration on seeded inputs), loads both files at level `all` (the
 * QDQ fusions turn the quantized convolutions into QLinearConv), alternates runs, prints medians,
 * the speed-up, which op types run and where, and the file-size ratio.
 * Always runs on `['wasm', 'js']` (the session default puts onednn first). `--profile` adds a third,
 * profiled int8 session and prints its per-op-type time shares.
 * Usage: node bench/int8-wasm.mjs [--models mobilenet_v1,resnet50] [--iterations 9] [--dist DIR] [--profile]
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadOptiflow, median } from './quantize-common.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  models: { type: 'string', default: 'mobilenet_v1,resnet50' }, iterations: { type: 'string', default: '9' },
  dist: { type: 'string', default: join(root, 'dist') }, profile: { type: 'boolean', default: false },
} });
const { InferenceSession, quantize, ZOO, exportOnnx } = await loadOptiflow(args.dist);

for (const model of args.models.split(',')) {
  const zoo = ZOO[model];
  const float = exportOnnx(zoo.build());
  const calibration = [0, 1, 2, 3].map((seed) => zoo.inputs(1, seed + 10));
  const q = await quantize(float, { mode: 'static', method: 'entropy', calibration });
  const int8 = q.bytes();
  const opts = { intraOpNumThreads: 1, executionProviders: ['wasm', 'js'] };
  const [fs, qs] = [await createSession(float, opts), await createSession(int8, opts)];
  const feeds = zoo.inputs(1);
  for (let i = 0; i < 2; i++) { await fs.run(feeds); await qs.run(feeds); }
  const tf = []; const tq = []; const cf = []; const cq = [];
  // Wall time and this process's CPU time (user + system) per run: on a loaded machine the CPU
  // time of these single-thread runs is the steadier measure.
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
  for (let i = 0; i < Number(args.iterations); i++) {
    let t0 = performance.now(); let c0 = cpu(); await fs.run(feeds); tf.push(performance.now() - t0); cf.push(cpu() - c0);
    t0 = performance.now(); c0 = cpu(); await qs.run(feeds); tq.push(performance.now() - t0); cq.push(cpu() - c0);
  }
  const where = new Map();
  for (const p of qs.placements) where.set(`${p.opType}@${p.backend}`, (where.get(`${p.opType}@${p.backend}`) ?? 0) + 1);
  process.stdout.write(`${model}: float32 ${median(tf).toFixed(2)} ms, int8 ${median(tq).toFixed(2)} ms, speed-up ${(median(tf) / median(tq)).toFixed(2)}x; `
    + `file ${(int8.length / float.length).toFixed(3)}x; quantized ${q.report.quantized.length} nodes\n`
    + `  cpu time: float32 ${median(cf).toFixed(2)} ms, int8 ${median(cq).toFixed(2)} ms, speed-up ${(median(cf) / median(cq)).toFixed(2)}x\n  runs: ${[...where].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  await fs.release(); await qs.release();
  if (args.profile) {
    const ps = await createSession(int8, { ...opts, enableProfiling: true });
    for (let i = 0; i < Number(args.iterations); i++) await ps.run(feeds);
    for (const e of ps.profilingSummary()) {
      process.stdout.write(`  ${e.opType.padEnd(22)} ${(e.ms / Number(args.iterations)).toFixed(2).padStart(8)} ms/run  ${(100 * e.share).toFixed(1).padStart(5)}%  (${e.count} calls)\n`);
    }
    await ps.release();
  }
}

async function createSession(bytes, opts) { return InferenceSession.create(bytes, opts); }
