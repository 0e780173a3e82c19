// Leak check for the onednn addon: RSS before/after N create/run/dispose cycles of a small
// conv -> relu -> conv(+sum) -> pool -> matmul engine (plus N engines left to the garbage collector
// with --expose-gc). Usage: node --expose-gc bench/onednn-leak.mjs [cycles=1000]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = createRequire(import.meta.url)(join(root, 'native', 'onednn', 'build', 'Release', 'optiflow_onednn.node'));
const cycles = Number(process.argv[2] ?? 1000);
const T = (...dims) => ({ dims, dtype: 'f32' });
const p = { strides: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: 1 };
const w = new Float32Array(32 * 32 * 9).fill(0.01);
const spec = {
  tensors: [T(1, 32, 16, 16), T(1, 32, 16, 16), T(1, 32, 16, 16), T(1, 32, 8, 8), T(1, 2048), T(1, 10)],
  inputs: [0], outputs: [5], precision: 'fp32', threads: 1,
  ops: [
    { kind: 'conv', src: 0, dst: 1, weights: { dims: [32, 32, 3, 3], data: w }, ...p, postOps: [{ kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 }] },
    { kind: 'conv', src: 1, dst: 2, weights: { dims: [32, 32, 3, 3], data: w }, ...p, postOps: [{ kind: 'sum', tensor: 0, scale: 1 }] },
    { kind: 'pool', alg: 'max', src: 2, dst: 3, kernel: [2, 2], strides: [2, 2], padsBegin: [0, 0], padsEnd: [0, 0] },
    { kind: 'reshape', src: 3, dst: 4 },
    { kind: 'matmul', a: 4, b: { dims: [2048, 10], data: new Float32Array(20480).fill(0.1) }, dst: 5, postOps: [] },
  ],
};
const x = new Float32Array(32 * 256).fill(1), y = new Float32Array(10);
const rss = () => process.memoryUsage().rss / 2 ** 20;
async function cycle(dispose) {
  const e = addon.createEngine(spec);
  await e.run([x], [y]);
  if (dispose) e.dispose();
}
for (let i = 0; i < 50; i++) await cycle(true); // warm-up: primitive cache, allocator arenas
globalThis.gc?.();
const base = rss();
for (let i = 0; i < cycles; i++) await cycle(true);
globalThis.gc?.();
const afterDispose = rss();
for (let i = 0; i < cycles; i++) await cycle(false);
for (let i = 0; i < 5; i++) { globalThis.gc?.(); await new Promise((r) => setTimeout(r, 10)); }
const afterGc = rss();
console.log(`rss MiB: baseline ${base.toFixed(1)}, after ${cycles} dispose() cycles ${afterDispose.toFixed(1)} ` +
  `(+${(afterDispose - base).toFixed(1)}), after ${cycles} GC-finalized cycles ${afterGc.toFixed(1)} (+${(afterGc - base).toFixed(1)}); y[0]=${y[0]}`);
console.log(`native engines still alive: ${addon.info().liveEngines}`);
