#!/usr/bin/env node
/**
 * Graph optimization levels side by side (issue 5's table): the built-in MobileNet v1, ResNet-50
 * and BERT encoder at levels `disabled`, `basic`, `extended` and `all`, on optiflow's default
 * backends (`onednn`, `wasm`, `js` where the oneDNN addon is built; `wasm`, `js` otherwise) and, in
 * the same run, on onnxruntime-node 1.30 (CPU execution provider, same levels, inter-op 1) as the
 * reference for what each level is worth. Sessions of one model are created together and timed in
 * interleaved rounds (one run of each level per round) so that machine noise spreads over all
 * levels alike. Prints medians (ms) and the disabled/level ratio per engine; writes JSON.
 *
 * Usage: node bench/levels.mjs [--models mobilenet_v1,resnet50,bert] [--threads 1] [--batch 1]
 *          [--rounds 15] [--warmup 3] [--providers onednn,wasm,js] [--no-ort]
 *          [--json bench/results/levels.json] [--dist DIR]
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mobilenet_v1,resnet50,bert' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    providers: { type: 'string' },
    'no-ort': { type: 'boolean', default: false },
    json: { type: 'string', default: join(root, 'bench', 'results', 'levels.json') },
    dist: { type: 'string', default: join(root, 'dist') },
  },
});
const LEVELS = ['disabled', 'basic', 'extended', 'all'];
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const dist = resolve(args.dist);
if (!existsSync(join(dist, 'index.js'))) {
  process.stderr.write(`error: ${dist}/index.js not found; run npm run build first\n`);
  process.exit(2);
}
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { InferenceSession, Tensor } = await load('index.js');
const { ZOO } = await load('zoo/index.js');
const { exportOnnx } = await load('exporters/onnx/export.js');
const ort = args['no-ort'] ? undefined : await import('onnxruntime-node');
const threads = Number(args.threads);
const batch = Number(args.batch);
const rounds = Math.max(1, Number(args.rounds));
const warmup = Math.max(0, Number(args.warmup));
const providers = args.providers ? list(args.providers) : undefined;

const rows = [];
for (const model of list(args.models)) {
  const zoo = ZOO[model];
  if (!zoo) throw new Error(`unknown model ${model}`);
  const bytes = exportOnnx(zoo.build());
  const feeds = zoo.inputs(batch);
  /** @type {{engine: string, level: string, run: () => Promise<unknown>, times: number[], release: () => Promise<void>, backends?: string}[]} */
  const configs = [];
  for (const level of LEVELS) {
    const s = await InferenceSession.create(bytes, {
      graphOptimizationLevel: level, intraOpNumThreads: threads, ...(providers ? { executionProviders: providers } : {}),
    });
    const ours = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor(v.type, v.data, v.dims)]));
    const count = new Map();
    for (const p of s.placements) count.set(p.backend, (count.get(p.backend) ?? 0) + 1);
    configs.push({ engine: 'optiflow', level, run: () => s.run(ours), times: [], release: () => s.release(),
      backends: [...count].map(([b, n]) => `${b} ${n}`).join(', ') });
    if (ort) {
      const o = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: level, intraOpNumThreads: threads, interOpNumThreads: 1 });
      const theirs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)]));
      configs.push({ engine: 'onnxruntime-node', level, run: () => o.run(theirs), times: [], release: () => o.release() });
    }
  }
  for (const c of configs) for (let i = 0; i < warmup; i++) await c.run();
  for (let r = 0; r < rounds; r++) {
    for (const c of configs) {
      const t0 = performance.now();
      await c.run();
      c.times.push(performance.now() - t0);
    }
  }
  for (const c of configs) {
    await c.release();
    rows.push({ model, engine: c.engine, level: c.level, batch, threads, medianMs: median(c.times), ...(c.backends ? { backends: c.backends } : {}) });
  }
}

const pad = (s, n) => String(s).padEnd(n);
const num = (x) => x.toFixed(2).padStart(8);
process.stdout.write(`batch ${batch}, ${threads} thread(s), ${rounds} interleaved rounds; ratio = disabled / level (higher: the level is faster)\n`);
process.stdout.write(`${pad('model', 14)}${pad('engine', 18)}${LEVELS.map((l) => `${l.padStart(9)} ms`).join('')}${LEVELS.slice(1).map((l) => `${('÷' + l).padStart(11)}`).join('')}\n`);
for (const model of list(args.models)) {
  for (const engine of ['optiflow', 'onnxruntime-node']) {
    const r = LEVELS.map((l) => rows.find((x) => x.model === model && x.engine === engine && x.level === l));
    if (!r[0]) continue;
    process.stdout.write(`${pad(model, 14)}${pad(engine, 18)}${r.map((x) => `${num(x.medianMs)}   `).join('')}`
      + `${r.slice(1).map((x) => `${(r[0].medianMs / x.medianMs).toFixed(2).padStart(10)}×`).join('')}\n`);
  }
  const all = rows.find((x) => x.model === model && x.engine === 'optiflow' && x.level === 'all');
  if (all?.backends) process.stdout.write(`${pad('', 14)}optiflow at all: ${all.backends}\n`);
}
mkdirSync(dirname(resolve(args.json)), { recursive: true });
const tmp = `${resolve(args.json)}.tmp`;
writeFileSync(tmp, `${JSON.stringify({ date: new Date().toISOString(), threads, batch, rounds, rows }, null, 2)}\n`);
renameSync(tmp, resolve(args.json));
process.stdout.write(`wrote ${args.json}\n`);
