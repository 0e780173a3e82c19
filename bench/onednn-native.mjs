// Micro-benchmark of the onednn addon (native/onednn): sgemm 1024^3 GFLOP/s and a ResNet-like
// 3x3 conv (N1 C256 H14 W14 -> 256, pad 1) in ms, at 1 and 2 threads, fp32 and bf16.
// Usage: node bench/onednn-native.mjs [iterations=30] [--resnet] (--resnet: a ResNet-50 v1 engine with random
// weights, batch 1 and 8, instead). Needs `node scripts/build-native.mjs` first.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = createRequire(import.meta.url)(join(root, 'native', 'onednn', 'build', 'Release', 'optiflow_onednn.node'));
const iters = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 30);
const T = (...dims) => ({ dims, dtype: 'f32' });
const fill = (n) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);

async function time(spec, inputs, outputs) {
  const e = addon.createEngine(spec);
  for (let i = 0; i < 3; i++) await e.run(inputs, outputs);
  const ms = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await e.run(inputs, outputs);
    ms.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  e.dispose();
  ms.sort((a, b) => a - b);
  // CPU time per run: on a shared, loaded machine this estimates the latency on idle cores
  // (process CPU time; OpenMP spin-waiting inflates it with several threads).
  return { median: ms[Math.floor(ms.length / 2)], best: ms[0], cpu: (cpu.user + cpu.system) / 1000 / iters };
}

/** ResNet-50 stage-2-like: `blocks` bottlenecks (1x1 256->64, 3x3 64->64, 1x1 64->256 + residual sum, relu) at 56x56. */
function bottlenecks(blocks, precision, threads) {
  const tensors = [T(1, 256, 56, 56)], ops = [];
  const relu = { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 };
  const conv = (src, o, c, k, postOps) => {
    tensors.push(T(1, o, 56, 56));
    const pad = (k - 1) / 2;
    ops.push({ kind: 'conv', src, dst: tensors.length - 1, weights: { dims: [o, c, k, k], data: fill(o * c * k * k).map((v) => v * 0.05) },
      bias: { dims: [o], data: fill(o) }, strides: [1, 1], padsBegin: [pad, pad], padsEnd: [pad, pad], dilations: [1, 1], groups: 1, postOps });
    return tensors.length - 1;
  };
  let x = 0;
  for (let b = 0; b < blocks; b++) {
    const a = conv(x, 64, 256, 1, [relu]);
    const m = conv(a, 64, 64, 3, [relu]);
    x = conv(m, 256, 64, 1, [{ kind: 'sum', tensor: x, scale: 1 }, relu]);
  }
  return { tensors, inputs: [0], outputs: [x], ops, precision, threads };
}

/** ResNet-50 v1 (batch-norm folded into conv bias; random weights) as one engine: stem, 16 bottlenecks, avgpool, fc. */
function resnet50(batch, precision, threads) {
  const tensors = [T(batch, 3, 224, 224)], ops = [];
  const relu = { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 };
  const add = (...dims) => { tensors.push(T(...dims)); return tensors.length - 1; };
  const conv = (src, o, k, s, postOps) => {
    const [, c, h, w] = tensors[src].dims;
    const pad = Math.floor((k - 1) / 2);
    const oh = Math.floor((h + 2 * pad - k) / s) + 1, ow = Math.floor((w + 2 * pad - k) / s) + 1;
    const dst = add(batch, o, oh, ow);
    ops.push({ kind: 'conv', src, dst, weights: { dims: [o, c, k, k], data: fill(o * c * k * k).map((v) => v * Math.sqrt(2 / (c * k * k))) },
      bias: { dims: [o], data: fill(o).map((v) => v * 0.1) }, strides: [s, s], padsBegin: [pad, pad], padsEnd: [pad, pad],
      dilations: [1, 1], groups: 1, postOps });
    return dst;
  };
  let x = conv(0, 64, 7, 2, [relu]);
  const pooled = add(batch, 64, 56, 56);
  ops.push({ kind: 'pool', alg: 'max', src: x, dst: pooled, kernel: [3, 3], strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1] });
  x = pooled;
  for (const [blocks, width, stride] of [[3, 64, 1], [4, 128, 2], [6, 256, 2], [3, 512, 2]]) {
    for (let b = 0; b < blocks; b++) {
      const s = b === 0 ? stride : 1;
      const shortcut = b === 0 ? conv(x, width * 4, 1, s, []) : x;
      const a = conv(x, width, 1, 1, [relu]);
      const m = conv(a, width, 3, s, [relu]);
      x = conv(m, width * 4, 1, 1, [{ kind: 'sum', tensor: shortcut, scale: 1 }, relu]);
    }
  }
  const gap = add(batch, 2048, 1, 1), flat = add(batch, 2048), logits = add(batch, 1000);
  ops.push({ kind: 'pool', alg: 'avg_include', src: x, dst: gap, kernel: [7, 7], strides: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0] });
  ops.push({ kind: 'reshape', src: gap, dst: flat });
  ops.push({ kind: 'matmul', a: flat, b: { dims: [2048, 1000], data: fill(2048000).map((v) => v * 0.03) }, bias: { dims: [1000], data: fill(1000) }, dst: logits, postOps: [] });
  return { tensors, inputs: [0], outputs: [logits], ops, precision, threads };
}

console.log('onednn', JSON.stringify(addon.info()));
if (process.argv.includes('--resnet')) {
  for (const batch of [1, 8]) for (const precision of ['fp32', 'bf16']) for (const threads of [1, 2]) {
    const r = await time(resnet50(batch, precision, threads), [fill(batch * 3 * 224 * 224)], [new Float32Array(batch * 1000)]);
    console.log(`resnet50 batch ${batch} ${precision} threads=${threads}: median ${r.median.toFixed(1)} ms (best ${r.best.toFixed(1)} ms, cpu ${r.cpu.toFixed(1)} ms/run)`);
  }
  process.exit(0);
}
for (const precision of ['fp32', 'bf16']) for (const threads of [1, 2]) {
  const r = await time(bottlenecks(3, precision, threads), [fill(256 * 56 * 56)], [new Float32Array(256 * 56 * 56)]);
  const gflop = 3 * 2 * 56 * 56 * (256 * 64 + 64 * 64 * 9 + 64 * 256) / 1e9;
  console.log(`${precision} threads=${threads}: 3 bottleneck blocks 256x56x56 median ${r.median.toFixed(2)} ms = ${(gflop / r.median * 1e3).toFixed(0)} GFLOP/s (best ${r.best.toFixed(2)} ms, cpu ${r.cpu.toFixed(2)} ms/run)`);
}
for (const precision of ['fp32', 'bf16']) for (const threads of [1, 2]) {
  const n = 1024;
  const g = await time({ tensors: [T(n, n), T(n, n)], inputs: [0], outputs: [1], precision, threads,
    ops: [{ kind: 'matmul', a: 0, b: { dims: [n, n], data: fill(n * n) }, dst: 1, postOps: [] }] },
  [fill(n * n)], [new Float32Array(n * n)]);
  const flops = 2 * n ** 3;
  const c = await time({ tensors: [T(1, 256, 14, 14), T(1, 256, 14, 14)], inputs: [0], outputs: [1], precision, threads,
    ops: [{ kind: 'conv', src: 0, dst: 1, weights: { dims: [256, 256, 3, 3], data: fill(256 * 256 * 9) }, strides: [1, 1],
      padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: 1, postOps: [] }] },
  [fill(256 * 196)], [new Float32Array(256 * 196)]);
  const cflops = 2 * 256 * 256 * 9 * 196;
  console.log(`${precision} threads=${threads}: sgemm 1024^3 median ${g.median.toFixed(2)} ms = ${(flops / g.median / 1e6).toFixed(0)} GFLOP/s (best ${(flops / g.best / 1e6).toFixed(0)}); ` +
    `conv3x3 256x14x14 median ${c.median.toFixed(3)} ms = ${(cflops / c.median / 1e6).toFixed(0)} GFLOP/s (best ${c.best.toFixed(3)} ms = ${(cflops / c.best / 1e6).toFixed(0)} GFLOP/s); cpu/run: sgemm ${g.cpu.toFixed(2)} ms, conv ${c.cpu.toFixed(3)} ms`);
}
