#!/usr/bin/env node
/**
 * `npm run bench:peers`: optiflow's portable CPU path against the JavaScript-land peers, in one run.
 *
 * Engines: optiflow (`wasm` then `js` backends: the portable path), optiflow-onednn (`onednn` first, then `wasm`,
 * `js`; skipped, saying why, where the oneDNN addon is not built), onnxruntime-node 1.30 (native
 * CPU execution provider, graph optimization `all`, inter-op 1), onnxruntime-web 1.30 (wasm
 * backend, SIMD, graph optimization `all`), and for MobileNet v1 @tensorflow/tfjs-backend-wasm
 * 4.22 (the same architecture built with tfjs-layers, NHWC, seeded random weights). Models: the built-in MobileNet
 * v1, ResNet-50 and BERT encoder, batch 1 (latency) and batch 8 (throughput), 1 and 2 intra-op
 * threads. Every (engine, thread count) runs in its own child process, one after another:
 * onnxruntime-web fixes its thread count when its wasm loads, and its idle worker threads keep
 * spinning after each run, which would steal the cores of another engine in the same process.
 * With `--repeat N` the whole sequence of children runs N times (odd repeats in reverse engine
 * order) and each row is the median of its N child medians: a slow phase of a shared machine then
 * no longer decides a ratio. Prints medians (ms) and optiflow/peer ratios; writes everything as JSON.
 *
 * Usage: node bench/peers.mjs [--models mobilenet_v1,resnet50,bert] [--threads 1,2] [--batches 1,8]
 *          [--engines optiflow,optiflow-onednn,onnxruntime-node,onnxruntime-web,tfjs-wasm] [--precision fp32|bf16]
 *          [--iterations 7] [--warmup 2] [--repeat 1] [--json bench/results/peers.json] [--dist DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mobilenet_v1,resnet50,bert' },
    threads: { type: 'string', default: '1,2' },
    batches: { type: 'string', default: '1,8' },
    iterations: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '2' },
    json: { type: 'string', default: join(root, 'bench', 'results', 'peers.json') },
    dist: { type: 'string', default: join(root, 'dist') },
    child: { type: 'string' },
    engine: { type: 'string' },
    engines: { type: 'string', default: 'optiflow,optiflow-onednn,onnxruntime-node,onnxruntime-web,tfjs-wasm' },
    precision: { type: 'string', default: 'fp32' },
    repeat: { type: 'string', default: '1' },
  },
});
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

if (args.child) {
  await child(Number(args.child), args.engine);
} else {
  parent();
}

/** Runs one child per thread count, then prints and saves the table. */
function parent() {
  if (!existsSync(join(resolve(args.dist), 'index.js'))) {
    process.stderr.write(`error: ${args.dist}/index.js not found; run npm run build first\n`);
    process.exit(2);
  }
  const repeats = Math.max(1, Number(args.repeat));
  const raw = [];
  for (let rep = 0; rep < repeats; rep++) {
    for (const t of list(args.threads).map(Number)) {
      // Odd repeats run the engines in reverse order, so a slow phase of the machine does not
      // always fall on the same engine.
      const engines = rep % 2 ? list(args.engines).reverse() : list(args.engines);
      for (const engine of engines) {
        if (engine === 'tfjs-wasm' && (t !== 1 || !list(args.models).includes('mobilenet_v1'))) continue;
        process.stderr.write(`${engine}, ${t} thread(s)${repeats > 1 ? `, repeat ${rep + 1}/${repeats}` : ''}: ${args.models} at batches ${args.batches}...\n`);
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(t), '--engine', engine,
          '--models', args.models, '--batches', args.batches, '--iterations', args.iterations,
          '--warmup', args.warmup, '--dist', args.dist, '--precision', args.precision], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
        if (r.status === 3) continue; // engine unavailable here (the child said why)
        if (r.status !== 0) { process.stderr.write(`child for ${engine} at ${t} threads failed (exit ${r.status})\n`); process.exit(1); }
        raw.push(...JSON.parse(r.stdout.trim().split('\n').pop()));
      }
    }
  }
  // One row per (model, batch, threads, engine): the median of its children's medians.
  const rows = [];
  for (const x of raw) {
    let row = rows.find((y) => y.model === x.model && y.batch === x.batch && y.threads === x.threads && y.engine === x.engine);
    if (!row) rows.push(row = { model: x.model, batch: x.batch, threads: x.threads, engine: x.engine, repeatMediansMs: [], runsMs: [] });
    row.repeatMediansMs.push(x.medianMs);
    row.runsMs.push(...x.runsMs);
  }
  for (const row of rows) row.medianMs = median(row.repeatMediansMs);
  const order = list(args.engines);
  rows.sort((a, b) => a.threads - b.threads || list(args.models).indexOf(a.model) - list(args.models).indexOf(b.model)
    || a.batch - b.batch || order.indexOf(a.engine) - order.indexOf(b.engine));
  const table = [['model', 'batch', 'threads', 'engine', 'median ms', 'inf/s', 'wasm/engine', 'onednn/engine']];
  const ratio = (row, mineEngine) => {
    const mine = rows.find((x) => x.model === row.model && x.batch === row.batch && x.threads === row.threads && x.engine === mineEngine);
    return mine && !row.engine.startsWith('optiflow') ? (mine.medianMs / row.medianMs).toFixed(3) : '';
  };
  for (const row of rows) {
    table.push([row.model, String(row.batch), String(row.threads), row.engine, row.medianMs.toFixed(2),
      (row.batch * 1000 / row.medianMs).toFixed(2), ratio(row, 'optiflow'), ratio(row, 'optiflow-onednn')]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) process.stdout.write(`${r.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}\n`);
  const scaling = [];
  for (const row of rows.filter((x) => x.engine.startsWith('optiflow') && x.threads !== 1)) {
    const one = rows.find((x) => x.engine === row.engine && x.model === row.model && x.batch === row.batch && x.threads === 1);
    if (one) scaling.push({ engine: row.engine, model: row.model, batch: row.batch, threads: row.threads, speedup: one.medianMs / row.medianMs });
  }
  for (const s of scaling) process.stdout.write(`${s.engine} ${s.model} batch ${s.batch}: ${s.threads} threads vs 1 = ${s.speedup.toFixed(2)}x\n`);
  const file = resolve(args.json);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows, scaling }, null, 2));
  renameSync(tmp, file);
  process.stdout.write(`wrote ${file}\n`);
}

/** Measures one engine at one thread count; prints one JSON line of rows. */
async function child(threads, engine) {
  const load = (p) => import(pathToFileURL(join(resolve(args.dist), p)).href);
  const { InferenceSession } = await load('index.js');
  const { ZOO } = await load('zoo/index.js');
  const { exportOnnx } = await load('exporters/onnx/export.js');
  const ort = engine === 'onnxruntime-web' ? await import('onnxruntime-web') : engine === 'onnxruntime-node' ? await import('onnxruntime-node') : undefined;
  if (engine === 'onnxruntime-web') { ort.env.wasm.numThreads = threads; ort.env.wasm.simd = true; }
  // `optiflow` is the portable path (wasm kernels); `optiflow-onednn` the native one, skipped
  // (exit 3, saying why) where the addon is not built.
  const providers = engine === 'optiflow-onednn' ? ['onednn', 'wasm', 'js'] : engine === 'optiflow' ? ['wasm', 'js'] : undefined;
  if (engine === 'optiflow-onednn') {
    const { loadOnednnAddon } = await load('backends/onednn/native.js');
    const a = loadOnednnAddon();
    if ('unavailable' in a) {
      process.stderr.write(`  optiflow-onednn skipped: ${a.unavailable}\n`);
      process.exit(3);
    }
  }
  const iterations = Math.max(1, Number(args.iterations));
  const warmup = Math.max(0, Number(args.warmup));
  const rows = [];
  for (const model of list(args.models)) {
    const zoo = ZOO[model];
    if (!zoo) throw new Error(`unknown model ${model}`);
    if (engine === 'tfjs-wasm' && model !== 'mobilenet_v1') continue;
    const bytes = exportOnnx(zoo.build());
    let session; let tfjs;
    if (engine.startsWith('optiflow')) {
      session = await InferenceSession.create(bytes, { intraOpNumThreads: threads, precision: args.precision, ...(providers ? { executionProviders: providers } : {}) });
    } else if (engine === 'onnxruntime-node') {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
    } else if (ort) session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    else tfjs = await tfjsMobileNet();
    for (const batch of list(args.batches).map(Number)) {
      const feeds = zoo.inputs(batch);
      const run = tfjs ? tfjs.runner(batch)
        : ort ? ((f) => () => session.run(f))(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)])))
          : () => session.run(feeds);
      const times = [];
      for (let i = 0; i < warmup + iterations; i++) {
        const t0 = performance.now();
        await run();
        if (i >= warmup) times.push(performance.now() - t0);
      }
      rows.push({ model, batch, threads, engine, medianMs: median(times), runsMs: times });
      process.stderr.write(`  ${model} batch ${batch}: ${median(times).toFixed(1)} ms\n`);
    }
    await session?.release();
    tfjs?.dispose();
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
  process.exit(0);
}

/** MobileNet v1 1.0 224 in tfjs-layers on the tfjs wasm backend (single-threaded in Node). */
async function tfjsMobileNet() {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [224, 224, 3], filters: 32, kernelSize: 3, strides: 2, padding: 'same' }));
  m.add(tfl.layers.reLU({ maxValue: 6 }));
  const blocks = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  for (const [c, s] of blocks) {
    m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: s, padding: 'same' }));
    m.add(tfl.layers.reLU({ maxValue: 6 }));
    m.add(tfl.layers.conv2d({ filters: c, kernelSize: 1, padding: 'same' }));
    m.add(tfl.layers.reLU({ maxValue: 6 }));
  }
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dense({ units: 1000, activation: 'softmax' }));
  const inputs = new Map();
  return {
    runner(batch) {
      if (!inputs.has(batch)) inputs.set(batch, tf.randomUniform([batch, 224, 224, 3], -1, 1, 'float32', 7));
      return async () => { const y = m.predict(inputs.get(batch)); await y.data(); y.dispose(); };
    },
    dispose() { for (const x of inputs.values()) x.dispose(); m.dispose(); },
  };
}
