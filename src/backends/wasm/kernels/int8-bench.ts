/**
 * Throughput of the int8 GEMM against the float32 GEMM on one thread (not a test: prints GOP/s).
 * Run: `node <outDir>/backends/wasm/kernels/int8-bench.js [M N K]`.
 * @module
 */
import { loadWasmModule } from '../loader.js';
import { WasmRuntime } from '../runtime.js';
import { epilogue, gemmPacked, packedASize, packedBSize } from './gemm-core.js';
import { f64Table, int8Gemm, int8PackedBytes, OUT_U8 } from './int8-core.js';

const [m, n, k] = process.argv.slice(2, 5).map(Number).length === 3 ? process.argv.slice(2, 5).map(Number) as [number, number, number] : [256, 784, 1152];
const { module, variant } = await loadWasmModule();
const rt = WasmRuntime.create(module, variant);

function time(f: () => void): number {
  f();
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    let reps = 0;
    do { f(); reps++; } while (performance.now() - t0 < 150);
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best;
}

const ap = rt.alloc(packedASize(rt, m, k) * 4); const bp = rt.alloc(packedBSize(rt, k, n) * 4);
rt.f32(ap, packedASize(rt, m, k)).fill(0.5); rt.f32(bp, packedBSize(rt, k, n)).fill(0.25);
const c = rt.alloc(m * n * 4);
const tf = time(() => gemmPacked(rt, ap, bp, c, n, m, n, k, epilogue()));
const ap8 = rt.alloc(int8PackedBytes(rt, 'a', m, k)); const bp8 = rt.alloc(int8PackedBytes(rt, 'b', n, k));
new Int16Array(rt.memory.buffer, ap8, int8PackedBytes(rt, 'a', m, k) / 2).fill(3);
new Int16Array(rt.memory.buffer, bp8, int8PackedBytes(rt, 'b', n, k) / 2).fill(-2);
const c8 = rt.alloc(m * n);
const sc = f64Table(rt, undefined, [1e-4], m, 1);
const ti = time(() => int8Gemm(rt, ap8, bp8, c8, n, m, n, k, { mode: OUT_U8, bias: 0, scale: sc, byRow: true, zy: 128 }));
const ops = 2 * m * n * k / 1e9;
console.log(`${variant} build, M=${m} N=${n} K=${k}: float32 ${(ops / tf * 1e3).toFixed(1)} GFLOP/s (${tf.toFixed(2)} ms), ` +
  `int8 ${(ops / ti * 1e3).toFixed(1)} GOP/s (${ti.toFixed(2)} ms), ratio ${(tf / ti).toFixed(2)}x`);
