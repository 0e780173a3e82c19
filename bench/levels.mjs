#!/usr/bin/env node
/**
 * Graph optimization levels side by side (issue 5's table): the built-in MobileNet v1, ResNet-50
 * and BERT encoder at levels `disabled`, `basic`, `extended` and `all`, on optiflow's default
 * backends (`onednn`, `wasm`, `js` where the oneDNN addon is built; `wasm`, `js` otherwise) and, in
 * the same run, on onnxruntime-node 1.30 (CPU execution provider, same levels, inter-op 1) as the
 * reference for what each level is worth. Every (engine, level) runs in its own child process, one
 * session per model (several sessions with intra-op thread pools in one process would spin against
 * each other), and the whole sequence of children runs `--repeat` times, odd repeats in reverse
 * order, so that a slow phase of a shared machine does not fall on one level; each row is the median
 * of its children's medians. Prints the medians (ms) and the disabled/level ratio per engine;
 * writes JSON.
 *
 * Usage: node bench/levels.mjs [--models mobilenet_v1,resnet50,bert] [--threads 1] [--batch 1]
 *          [--iterations 15] [--warmup 3] [--repeat 3] [--providers onednn,wasm,js] [--no-ort]
 *          [--json bench/results/levels.json] [--dist DIR]
 */
import { spawnSync } from 'node:child_process';
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
    iterations: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    providers: { type: 'string' },
    'no-ort': { type: 'boolean', default: false },
    json: { type: 'string', default: join(root, 'bench', 'results', 'levels.json') },
    dist: { type: 'string', default: join(root, 'dist') },
    child: { type: 'string' },
    level: { type: 'string' },
    repeat: { type: 'string', default: '3' },
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
const threads = Number(args.threads);
const batch = Number(args.batch);
const iterations = Math.max(1, Number(args.iterations));
const warmup = Math.max(0, Number(args.warmup));
const providers = args.providers ? list(args.providers) : undefined;

if (args.child) {
  process.stdout.write(`${JSON.stringify(await measure(args.child, args.level))}\n`);
  process.exit(0);
}
const raw = [];
const children = (args['no-ort'] ? ['optiflow'] : ['optiflow', 'onnxruntime-node']).flatMap((engine) => LEVELS.map((level) => [engine, level]));
const forward = ['models', 'threads', 'batch', 'iterations', 'warmup', 'dist', ...(providers ? ['providers'] : [])].flatMap((k) => [`--${k}`, String(args[k])]);
for (let rep = 0; rep < Math.max(1, Number(args.repeat)); rep++) {
  for (const [engine, level] of rep % 2 ? [...children].reverse() : children) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', engine, '--level', level, ...forward],
      { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) { process.stderr.write(`child for ${engine} at ${level} failed (exit ${r.status})\n`); process.exit(1); }
    raw.push(...JSON.parse(r.stdout.trim().split('\n').pop()));
  }
}
const rows = [];
for (const x of raw) {
  let row = rows.find((y) => y.model === x.model && y.engine === x.engine && y.level === x.level);
  if (!row) rows.push(row = { ...x, childMediansMs: [] });
  row.childMediansMs.push(x.medianMs);
}
for (const row of rows) row.medianMs = median(row.childMediansMs);

/** Times every model at one level on one engine (`optiflow` or `onnxruntime-node`). */
async function measure(engine, level) {
  const load = (p) => import(pathToFileURL(join(dist, p)).href);
  const { InferenceSession, Tensor } = await load('index.js');
  const { ZOO } = await load('zoo/index.js');
  const { exportOnnx } = await load('exporters/onnx/export.js');
  const ort = engine === 'onnxruntime-node' ? await import('onnxruntime-node') : undefined;
  const rows = [];
  for (const model of list(args.models)) {
    const zoo = ZOO[model];
    if (!zoo) throw new Error(`unknown model ${model}`);
    const bytes = exportOnnx(zoo.build());
    const feeds = zoo.inputs(batch);
    let c;
    if (ort) {
      const o = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: level, intraOpNumThreads: threads, interOpNumThreads: 1 });
      const theirs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)]));
      c = { run: () => o.run(theirs), release: () => o.release() };
    } else {
      const s = await InferenceSession.create(bytes, {
        graphOptimizationLevel: level, intraOpNumThreads: threads, ...(providers ? { executionProviders: providers } : {}),
      });
      const ours = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor(v.type, v.data, v.dims)]));
      const count = new Map();
      for (const p of s.placements) count.set(p.backend, (count.get(p.backend) ?? 0) + 1);
      c = { run: () => s.run(ours), release: () => s.release(), backends: [...count].map(([b, n]) => `${b} ${n}`).join(', ') };
    }
    for (let i = 0; i < warmup; i++) await c.run();
    const times = [];
    for (let r = 0; r < iterations; r++) {
      const t0 = performance.now();
      await c.run();
      times.push(performance.now() - t0);
    }
    await c.release();
    rows.push({ model, engine, level, batch, threads, medianMs: median(times), ...(c.backends ? { backends: c.backends } : {}) });
  }
  return rows;
}

const pad = (s, n) => String(s).padEnd(n);
const num = (x) => x.toFixed(2).padStart(8);
process.stdout.write(`batch ${batch}, ${threads} thread(s), ${iterations} runs per child, ${args.repeat} repeats; ratio = disabled / level (higher: the level is faster)\n`);
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
writeFileSync(tmp, `${JSON.stringify({ date: new Date().toISOString(), threads, batch, iterations, repeat: Number(args.repeat), rows }, null, 2)}\n`);
renameSync(tmp, resolve(args.json));
process.stdout.write(`wrote ${args.json}\n`);
