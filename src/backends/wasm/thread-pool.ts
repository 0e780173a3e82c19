/**
 * The `wasm` backend's intra-op thread pool: T threads (the calling thread and T-1 workers), each
 * with its own instance of the kernel module on the one shared `WebAssembly.Memory`, so a kernel's
 * outer loop can be split into contiguous ranges that run at once.
 *
 * Jobs go through a shared control block (an `Int32Array` on a `SharedArrayBuffer`), never through
 * `postMessage`: the caller writes the export index, the arguments (as f64) and one range per
 * thread, bumps the job sequence number and wakes the workers with `Atomics.notify` (only when one
 * sleeps); it runs its own range, then waits for the others. Idle workers poll the sequence number
 * for a short while (`spinMicros`) and then sleep in `Atomics.wait`, so back-to-back kernels find
 * them awake (waking a sleeping worker costs tens of microseconds, a spinning one well under one).
 * While a session run is in progress ({@link ThreadPool.beginRun} / {@link ThreadPool.endRun},
 * called by the executor through the backend) they poll longer (`hotSpinMicros`), so the
 * JavaScript between two split kernels, or a stretch of small serial ops, does not put them to
 * sleep and make every op pay a wake-up; a run wakes sleeping workers as it begins.
 * Workers start lazily, on the first call worth splitting, so sessions of small models never
 * start threads. Several split calls in a row that lose to their serial estimate (the cores busy
 * with other processes) make the pool run the next 4, 8... 64 calls on the caller alone; calls
 * that had to wake a sleeping worker are not judged (a wake-up is a one-off, not a busy machine).
 * Where threads come from is an adapter ({@link WorkerHost}): Node's `worker_threads` here; Web
 * Workers plug in the same way.
 * Sources: onnxruntime's `ThreadPool` (spin-then-block workers), XNNPACK's pthreadpool
 * (`pthreadpool_parallelize_1d` over contiguous ranges).
 * @module
 */
import { OptiflowError } from '../../ir/errors.js';
import type { KernelExports, ParallelFor } from './runtime.js';
import { CONTROL_BYTES, CTRL, MAX_ARGS, MAX_THREADS, controlViews, kernelExportNames, recordError, type ControlViews } from './thread-pool-control.js';
import { nodeWorkerHost, webWorkerHost, type PoolWorker, type WorkerHost } from './thread-pool-hosts.js';

export { CONTROL_BYTES, CTRL, MAX_ARGS, MAX_THREADS, controlViews, kernelExportNames, recordError, type ControlViews, type WorkerInit } from './thread-pool-control.js';
export { defaultThreadCount, nodeWorkerHost, webWorkerHost, workerExecArgv, type PoolWorker, type WorkerHost } from './thread-pool-hosts.js';

/** Options of {@link ThreadPool.create}. */
export interface ThreadPoolOptions {
  /** The compiled kernel module (the one `exports` come from). */
  module: WebAssembly.Module;
  /** The shared memory the calling thread's instance uses. */
  memory: WebAssembly.Memory;
  /** The calling thread's instance exports (it runs range 0). */
  exports: KernelExports;
  /** Threads including the calling one, 2..{@link MAX_THREADS}. */
  threads: number;
  /** Where workers come from (default {@link nodeWorkerHost} in Node, {@link webWorkerHost} elsewhere). */
  host?: WorkerHost;
  /**
   * Work (the `cost` of {@link ParallelFor}: multiply-adds or element operations) below which a
   * call runs on the calling thread alone; each extra thread needs another half of it. Default
   * {@link DEFAULT_PARALLEL_THRESHOLD}.
   */
  threshold?: number;
  /** How long an idle worker polls for the next job before sleeping, µs (default {@link DEFAULT_SPIN_MICROS}). */
  spinMicros?: number;
  /** The same during a session run (between {@link ThreadPool.beginRun} and `endRun`), µs (default {@link DEFAULT_HOT_SPIN_MICROS}). */
  hotSpinMicros?: number;
  /**
   * How long the caller polls for the workers to finish before sleeping, µs (default
   * {@link DEFAULT_CALLER_SPIN_MICROS}); it should exceed the time to wake a sleeping thread, or
   * caller and workers fall into taking turns sleeping.
   */
  callerSpinMicros?: number;
  /**
   * Whether to back off to the calling thread after {@link BACKOFF_STRIKES} split calls in a row
   * ran slower than their serial estimate (default true): on a machine whose cores are busy with
   * other work, splitting only adds latency.
   */
  adaptive?: boolean;
  /**
   * Judges a split call: true when it lost (took `totalMs` against a serial estimate of
   * `serialMs`). Default: `totalMs > serialMs`. Tests pass a fixed answer.
   */
  judge?: (totalMs: number, serialMs: number) => boolean;
  /** How long the first parallel call waits for the workers to start, ms (default 30 000). */
  startTimeoutMs?: number;
}

/**
 * Default {@link ThreadPoolOptions.threshold}: 65 536 operations. Measured on a 2-core VM with the
 * workers awake: a split call costs about 1.3-1.9 µs more than the work itself (post, wake a
 * polling worker, wait for it), so splitting in two pays from about 3-4 µs of serial work;
 * `copy_f32` broke even between 64 Ki and 128 Ki floats (memory-bound, about 15-30 floats/ns),
 * a MatMul session between 64 Ki and 110 Ki multiply-adds (5-14 per ns on one thread).
 */
export const DEFAULT_PARALLEL_THRESHOLD = 65536;
/**
 * Default {@link ThreadPoolOptions.spinMicros}: 200 µs. Waking a sleeping worker costs the
 * caller's `Atomics.notify` about 110 µs on the VM measured (50-80 µs elsewhere), so a worker
 * must poll longer than that plus the executor's gap between kernels (median 5-30 µs), or every
 * call pays a wake-up.
 */
export const DEFAULT_SPIN_MICROS = 200;
/**
 * Default {@link ThreadPoolOptions.hotSpinMicros}: 5 ms. Covers the JavaScript between split
 * kernels and runs of small serial ops (BERT at batch 1); measured on a quiet 2-core VM, a worker
 * that slept between kernels made 2 threads no faster than 1 on MobileNet v1 at batch 1.
 */
export const DEFAULT_HOT_SPIN_MICROS = 5000;
/**
 * Default {@link ThreadPoolOptions.callerSpinMicros}: 1 ms. Split work usually ends within
 * microseconds of the caller's share, but ranges are not always even (GEMM strips, image
 * borders), and sleeping costs the caller a wake-up (about 100 µs on the VM measured).
 */
export const DEFAULT_CALLER_SPIN_MICROS = 1000;

/** Split calls in a row that must lose to their serial estimate before the pool backs off. */
export const BACKOFF_STRIKES = 3;
/** Shortest and longest back-off, in calls. */
const MIN_BACKOFF = 4;
const MAX_BACKOFF = 64;

/**
 * The back-off of split calls as a pure state machine: {@link BACKOFF_STRIKES} judged losses in a
 * row start a back-off of 4 calls, doubling (to 64) while probes keep losing; a won probe resets it.
 */
export class SplitBackoff {
  /** Calls to run serially before splitting again, the current back-off length, losses in a row. */
  private skip = 0;
  private backoff = 0;
  private strikes = 0;

  /** Whether split-worthy calls run serially now. */
  get skipping(): boolean { return this.skip > 0; }

  /** Takes one serial call of the back-off; true when it was the last. */
  takeSkip(): boolean { return --this.skip === 0; }

  /** Records a judged split call; true when it starts a back-off. */
  record(lost: boolean): boolean {
    if (!lost) { this.strikes = 0; this.backoff = 0; return false; }
    if (++this.strikes < BACKOFF_STRIKES) return false;
    this.backoff = Math.min(MAX_BACKOFF, this.backoff ? 2 * this.backoff : MIN_BACKOFF);
    this.skip = this.backoff;
    return true;
  }
}

const POOLS = new WeakMap<ParallelFor, ThreadPool>();

/** The pool whose `parallelFor` this is (for diagnostics: `threadPoolOf(rt.parallelFor)?.stats`). */
export function threadPoolOf(parallelFor: ParallelFor): ThreadPool | undefined {
  return POOLS.get(parallelFor);
}

/** T-1 workers plus the calling thread, splitting kernel loops into contiguous ranges. */
export class ThreadPool {
  /** Threads, the calling one included. */
  readonly threads: number;
  /** See {@link ThreadPoolOptions.threshold}. */
  readonly threshold: number;
  /**
   * Calls split across threads and calls run on the caller alone; of the split ones, how many
   * had to wake a sleeping worker, how many the caller slept through (each costs a wake-up), and
   * how many lost to their serial estimate and made the pool back off.
   */
  readonly stats = { parallel: 0, serial: 0, wokeWorkers: 0, callerSlept: 0, backedOff: 0 };
  private readonly views: ControlViews;
  private readonly fnIndex: Map<string, number>;
  private readonly workers: PoolWorker[] = [];
  private readonly spinMicros: number;
  private readonly hotSpinMicros: number;
  private readonly callerSpinMicros: number;
  /** Nested {@link beginRun} calls. */
  private runs = 0;
  private started = false;
  private disposed = false;
  private ready = false;
  /** What the workers' failure callbacks see: never the pool itself, so an unreleased pool can be collected. */
  private readonly shared: { failure?: Error } = {};
  private busy = false;
  private readonly adaptive: boolean;
  private readonly backoff = new SplitBackoff();

  private constructor(private readonly options: ThreadPoolOptions, private readonly host: WorkerHost) {
    if (!Number.isInteger(options.threads) || options.threads < 2 || options.threads > MAX_THREADS) {
      throw new OptiflowError('invalid_argument', `thread pool: threads must be an integer in 2..${MAX_THREADS}, got ${options.threads}`);
    }
    this.threads = options.threads;
    this.threshold = options.threshold ?? DEFAULT_PARALLEL_THRESHOLD;
    this.spinMicros = options.spinMicros ?? DEFAULT_SPIN_MICROS;
    this.hotSpinMicros = options.hotSpinMicros ?? DEFAULT_HOT_SPIN_MICROS;
    this.callerSpinMicros = options.callerSpinMicros ?? DEFAULT_CALLER_SPIN_MICROS;
    this.adaptive = options.adaptive ?? true;
    this.views = controlViews(new SharedArrayBuffer(CONTROL_BYTES));
    this.fnIndex = new Map(kernelExportNames(options.module).map((n, i) => [n, i]));
  }

  /**
   * Creates a pool; its workers start on the first call worth splitting.
   * @throws OptiflowError `invalid_argument` for a thread count outside 2..256; `runtime_error`
   *   when the host cannot start workers.
   */
  static async create(options: ThreadPoolOptions): Promise<ThreadPool> {
    const isNode = typeof process !== 'undefined' && !!process.versions?.node;
    const host = options.host ?? (isNode ? await nodeWorkerHost() : webWorkerHost());
    const pool = new ThreadPool(options, host);
    POOLS.set(pool.parallelFor, pool);
    // A thread that cannot block cannot wait for workers to start on first use either.
    if (!host.canBlock) await pool.warmUp();
    return pool;
  }

  /** Whether the workers have been started (they start on the first call worth splitting). */
  get workersStarted(): boolean { return this.started; }

  /**
   * Starts the workers now and resolves once they are ready, without blocking the thread (a
   * browser's main thread cannot block while its workers start: call this before the first run).
   * @throws OptiflowError `runtime_error` when a worker fails to start.
   */
  async warmUp(timeoutMs = this.options.startTimeoutMs ?? 30000): Promise<void> {
    if (!this.started) this.spawn();
    const t0 = performance.now();
    while (!this.ready && Atomics.load(this.views.ctrl, CTRL.READY) < this.threads - 1
      && !Atomics.load(this.views.ctrl, CTRL.ERROR) && performance.now() - t0 < timeoutMs) {
      await new Promise((r) => setTimeout(r, 1));
    }
    this.checkStarted(Atomics.load(this.views.ctrl, CTRL.READY) >= this.threads - 1, timeoutMs);
  }

  /**
   * Marks the start of a session run: until the matching {@link endRun}, idle workers poll for
   * `hotSpinMicros` before sleeping, and sleeping ones are woken now (their wake-up overlaps the
   * run's first kernels instead of delaying the first split). Calls nest.
   */
  beginRun(): void {
    const { ctrl } = this.views;
    this.runs++;
    this.updateHot();
    if (!this.ready || this.disposed || this.backoff.skipping) return;
    // A new sequence number with no ranges for it: workers wake (or do not fall asleep: their
    // wait on the old number returns at once), skip it, and poll. Same ordering as a job's.
    Atomics.add(ctrl, CTRL.SEQ, 1);
    if (Atomics.load(ctrl, CTRL.SLEEPING) > 0) Atomics.notify(ctrl, CTRL.SEQ);
  }

  /** Marks the end of a session run (see {@link beginRun}); idle workers go back to the short poll. */
  endRun(): void {
    this.runs = Math.max(0, this.runs - 1);
    this.updateHot();
  }

  /** Workers poll long during runs, except while the pool backs off (the cores are busy: polling would take one from the caller). */
  private updateHot(): void {
    Atomics.store(this.views.ctrl, CTRL.HOT, this.backoff.skipping ? 0 : this.runs);
  }

  /**
   * Runs `exports[name](...args, start, end)` over [0, n): on the calling thread alone when
   * `cost` is below the threshold, else split into up to T contiguous ranges (each thread getting
   * at least half a threshold of work), range 0 on the calling thread. Blocks until all are done.
   * Bound to the pool: pass it around as `rt.parallelFor`.
   * @throws OptiflowError `runtime_error` when a thread failed (the first error's message), the
   *   workers did not start, or the pool was disposed; `invalid_argument` for an unknown export or
   *   more than {@link MAX_ARGS} arguments.
   */
  readonly parallelFor: ParallelFor = (name, args, n, cost) => {
    if (n <= 0) return;
    const parts = Math.min(this.threads, n, Math.floor((2 * cost) / this.threshold));
    if (parts < 2 || this.backoff.skipping) {
      const f = this.options.exports[name];
      if (!f) throw new OptiflowError('invalid_argument', `wasm thread pool: no kernel export '${name}'`);
      if (parts >= 2 && this.backoff.takeSkip()) this.updateHot();
      this.stats.serial++;
      f(...args, 0, n);
      return;
    }
    const woke = this.stats.wokeWorkers;
    const { ownMs, ownN, totalMs } = this.run(name, args, n, parts);
    // A call that had to wake a worker says nothing about the machine: not judged.
    if (!this.adaptive || this.stats.wokeWorkers !== woke) return;
    // Lost: slower than the serial estimate (the caller's time per item, times all items), which
    // a quiet machine never sees (there a split call takes about 1/parts of it plus microseconds).
    const serialMs = (ownMs * n) / ownN;
    if (this.backoff.record(this.options.judge ? this.options.judge(totalMs, serialMs) : totalMs > serialMs)) {
      // Other processes hold the cores: run the next 4, 8... 64 calls alone, then probe once.
      this.stats.backedOff++;
      this.updateHot();
    }
  };

  private run(name: string, args: readonly number[], n: number, parts: number): { ownMs: number; ownN: number; totalMs: number } {
    if (this.disposed) throw new OptiflowError('runtime_error', 'wasm thread pool: used after the session was released');
    if (this.shared.failure) throw new OptiflowError('runtime_error', `wasm thread pool: a worker failed earlier: ${this.shared.failure.message}`);
    if (this.busy) throw new OptiflowError('runtime_error', 'wasm thread pool: parallelFor called re-entrantly');
    const fn = this.fnIndex.get(name);
    const own = this.options.exports[name];
    if (fn === undefined || !own) throw new OptiflowError('invalid_argument', `wasm thread pool: no kernel export '${name}'`);
    if (args.length > MAX_ARGS) throw new OptiflowError('invalid_argument', `wasm thread pool: ${name} has ${args.length} arguments, at most ${MAX_ARGS}`);
    this.busy = true;
    try {
      if (!this.ready) {
        if (!this.started) this.spawn();
        const timeout = this.options.startTimeoutMs ?? 30000;
        this.checkStarted(this.waitFor(CTRL.READY, this.threads - 1, timeout), timeout);
      }
      const t0 = performance.now();
      const { ctrl } = this.views;
      this.views.args.set(args);
      ctrl[CTRL.FN] = fn;
      ctrl[CTRL.ARGC] = args.length;
      // Contiguous ranges; boundaries on multiples of 16 when ranges are long (whole cache lines of floats).
      const grain = n >= parts * 1024 ? 16 : 1;
      const bound = (k: number) => (k >= parts ? n : Math.min(n, Math.round((k * n) / parts / grain) * grain));
      const seq = (Atomics.load(ctrl, CTRL.SEQ) + 1) | 0;
      for (let w = 1; w < parts; w++) {
        ctrl[CTRL.RANGES + 3 * w] = bound(w);
        ctrl[CTRL.RANGES + 3 * w + 1] = bound(w + 1);
        ctrl[CTRL.RANGES + 3 * w + 2] = seq;
      }
      Atomics.store(ctrl, CTRL.PENDING, parts - 1);
      Atomics.store(ctrl, CTRL.SEQ, seq);
      if (Atomics.load(ctrl, CTRL.SLEEPING) > 0) { Atomics.notify(ctrl, CTRL.SEQ); this.stats.wokeWorkers++; }
      this.stats.parallel++;
      let own0: unknown;
      const t1 = performance.now();
      try {
        own(...args, 0, bound(1));
      } catch (e) {
        own0 = e;
      }
      const t2 = performance.now();
      this.waitFor(CTRL.PENDING, 0, Infinity);
      const t3 = performance.now();
      const failed = Atomics.load(ctrl, CTRL.ERROR) ? this.takeError() : undefined;
      if (own0 !== undefined) throw own0;
      if (failed !== undefined) throw new OptiflowError('runtime_error', `wasm thread pool: ${name} failed in a worker: ${failed}`);
      return { ownMs: t2 - t1, ownN: bound(1), totalMs: t3 - t0 };
    } finally {
      this.busy = false;
    }
  }

  /** Starts the workers (they report READY in the control block once instantiated). */
  private spawn(): void {
    this.started = true;
    const { views, shared, workers } = this;
    const control = views.ctrl.buffer as SharedArrayBuffer;
    const onFailure = (e: Error) => { shared.failure ??= e; recordError(views, `worker failed: ${e.message}`); };
    for (let id = 1; id < this.threads; id++) {
      workers.push(this.host.spawn({
        module: this.options.module, memory: this.options.memory, control, id, spinMicros: this.spinMicros, hotSpinMicros: this.hotSpinMicros,
      }, onFailure));
    }
    // A session dropped without release(): stop its workers once the pool is garbage-collected.
    UNRELEASED.register(this, { ctrl: views.ctrl, workers }, this);
  }

  /** After waiting for READY: marks the pool ready, or failed with the reason. */
  private checkStarted(allReady: boolean, timeoutMs: number): void {
    if (this.shared.failure) throw new OptiflowError('runtime_error', `wasm thread pool: ${this.shared.failure.message}`);
    if (!Atomics.load(this.views.ctrl, CTRL.ERROR) && allReady) { this.ready = true; return; }
    const msg = allReady || Atomics.load(this.views.ctrl, CTRL.ERROR) ? this.takeError() : `workers did not start within ${timeoutMs} ms`;
    this.shared.failure = new Error(msg);
    throw new OptiflowError('runtime_error', `wasm thread pool: ${msg}`);
  }

  /**
   * Waits until `ctrl[slot]` reaches `target` (PENDING counts down, READY up): polls for
   * `callerSpinMicros`, then sleeps in `Atomics.wait` (or keeps polling where the host cannot block).
   * @returns false on timeout
   */
  private waitFor(slot: number, target: number, timeoutMs: number): boolean {
    const { ctrl } = this.views;
    let v = Atomics.load(ctrl, slot);
    if (v === target) return true;
    const t0 = performance.now();
    const spinUntil = t0 + this.callerSpinMicros / 1000;
    while (performance.now() < spinUntil) {
      for (let i = 0; i < 64; i++) if ((v = Atomics.load(ctrl, slot)) === target) return true;
    }
    Atomics.store(ctrl, CTRL.CALLER_WAITING, 1);
    if (slot === CTRL.PENDING) this.stats.callerSlept++;
    try {
      for (;;) {
        v = Atomics.load(ctrl, slot);
        if (v === target) return true;
        const left = t0 + timeoutMs - performance.now();
        if (left <= 0) return false;
        if (this.host.canBlock) Atomics.wait(ctrl, slot, v, Math.min(left, 1000));
      }
    } finally {
      Atomics.store(ctrl, CTRL.CALLER_WAITING, 0);
    }
  }

  private takeError(): string {
    const { ctrl, error } = this.views;
    const len = Atomics.load(ctrl, CTRL.ERROR_LEN);
    const msg = new TextDecoder().decode(error.slice(0, len));
    Atomics.store(ctrl, CTRL.ERROR_LEN, 0);
    Atomics.store(ctrl, CTRL.ERROR, 0);
    return msg;
  }

  /** Stops the workers (they leave their loop, then are terminated). Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    UNRELEASED.unregister(this);
    await stopWorkers({ ctrl: this.views.ctrl, workers: this.workers });
  }
}

/** Tells the workers to leave their loop, then terminates them. */
async function stopWorkers(h: { ctrl: Int32Array; workers: PoolWorker[] }): Promise<void> {
  Atomics.store(h.ctrl, CTRL.STOP, 1);
  Atomics.add(h.ctrl, CTRL.SEQ, 1);
  Atomics.notify(h.ctrl, CTRL.SEQ);
  await Promise.all(h.workers.splice(0).map((w) => w.terminate()));
}

const UNRELEASED = new FinalizationRegistry<{ ctrl: Int32Array; workers: PoolWorker[] }>((h) => { void stopWorkers(h); });
