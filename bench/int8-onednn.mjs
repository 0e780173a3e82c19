#!/usr/bin/env node
/**
 * Static int8 on the `onednn` backend (batch 1, 1 thread unless --threads), built-in models: quantizes each model
 * (static QDQ, entropy calibration on seeded inputs, as bench/int8-wasm.mjs), then, interleaved in
 * one run: float32 on onednn, the QDQ file on onednn (level `all`: QLinearConv/QLinearMatMul run as
 * oneDNN int8 primitives) and the same QDQ file on onnxruntime-node's CPU EP (graphOptimizationLevel
 * all, same intraOpNumThreads). Prints medians, the ratios, where the int8 nodes run, and accuracy:
 * top-1 agreement int8 vs float over seeded inputs, and int8 onednn vs onnxruntime max |diff|.
 * Usage: node bench/int8-onednn.mjs [--models mobilenet_v1,resnet50] [--iterations 15] [--eval 8] [--threads 1] [--gap MS] [--dist DIR]
 * --gap: idle ms before each timed run (default 0 with 1 thread, 30 with more): after a run, both
 * runtimes' idle threads spin for a while (libgomp, onnxruntime's pool) and would steal the next
 * run's cores.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { argmax, loadOptiflow, median } from './quantize-common.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  models: { type: 'string', default: 'mobilenet_v1,resnet50' }, iterations: { type: 'string', default: '15' },
  eval: { type: 'string', default: '8' }, threads: { type: 'string', default: '1' }, gap: { type: 'string' }, dist: { type: 'string', default: join(root, 'dist') },
} });
const { InferenceSession, quantize, ZOO, exportOnnx } = await loadOptiflow(args.dist);
const ortFeeds = (feeds) => Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, [...t.dims])]));
const threads = Number(args.threads);
const gapMs = Number(args.gap ?? (threads > 1 ? 30 : 0));
const gap = () => (gapMs > 0 ? new Promise((r) => setTimeout(r, gapMs)) : undefined);
const first = (out) => Object.values(out)[0].data;

for (const model of args.models.split(',')) {
  const zoo = ZOO[model];
  const float = exportOnnx(zoo.build());
  const calibration = [0, 1, 2, 3].map((seed) => zoo.inputs(1, seed + 10));
  const int8 = (await quantize(float, { mode: 'static', method: 'entropy', calibration })).bytes();
  // 'js' as a fallback also owns the unfused float Conv, so the QDQ fusion's capability oracle accepts QLinearConv (with onednn alone it
  // declines: onednn does not run a Conv whose weights are a DequantizeLinear output); every node still runs on onednn (see "int8 runs").
  const opts = { executionProviders: ['onednn', 'js'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' };
  const fs = await InferenceSession.create(float, opts);
  const qs = await InferenceSession.create(int8, opts);
  const os = await ort.InferenceSession.create(int8, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
  const feeds = zoo.inputs(1); const of = ortFeeds(feeds);
  for (let i = 0; i < 3; i++) { await fs.run(feeds); await qs.run(feeds); await os.run(of); }
  const t = { f: [], q: [], o: [] };
  for (let i = 0; i < Number(args.iterations); i++) {
    await gap(); let t0 = performance.now(); await fs.run(feeds); t.f.push(performance.now() - t0);
    await gap(); t0 = performance.now(); await qs.run(feeds); t.q.push(performance.now() - t0);
    await gap(); t0 = performance.now(); await os.run(of); t.o.push(performance.now() - t0);
  }
  let agreeFloat = 0; let agreeOrt = 0; let maxDiff = 0; const n = Number(args.eval);
  for (let s = 0; s < n; s++) {
    const x = zoo.inputs(1, 100 + s);
    const [yf, yq, yo] = [first(await fs.run(x)), first(await qs.run(x)), first(await os.run(ortFeeds(x)))];
    if (argmax(yf) === argmax(yq)) agreeFloat++;
    if (argmax(yo) === argmax(yq)) agreeOrt++;
    for (let i = 0; i < yq.length; i++) maxDiff = Math.max(maxDiff, Math.abs(yq[i] - yo[i]));
  }
  const where = new Map();
  for (const p of qs.placements) where.set(`${p.opType}@${p.backend}`, (where.get(`${p.opType}@${p.backend}`) ?? 0) + 1);
  const [mf, mq, mo] = [median(t.f), median(t.q), median(t.o)];
  process.stdout.write(`${model} (batch 1, ${threads} thread${threads > 1 ? 's' : ''}, ${args.iterations} interleaved runs, gap ${gapMs} ms, medians)\n`
    + `  float32 onednn        ${mf.toFixed(2)} ms\n  int8 onednn           ${mq.toFixed(2)} ms\n  int8 onnxruntime-node ${mo.toFixed(2)} ms\n`
    + `  int8 vs float onednn: ${(mf / mq).toFixed(2)}x; int8 onednn vs onnxruntime: ${(mo / mq).toFixed(2)}x\n`
    + `  top-1 int8 = float on ${agreeFloat}/${n} inputs; int8 onednn = onnxruntime on ${agreeOrt}/${n}, max |diff| ${maxDiff.toExponential(2)}\n`
    + `  int8 runs: ${[...where].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  await fs.release(); await qs.release();
}
