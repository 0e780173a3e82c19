#!/usr/bin/env node
/**
 * Static int8 vs float32 on the `wasm` backend (batch 1, 1 thread), built-in models: quantizes each
 * model (static QDQ, entropy calibration on seeded inputs), loads both files at level `all` (the
 * QDQ fusions turn the quantized convolutions into QLinearConv), alternates runs, prints medians,
 * the speed-up, which op types run and where, and the file-size ratio.
 * Usage: node bench/int8-wasm.mjs [--models mobilenet_v1,resnet50] [--iterations 9] [--dist DIR]
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  models: { type: 'string', default: 'mobilenet_v1,resnet50' }, iterations: { type: 'string', default: '9' },
  dist: { type: 'string', default: join(root, 'dist') },
} });
const load = (p) => import(pathToFileURL(join(resolve(args.dist), p)).href);
const { InferenceSession } = await load('index.js');
const { quantize } = await load('quantize/index.js');
const { ZOO } = await load('zoo/index.js');
const { exportOnnx } = await load('exporters/onnx/export.js');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

for (const model of args.models.split(',')) {
  const zoo = ZOO[model];
  const float = exportOnnx(zoo.build());
  const calibration = [0, 1, 2, 3].map((seed) => zoo.inputs(1, seed + 10));
  const q = await quantize(float, { mode: 'static', method: 'entropy', calibration });
  const int8 = q.bytes();
  const opts = { intraOpNumThreads: 1 };
  const [fs, qs] = [await createSession(float, opts), await createSession(int8, opts)];
  const feeds = zoo.inputs(1);
  for (let i = 0; i < 2; i++) { await fs.run(feeds); await qs.run(feeds); }
  const tf = []; const tq = [];
  for (let i = 0; i < Number(args.iterations); i++) {
    let t0 = performance.now(); await fs.run(feeds); tf.push(performance.now() - t0);
    t0 = performance.now(); await qs.run(feeds); tq.push(performance.now() - t0);
  }
  const where = new Map();
  for (const p of qs.placements) where.set(`${p.opType}@${p.backend}`, (where.get(`${p.opType}@${p.backend}`) ?? 0) + 1);
  process.stdout.write(`${model}: float32 ${median(tf).toFixed(2)} ms, int8 ${median(tq).toFixed(2)} ms, speed-up ${(median(tf) / median(tq)).toFixed(2)}x; `
    + `file ${(int8.length / float.length).toFixed(3)}x; quantized ${q.report.quantized.length} nodes\n  runs: ${[...where].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  await fs.release(); await qs.release();
}

async function createSession(bytes, opts) { return InferenceSession.create(bytes, opts); }
