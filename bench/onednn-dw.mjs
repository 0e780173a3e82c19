// MobileNet v1 (or another zoo model) with and without the onednn depthwise fusion
// (OPTIFLOW_ONEDNN_DW_FUSION=0, read when an engine is translated), plus onnxruntime-node 1.30,
// interleaved run by run in one process. Prints medians and ratios (< 1 is faster).
//
// Usage: node bench/onednn-dw.mjs [MODEL] [THREADS] [BATCH] [--iters N]
//   OPTIFLOW_BUILD=<dir> picks the compiled optiflow (default .build/onednn-perf2, then dist).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const pos = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--iters'));
const model = pos[0] ?? 'mobilenet_v1';
const threads = Number(pos[1] ?? 1);
const batch = Number(pos[2] ?? 1);
const iters = Number(opt('--iters', 21));
const build = process.env.OPTIFLOW_BUILD ?? ['.build/onednn-perf2', 'dist'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));
const { InferenceSession, ZOO, exportOnnx } = await import(join(build, 'index.js'));
const ort = await import('onnxruntime-node');
const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
const gap = () => new Promise((r) => setTimeout(r, 30));

const bytes = exportOnnx(ZOO[model].build());
const feeds = ZOO[model].inputs(batch);
const make = async (fuse) => {
  process.env.OPTIFLOW_ONEDNN_DW_FUSION = fuse ? '1' : '0';
  const s = await InferenceSession.create(bytes, { executionProviders: ['onednn', 'wasm', 'js'], intraOpNumThreads: threads });
  await s.run(feeds); // translates and builds the engines now
  return s;
};
const fused = await make(true), plain = await make(false);
const o = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
const of = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));
const runs = [['fused', () => fused.run(feeds)], ['unfused', () => plain.run(feeds)], ['ort', () => o.run(of)]];
const t = Object.fromEntries(runs.map(([n]) => [n, []]));
for (let i = 0; i < iters + 2; i++) {
  for (const [n, f] of runs) { await gap(); const t0 = performance.now(); await f(); if (i > 1) t[n].push(performance.now() - t0); }
}
const m = Object.fromEntries(runs.map(([n]) => [n, med(t[n])]));
console.log(`${model} threads ${threads} batch ${batch} fused ${m.fused.toFixed(2)} unfused ${m.unfused.toFixed(2)} ort ${m.ort.toFixed(2)} ms; fused/unfused ${(m.fused / m.unfused).toFixed(3)} fused/ort ${(m.fused / m.ort).toFixed(3)} unfused/ort ${(m.unfused / m.ort).toFixed(3)}`);
await fused.release(); await plain.release();
