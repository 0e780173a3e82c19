import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import test from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Backend } from '../backend.js';
import { createJsBackend } from '../js/index.js';
import { exportOnnx } from '../../exporters/onnx/export.js';
import { InferenceSession } from '../../runtime/session.js';
import { ZOO } from '../../zoo/index.js';
import { createWasmBackend } from './index.js';
import { WASM_KERNELS } from './manifest.js';
import { loadWasmModule } from './loader.js';
import { WasmRuntime } from './runtime.js';
import {
  CONTROL_BYTES, CTRL, MAX_ARGS, SplitBackoff, ThreadPool, controlViews, defaultThreadCount, nodeWorkerHost, threadPoolOf, workerExecArgv,
  type PoolWorker, type WorkerHost,
} from './thread-pool.js';

/** A pool that splits every call (threshold 1, no back-off): the tests check the mechanics. */
async function setup(threads: number, threshold = 1, adaptive = false) {
  const { module, variant } = await loadWasmModule();
  const rt = WasmRuntime.create(module, variant, 4 << 20);
  const pool = await ThreadPool.create({ module, memory: rt.memory, exports: rt.exports, threads, threshold, adaptive });
  return { module, rt, pool };
}

test('parallelFor copy_f32 over a large buffer with 2 and 3 threads gives the same bytes', async () => {
  for (const threads of [2, 3]) {
    const { rt, pool } = await setup(threads);
    try {
      const n = (1 << 18) + 7; // not a multiple of the thread count or of 16
      const src = rt.alloc(n * 4);
      const dst = rt.alloc(n * 4);
      const a = rt.f32(src, n);
      for (let i = 0; i < n; i++) a[i] = i * 0.25 - 1000;
      rt.f32(dst, n).fill(Number.NaN);
      pool.parallelFor('copy_f32', [src, dst], n, n);
      assert.equal(pool.stats.parallel, 1);
      assert.ok(pool.workersStarted);
      assert.deepEqual(new Uint8Array(rt.memory.buffer, dst, n * 4).slice(), new Uint8Array(rt.memory.buffer, src, n * 4).slice());
      // Fewer items than threads, and a second job on the same workers.
      rt.f32(dst, n).fill(0);
      pool.parallelFor('copy_f32', [src, dst], 2, 1e9);
      assert.deepEqual([...rt.f32(dst, 3)], [-1000, -999.75, 0]);
    } finally {
      await pool.dispose();
    }
  }
});

test('calls below the threshold run on the calling thread and start no workers', async () => {
  const { rt, pool } = await setup(2, 1 << 20);
  try {
    const src = rt.alloc(64);
    const dst = rt.alloc(64);
    rt.f32(src, 16).fill(3);
    pool.parallelFor('copy_f32', [src, dst], 16, 16);
    assert.deepEqual([pool.stats.parallel, pool.stats.serial], [0, 1]);
    assert.equal(pool.workersStarted, false);
    assert.deepEqual([...rt.f32(dst, 16)], new Array(16).fill(3));
    assert.equal(threadPoolOf(pool.parallelFor), pool);
  } finally {
    await pool.dispose();
  }
});

test('split calls that lose to their serial estimate three times in a row make the pool back off for 4, 8... calls', async () => {
  const { module, variant } = await loadWasmModule();
  const rt = WasmRuntime.create(module, variant, 4 << 20);
  // Workers that never sleep: every split call is judged, and every judged call loses.
  const pool = await ThreadPool.create({ module, memory: rt.memory, exports: rt.exports, threads: 2, threshold: 1,
    spinMicros: 1e7, hotSpinMicros: 1e7, judge: () => true });
  pool.beginRun();
  try {
    const p = rt.alloc(1024);
    const kinds: string[] = [];
    for (let i = 0; i < 16; i++) {
      const before = pool.stats.parallel;
      pool.parallelFor('copy_f32', [p, p + 512], 64, 64);
      kinds.push(pool.stats.parallel > before ? 'P' : 's');
    }
    assert.equal(kinds.join(''), 'PPPssssPssssssss');
    assert.equal(pool.stats.backedOff, 2);
    assert.equal(pool.stats.wokeWorkers, 0);
  } finally {
    pool.endRun();
    await pool.dispose();
  }
});

test('beginRun wakes sleeping workers and keeps them polling until endRun', async () => {
  const { module, variant } = await loadWasmModule();
  const rt = WasmRuntime.create(module, variant, 4 << 20);
  const pool = await ThreadPool.create({ module, memory: rt.memory, exports: rt.exports, threads: 2, threshold: 1, adaptive: false,
    spinMicros: 1, hotSpinMicros: 1e7 });
  try {
    const n = 4096;
    const src = rt.alloc(n * 4);
    const dst = rt.alloc(n * 4);
    rt.f32(src, n).fill(5);
    pool.parallelFor('copy_f32', [src, dst], n, n);
    // Outside a run the worker sleeps almost at once; the next call wakes it.
    await new Promise((r) => setTimeout(r, 20));
    const w0 = pool.stats.wokeWorkers;
    pool.parallelFor('copy_f32', [src, dst], n, n);
    assert.equal(pool.stats.wokeWorkers, w0 + 1);
    pool.beginRun();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 5; i++) pool.parallelFor('copy_f32', [src, dst], n, n);
    pool.endRun();
    // beginRun's notify does not count as a job's wake-up; no call during the run had to wake the worker.
    assert.equal(pool.stats.wokeWorkers, w0 + 1);
    assert.deepEqual([...rt.f32(dst, 4)], [5, 5, 5, 5]);
    assert.equal(rt.f32(dst, n)[n - 1], 5);
  } finally {
    await pool.dispose();
  }
});

test('a trap in a worker surfaces as an exception on the caller, and the pool keeps working', async () => {
  const { rt, pool } = await setup(2);
  try {
    const n = 4096;
    const end = rt.memory.buffer.byteLength;
    // The caller copies [0, n/2) from the last n/2 floats of memory; the worker's half reads past the end.
    const src = end - (n / 2) * 4;
    const dst = rt.alloc(n * 4);
    assert.throws(() => pool.parallelFor('copy_f32', [src, dst], n, n),
      (e: Error) => /copy_f32 failed in a worker: worker 1: RuntimeError: .*out of bounds/.test(e.message));
    const ok = rt.alloc(n * 4);
    rt.f32(ok, n).fill(7);
    pool.parallelFor('copy_f32', [ok, dst], n, n);
    assert.equal(rt.f32(dst, n)[n - 1], 7);
    // A failure in the caller's own range is rethrown once the workers are done.
    assert.throws(() => pool.parallelFor('copy_f32', [ok, end - 16], n, n), /out of bounds/);
    assert.throws(() => pool.parallelFor('nope', [], n, n), /no kernel export 'nope'/);
  } finally {
    await pool.dispose();
  }
  assert.throws(() => pool.parallelFor('copy_f32', [0, 0], 4096, 4096), /used after the session was released/);
});

test('a worker that cannot instantiate the module fails the first parallel call, not hangs', async () => {
  // (module (import "env" "missing" (func)) (func (export "f") (param i32 i32)))
  const bytes = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 9, 2, 96, 0, 0, 96, 2, 127, 127, 0,
    2, 15, 1, 3, 101, 110, 118, 7, 109, 105, 115, 115, 105, 110, 103, 0, 0, 3, 2, 1, 1,
    7, 5, 1, 1, 102, 0, 1, 10, 4, 1, 2, 0, 11]);
  const module = new WebAssembly.Module(bytes);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
  const pool = await ThreadPool.create({ module, memory, exports: { f: () => undefined }, threads: 2, threshold: 1 });
  try {
    assert.throws(() => pool.parallelFor('f', [], 100, 100), /worker 1 could not instantiate the module: LinkError/);
    assert.throws(() => pool.parallelFor('f', [], 100, 100), /failed earlier/);
  } finally {
    await pool.dispose();
  }
});

test('control block layout and thread count', async () => {
  const v = controlViews(new SharedArrayBuffer(CONTROL_BYTES));
  assert.ok(v.ctrl.length > CTRL.RANGES + 3 * 255 + 2);
  assert.equal(v.args.length, MAX_ARGS);
  assert.ok(MAX_ARGS >= 17, "the int8 depthwise kernel takes 17 arguments");
  assert.ok((await defaultThreadCount()) >= 1);
  const { module, rt } = await setup(2);
  await assert.rejects(ThreadPool.create({ module, memory: rt.memory, exports: rt.exports, threads: 1 }), /threads must be an integer/);
});

const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);

/** A child process: a session on a 2-thread wasm backend whose workers are started, released or not. */
function childScript(release: boolean): string {
  return `
    import { InferenceSession as Core } from ${url('../../runtime/session.js')};
    import { createWasmBackend } from ${url('./index.js')};
    import { createJsBackend } from ${url('../js/index.js')};
    import { threadPoolOf } from ${url('./thread-pool.js')};
    import { GraphBuilder } from ${url('../../zoo/index.js')};
    import { exportOnnx } from ${url('../../exporters/onnx/export.js')};
    const b = new GraphBuilder('tiny', { '': 13 });
    b.op('Relu', [b.input('x', 'float32', [4])], {}, { output: 'y' });
    b.output('y', 'float32', [4]);
    let wasm;
    const s = await Core.create(exportOnnx(b.build()), { intraOpNumThreads: 2 },
      { wasm: async (o) => (wasm = await createWasmBackend(o)), js: createJsBackend }, ['wasm', 'js']);
    const r = await s.run({ x: { type: 'float32', dims: [4], data: Float32Array.of(-1, 2, -3, 4) } });
    const rt = wasm.runtime;
    const pool = threadPoolOf(rt.parallelFor);
    const n = 1 << 16, src = rt.alloc(n * 4), dst = rt.alloc(n * 4);
    rt.parallelFor('copy_f32', [src, dst], n, 1e12);
    if (!pool.workersStarted || pool.threads !== 2) throw new Error('workers did not start');
    ${release ? 'await s.release();' : ''}
    console.log('done', Array.from(r.y.data).join(','));
  `;
}

test('a process with a 2-thread session exits on its own, with or without release()', () => {
  for (const release of [true, false]) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', childScript(release)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.signal, null, `release=${release}: the child did not exit within 20 s (killed by ${r.signal})`);
    assert.equal(r.status, 0, `release=${release}: ${r.stderr}`);
    assert.match(r.stdout, /done 0,2,0,4/);
  }
});

test('workers do not inherit the options that name the parent program', () => {
  assert.deepEqual(workerExecArgv(['--input-type=module', '-e', 'code', '--stack-size=900', '--input-type', 'module', '--eval=x']), ['--stack-size=900']);
});

test('the built-in MobileNet gives the same outputs with 1 and 2 threads', async (t) => {
  if (WASM_KERNELS.length === 0) { t.skip('no wasm kernels in the manifest yet'); return; }
  const model = ZOO.mobilenet_v1!;
  const bytes = exportOnnx(model.build());
  const feeds = model.inputs(1);
  const outputs: Float32Array[] = [];
  let parallelCalls = 0;
  for (const threads of [1, 2]) {
    let wasm: (Backend & { runtime: WasmRuntime }) | undefined;
    const s = await InferenceSession.create(bytes, { intraOpNumThreads: threads },
      { wasm: async (o) => (wasm = await createWasmBackend(o) as Backend & { runtime: WasmRuntime }), js: createJsBackend }, ['wasm', 'js']);
    try {
      const r = await s.run(feeds);
      outputs.push(r[s.outputNames[0]!]!.data as Float32Array);
      if (threads === 2) parallelCalls = threadPoolOf(wasm!.runtime.parallelFor)!.stats.parallel;
    } finally {
      await s.release();
    }
  }
  assert.ok(parallelCalls > 0, 'some wasm kernel was split across the two threads');
  const [one, two] = outputs as [Float32Array, Float32Array];
  assert.equal(one.length, 1000);
  let worst = 0;
  for (let i = 0; i < one.length; i++) worst = Math.max(worst, Math.abs(one[i]! - two[i]!));
  assert.ok(worst <= 1e-5, `max |1 thread - 2 threads| = ${worst}`);
});

test('the workers of a pool dropped without dispose() stop once it is garbage-collected', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const node = await nodeWorkerHost();
  let exited = 0;
  const host: WorkerHost = {
    canBlock: true,
    spawn(init, onFailure) {
      const w = node.spawn(init, onFailure) as unknown as { once(e: 'exit', f: () => void): void };
      w.once('exit', () => { exited++; });
      return w as unknown as PoolWorker;
    },
  };
  await (async () => {
    const { module, variant } = await loadWasmModule();
    const rt = WasmRuntime.create(module, variant, 1 << 20);
    const pool = await ThreadPool.create({ module, memory: rt.memory, exports: rt.exports, threads: 3, threshold: 1, host });
    const p = rt.alloc(4096);
    pool.parallelFor('copy_f32', [p, p + 2048], 512, 512);
    assert.ok(pool.workersStarted);
  })();
  for (let i = 0; i < 200 && exited < 2; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(exited, 2, 'both workers exited');
});

test('split back-off policy: three losses start 4 serial calls, a losing probe doubles, a winning probe resets', () => {
  const b = new SplitBackoff();
  const trace = (lost: boolean[]) => lost.map((l) => {
    if (b.skipping) { b.takeSkip(); return 's'; }
    b.record(l);
    return 'P';
  }).join('');
  assert.equal(trace(new Array(16).fill(true)), 'PPPssssPssssssss');
  const c = new SplitBackoff();
  for (const l of [true, true, true]) c.record(l);
  for (let i = 0; i < 4; i++) c.takeSkip();
  assert.equal(c.skipping, false);
  assert.equal(c.record(false), false, 'a won probe ends the back-off');
  assert.equal(c.record(true) || c.record(true), false, 'two losses after a win do not back off');
  assert.equal(c.record(true), true, 'the third does, starting again at 4');
  let n = 0;
  while (c.skipping) { c.takeSkip(); n++; }
  assert.equal(n, 4);
});
