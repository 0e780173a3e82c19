/**
 * Thread placement of onednn runs (engine.cc `pinTeam`): a run with 2 intra-op threads pins its
 * OpenMP team, master and team thread, to two distinct CPUs; a later 1-thread run on the same
 * executor unpins the master again; the process's own (JavaScript) thread is never pinned; and
 * `OPTIFLOW_ONEDNN_PIN=0` leaves every thread unpinned. Each case runs in a child process because
 * the addon reads the environment when it loads; the child reports every thread's
 * `Cpus_allowed_list` from /proc. Skips, saying why, without the addon, /proc or 2 CPUs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadOnednnAddon } from './native.js';

const load = loadOnednnAddon();
const skip = 'unavailable' in load ? load.unavailable
  : !existsSync('/proc/self/task') ? 'no /proc/self/task to read thread affinities from'
    : availableParallelism() < 2 ? 'needs at least 2 CPUs' : false;

const dist = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/**
 * Child: a 3-layer MatMul+Relu model on onednn, run with `threads` intra-op threads (a list: one
 * session per entry, run in order), then one line of JSON: {pid, tasks: [{tid, cpus}]}.
 */
const CHILD = `
import { readdirSync, readFileSync } from 'node:fs';
const { InferenceSession } = await import(${JSON.stringify(dist('index.js'))});
const { GraphBuilder } = await import(${JSON.stringify(dist('zoo/index.js'))});
const { exportOnnx } = await import(${JSON.stringify(dist('exporters/onnx/export.js'))});
const b = new GraphBuilder('m', { '': 17 });
let x = b.input('x', 'float32', [256, 256]);
for (let i = 0; i < 3; i++) x = b.op('Relu', [b.op('MatMul', [x, b.float('w', [256, 256], new Float32Array(65536).fill(1 / 256))])]);
b.graph.outputs.push({ name: x, dtype: 'float32', shape: [256, 256], kind: 'tensor' });
const bytes = exportOnnx(b.graph);
for (const threads of JSON.parse(process.argv[1])) {
  const s = await InferenceSession.create(bytes, { executionProviders: ['onednn', 'js'], intraOpNumThreads: threads });
  if (!s.placements.every((p) => p.backend === 'onednn')) throw new Error('not on onednn');
  await s.run({ x: { type: 'float32', dims: [256, 256], data: new Float32Array(65536).fill(1) } });
  await s.release();
}
const tasks = readdirSync('/proc/self/task').map((tid) => ({ tid: Number(tid),
  cpus: readFileSync('/proc/self/task/' + tid + '/status', 'utf8').match(/Cpus_allowed_list:\\s*(\\S+)/)[1] }));
console.log(JSON.stringify({ pid: process.pid, tasks }));
`;

type Report = { pid: number; tasks: { tid: number; cpus: string }[] };

async function child(threads: number[], env: Record<string, string | undefined>): Promise<Report> {
  const clean = { ...process.env, ...env };
  for (const k of ['OMP_PROC_BIND', 'OMP_PLACES']) delete clean[k];
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete clean[k];
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(threads)], { env: clean });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Report;
}

/** A single CPU (e.g. "1"), as /proc prints a one-CPU mask; undefined for a range or list. */
const single = (cpus: string): number | undefined => (/^\d+$/.test(cpus) ? Number(cpus) : undefined);

test('a 2-thread onednn run pins its team to two distinct CPUs; the JavaScript thread stays unpinned', { skip }, async () => {
  const r = await child([2], { OPTIFLOW_ONEDNN_PIN: undefined });
  const main = r.tasks.find((t) => t.tid === r.pid)!;
  assert.equal(single(main.cpus), undefined, `main thread pinned to ${main.cpus}`);
  const pinned = r.tasks.map((t) => single(t.cpus)).filter((c) => c !== undefined);
  assert.equal(pinned.length, 2, JSON.stringify(r.tasks));
  assert.notEqual(pinned[0], pinned[1], JSON.stringify(r.tasks));
});

test('a 1-thread run after a 2-thread run unpins the master; only the idle team thread stays pinned', { skip }, async () => {
  const r = await child([2, 1], { OPTIFLOW_ONEDNN_PIN: undefined });
  assert.equal(r.tasks.filter((t) => single(t.cpus) !== undefined).length, 1, JSON.stringify(r.tasks));
});

test('OPTIFLOW_ONEDNN_PIN=0 leaves every thread unpinned', { skip }, async () => {
  const r = await child([2], { OPTIFLOW_ONEDNN_PIN: '0' });
  assert.deepEqual(r.tasks.filter((t) => single(t.cpus) !== undefined), [], JSON.stringify(r.tasks));
});
