#!/usr/bin/env node
/**
 * Native-memory leak check of the onednn backend through the public API: RSS after N
 * create / run / release cycles of a session (a small conv net as one onednn segment), against
 * the RSS after a warm-up. Usage: node --expose-gc bench/onednn-session-leak.mjs [cycles=1000] [--dist DIR]
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cycles = Number(process.argv[2] ?? 1000);
const di = process.argv.indexOf('--dist');
const dist = di > 0 ? resolve(process.argv[di + 1]) : join(root, 'dist');
const { InferenceSession, GraphBuilderForBench } = await import(pathToFileURL(join(dist, 'index.js')).href).then(async (m) => ({
  ...m, GraphBuilderForBench: (await import(pathToFileURL(join(dist, 'zoo', 'index.js')).href)).GraphBuilder,
}));
const { exportOnnx } = await import(pathToFileURL(join(dist, 'exporters', 'onnx', 'export.js')).href);

const b = new GraphBuilderForBench('leak', { '': 17 });
let x = b.input('x', 'float32', [1, 16, 32, 32]);
const input = x;
for (let i = 0; i < 4; i++) {
  const w = b.float('w', [16, 16, 3, 3], Float32Array.from({ length: 16 * 16 * 9 }, (_, j) => ((j * 7919) % 13 - 6) / 60));
  x = b.op('Relu', [b.op('Conv', [x, w], { pads: [1, 1, 1, 1] })]);
}
b.graph.outputs.push({ name: x, dtype: 'float32', shape: [1, 16, 32, 32], kind: 'tensor' });
const bytes = exportOnnx(b.graph);
const feeds = { [input]: { type: 'float32', dims: [1, 16, 32, 32], data: new Float32Array(16 * 1024).fill(0.5) } };
const rss = () => process.memoryUsage().rss / 2 ** 20;
async function cycle() {
  const s = await InferenceSession.create(bytes, { executionProviders: (process.env.EP ?? 'onednn').split(','), intraOpNumThreads: 1 });
  await s.run(feeds);
  await s.release();
}
for (let i = 0; i < 50; i++) await cycle();
globalThis.gc?.();
const before = rss();
const t0 = performance.now();
for (let i = 0; i < cycles; i++) await cycle();
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 100));
globalThis.gc?.();
const after = rss();
console.log(`[${process.env.EP ?? 'onednn'}] ${cycles} create/run/release cycles in ${((performance.now() - t0) / 1000).toFixed(1)} s: RSS ${before.toFixed(1)} MB -> ${after.toFixed(1)} MB (${(after - before >= 0 ? '+' : '')}${(after - before).toFixed(1)} MB)`);
