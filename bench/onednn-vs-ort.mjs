// optiflow `onednn` (providers ['onednn','wasm','js']) vs onnxruntime-node 1.30 CPU EP
// (graphOptimizationLevel all, intraOpNumThreads = threads, interOpNumThreads 1), interleaved run
// by run in one process on the same zoo model bytes. Prints medians and the ratio of medians
// (optiflow / onnxruntime; < 1 is faster) for latency, and items/s for batch > 1.
//
// Usage: node bench/onednn-vs-ort.mjs mobilenet_v1,resnet50,bert THREADS [BATCH] [--iters N] [--gap MS] [--bf16] [--profile]
//   OPTIFLOW_BUILD=<dir> picks the compiled optiflow (default .build/onednn-perf, then dist).
//   --bf16 runs optiflow in bf16 and prints top-1 agreement with fp32 (first output, argmax of the last axis).
//   --profile prints optiflow's profiling summary after the runs.
// The machine may be shared: interleaving keeps both runtimes under the same load; repeat when noisy.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (n) => args.includes(n);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const pos = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && ['--iters', '--gap'].includes(args[i - 1])));
const models = (pos[0] ?? 'mobilenet_v1,resnet50,bert').split(',');
const threads = Number(pos[1] ?? 1);
const batch = Number(pos[2] ?? 1);
const iters = Number(opt('--iters', batch > 1 ? 8 : 15));
// Idle gap before each timed run: both runtimes' idle threads spin for a while after a run
// (libgomp ~GOMP_SPINCOUNT, onnxruntime's pool until it blocks); without a gap one runtime's
// spinning threads steal cores from the other's next run.
const gapMs = Number(opt('--gap', 30));
const gap = () => new Promise((r) => setTimeout(r, gapMs));
const build = process.env.OPTIFLOW_BUILD ?? ['.build/onednn-perf', 'dist'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));
const { InferenceSession, ZOO, exportOnnx } = await import(join(build, 'index.js'));
const ort = await import('onnxruntime-node');

const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
const argmax = (d, n, k) => { let b = 0; for (let j = 1; j < n; j++) if (d[k * n + j] > d[k * n + b]) b = j; return b; };

for (const m of models) {
  const bytes = exportOnnx(ZOO[m].build());
  const feeds = ZOO[m].inputs(batch);
  const precision = flag('--bf16') ? 'bf16' : 'fp32';
  const a = await InferenceSession.create(bytes, { executionProviders: ['onednn', 'wasm', 'js'], intraOpNumThreads: threads, precision, enableProfiling: flag('--profile') });
  const b = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
  const of = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));
  const f = flag('--bf16') ? await InferenceSession.create(bytes, { executionProviders: ['onednn', 'wasm', 'js'], intraOpNumThreads: threads }) : undefined;
  const ta = [], tb = [], tf = [];
  for (let i = 0; i < iters + 2; i++) {
    await gap(); let t0 = performance.now(); await a.run(feeds); if (i > 1) ta.push(performance.now() - t0);
    await gap(); t0 = performance.now(); await b.run(of); if (i > 1) tb.push(performance.now() - t0);
    if (f) { await gap(); t0 = performance.now(); await f.run(feeds); if (i > 1) tf.push(performance.now() - t0); }
  }
  const ma = med(ta), mb = med(tb);
  const extra = batch > 1 ? ` items/s onednn ${(batch * 1000 / ma).toFixed(1)} ort ${(batch * 1000 / mb).toFixed(1)} throughput-ratio ${(mb / ma).toFixed(3)}` : '';
  console.log(`${m} threads ${threads} batch ${batch} ${precision} onednn ${ma.toFixed(2)} ort-node ${mb.toFixed(2)} ratio ${(ma / mb).toFixed(3)}${extra}`);
  if (f) {
    // top-1 agreement on the model's random inputs at batch 8 (8 rows; first output, argmax of the last axis)
    const agreeFeeds = ZOO[m].inputs(8);
    const [ob] = Object.values(await a.run(agreeFeeds)), [of32] = Object.values(await f.run(agreeFeeds));
    const n = ob.dims[ob.dims.length - 1], rows = ob.data.length / n;
    let agree = 0;
    for (let k = 0; k < rows; k++) if (argmax(ob.data, n, k) === argmax(of32.data, n, k)) agree++;
    console.log(`  fp32 ${med(tf).toFixed(2)} ms, bf16 speedup ${(med(tf) / ma).toFixed(2)}x, top-1 agreement ${agree}/${rows}`);
    await f.release();
  }
  if (flag('--profile')) console.log(a.profilingSummary?.());
  console.log('  placements', JSON.stringify((a.placements ?? []).reduce((c, p) => (c[p.backend] = (c[p.backend] ?? 0) + 1, c), {})));
  await a.release();
}
