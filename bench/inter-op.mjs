#!/usr/bin/env node
/**
 * Inter-op parallelism (`interOpNumThreads`): a two-branch model whose first branch is a chain of
 * 3×3 convolutions (one `onednn` segment, run on oneDNN's native threads) and whose second branch
 * is a chain of elementwise ops oneDNN 2.6 lacks (Erf, Sin, Cos: `wasm` kernels on the JavaScript
 * thread); each branch is a graph output. With 1 intra-op thread, inter-op 2 lets the segment run
 * while the JavaScript thread runs the other branch. Sessions are timed in interleaved runs;
 * prints medians, the speedup and where the nodes run, and checks that both give the same output.
 * Usage: node bench/inter-op.mjs [--iterations 21] [--channels 64] [--size 56] [--dist DIR]
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  iterations: { type: 'string', default: '21' }, channels: { type: 'string', default: '64' },
  size: { type: 'string', default: '56' }, dist: { type: 'string', default: join(root, 'dist') },
} });
const load = (p) => import(pathToFileURL(join(resolve(args.dist), p)).href);
const { InferenceSession } = await load('index.js');
const { GraphBuilder } = await load('zoo/index.js');
const { exportOnnx } = await load('exporters/onnx/export.js');
const { loadOnednnAddon } = await load('backends/onednn/native.js');
if ('unavailable' in loadOnednnAddon()) {
  process.stderr.write('inter-op bench skipped: the onednn addon is not built here\n');
  process.exit(0);
}

const C = Number(args.channels); const S = Number(args.size);
const b = new GraphBuilder('two_branches', { '': 13 });
b.input('x', 'float32', [1, C, S, S]);
let conv = 'x';
for (let i = 0; i < 4; i++) {
  const w = Float32Array.from({ length: C * C * 9 }, (_, k) => Math.sin(k * 0.37 + i) * 0.05);
  const c = b.op('Conv', [conv, b.float(`w${i}`, [C, C, 3, 3], w)], { pads: [1, 1, 1, 1] });
  conv = i < 3 ? b.op('Relu', [c]) : b.node('Relu', [c], {}, { outputs: ['a'] })[0];
}
let ew = 'x';
for (let i = 0; i < 6; i++) ew = i < 5 ? b.op(['Erf', 'Sin', 'Cos'][i % 3], [ew]) : b.node('Cos', [ew], {}, { outputs: ['b'] })[0];
b.output('a', 'float32', [1, C, S, S]);
b.output('b', 'float32', [1, C, S, S]);
const bytes = exportOnnx(b.build());

const x = { type: 'float32', dims: [1, C, S, S], data: Float32Array.from({ length: C * S * S }, (_, k) => Math.cos(k * 0.013)) };
const sessions = [];
for (const inter of [1, 2]) {
  sessions.push({ inter, s: await InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: inter }), times: [] });
}
const outs = [];
for (const c of sessions) { const o = await c.s.run({ x }); outs.push([...o.a.data, ...o.b.data]); }
let maxDiff = 0;
for (let i = 0; i < outs[0].length; i++) maxDiff = Math.max(maxDiff, Math.abs(outs[0][i] - outs[1][i]));
for (let r = 0; r < 3; r++) for (const c of sessions) await c.s.run({ x });
for (let r = 0; r < Number(args.iterations); r++) {
  for (const c of sessions) {
    const t0 = performance.now();
    await c.s.run({ x });
    c.times.push(performance.now() - t0);
  }
}
const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const count = new Map();
for (const p of sessions[0].s.placements) count.set(p.backend, (count.get(p.backend) ?? 0) + 1);
process.stdout.write(`two branches [1,${C},${S},${S}], intra-op 1 thread; nodes: ${[...count].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
for (const c of sessions) process.stdout.write(`  interOpNumThreads ${c.inter}: ${median(c.times).toFixed(2)} ms\n`);
process.stdout.write(`  speedup ${(median(sessions[0].times) / median(sessions[1].times)).toFixed(2)}x; outputs differ by at most ${maxDiff}\n`);
for (const c of sessions) await c.s.release();
