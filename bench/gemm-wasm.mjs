#!/usr/bin/env node
// Micro benchmark of the wasm backend's f32 GEMM (assembly/kernels/gemm.ts), both builds.
// Usage: node bench/gemm-wasm.mjs [buildDir] [sizes...]   (buildDir defaults to dist; e.g. .build/w1)
// A size is S (square) or MxNxK. For each: C[M,N] = A·B with B packed once (a constant weight) and A packed per call,
// one thread. Prints the median GFLOP/s over the runs, by wall clock and by process CPU time
// (the latter is steadier on a machine shared with other processes).
// Run with `node --no-liftoff` to skip V8's baseline tier (otherwise the first calls run unoptimized).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(process.argv[2] ?? 'dist');
const sizes = process.argv.slice(3).map((s) => { const v = s.split('x').map(Number); return v.length === 3 ? v : [v[0], v[0], v[0]]; });
const load = (p) => import(pathToFileURL(path.join(root, p)).href);
const { loadWasmModule } = await load('backends/wasm/loader.js');
const { WasmRuntime } = await load('backends/wasm/runtime.js');
const core = await load('backends/wasm/kernels/gemm-core.js');

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
function rand(n) { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5; return a; }

for (const variant of ['relaxed', 'simd']) {
  let mod;
  try { mod = await loadWasmModule(variant); } catch (e) { console.log(`${variant}: not available (${e.message})`); continue; }
  const rt = WasmRuntime.create(mod.module, variant, 64 << 20);
  for (const [m, n, k] of sizes.length ? sizes : [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024]]) {
    const a = rand(m * k); const b = rand(k * n);
    const bp = core.packConstant(rt, 'b', b, 0, k, n, false);
    const ap = rt.alloc(core.packedASize(rt, m, k) * 4);
    const aIn = rt.persist(a);
    const c = rt.alloc(m * n * 4);
    const e = core.epilogue();
    const run = () => { core.packA(rt, { ptr: aIn, rs: k, cs: 1 }, m, k, ap); core.gemmPacked(rt, ap, bp.ptr, c, n, m, n, k, e); };
    const flop = 2 * m * n * k;
    const reps = Math.max(5, Math.min(50, Math.round(2e9 / flop)));
    for (let i = 0; i < 3; i++) run();
    const wall = []; const cpu = [];
    for (let i = 0; i < reps; i++) {
      const w0 = performance.now(); const c0 = cpuMs();
      run();
      cpu.push(cpuMs() - c0); wall.push(performance.now() - w0);
    }
    // Spot check one element against a double-precision dot product.
    const out = rt.f32(c, m * n); const i = m >> 1; const j = n - 1;
    let ref = 0; for (let p = 0; p < k; p++) ref += a[i * k + p] * b[p * n + j];
    const err = Math.abs(out[i * n + j] - ref);
    const gf = (ms) => (flop / ms / 1e6).toFixed(1);
    console.log(`${variant} M${m} N${n} K${k}: wall ${median(wall).toFixed(2)} ms = ${gf(median(wall))} GFLOP/s; cpu ${gf(median(cpu))} GFLOP/s (median of ${reps}; |err| ${err.toExponential(1)})`);
    for (const p of [ap, aIn, c, bp.ptr]) rt.free(p);
  }
}
