/**
 * Where the `wasm` thread pool's workers come from: Node's `worker_threads`, or Web Workers in a
 * browser, behind one small interface; and the default thread count.
 * @module
 */
import { OptiflowError } from '../../ir/errors.js';
import { MAX_THREADS, type WorkerInit } from './thread-pool-control.js';

/** One started worker, as the pool sees it. */
export interface PoolWorker {
  /** Stops the worker (after it left its loop, or forcibly). */
  terminate(): unknown;
}

/**
 * Where threads come from: Node's `worker_threads` ({@link nodeWorkerHost}), or Web Workers in a
 * browser (`new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`, posting the
 * {@link WorkerInit} as the first message, `canBlock: false` on the main thread).
 */
export interface WorkerHost {
  /** Starts a worker running `worker.js` and hands it `init` as its first message. */
  spawn(init: WorkerInit, onFailure: (e: Error) => void): PoolWorker;
  /**
   * Whether the calling thread may sleep in `Atomics.wait` (Node's main thread and workers may;
   * a browser's main thread may not, and then spins).
   */
  readonly canBlock: boolean;
}

/**
 * The Node.js host: `worker_threads` workers, `unref()`'d so that a process that never releases
 * its session can still exit.
 * @throws OptiflowError `runtime_error` when `worker.js` is missing next to this module.
 */
export async function nodeWorkerHost(): Promise<WorkerHost> {
  const { Worker } = await import('node:worker_threads');
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const url = new URL('./worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    throw new OptiflowError('runtime_error', `wasm thread pool: worker script ${fileURLToPath(url)} is missing`);
  }
  return {
    canBlock: true,
    spawn(init, onFailure) {
      const w = new Worker(url, { execArgv: workerExecArgv(process.execArgv) });
      w.unref();
      w.on('error', onFailure);
      w.postMessage(init);
      return w;
    },
  };
}

/**
 * The browser host: module Web Workers running `worker.js` (shared memory needs a cross-origin
 * isolated page: COOP `same-origin` and COEP `require-corp`). Not exercised by the tests here.
 * @param canBlock true when the pool is used from inside a worker (where `Atomics.wait` is
 *   allowed); on the main thread (the default) the caller spins and the pool starts its workers
 *   eagerly, since the main thread cannot wait for them.
 */
export function webWorkerHost(canBlock = false, url = new URL('./worker.js', import.meta.url)): WorkerHost {
  return {
    canBlock,
    spawn(init, onFailure) {
      const w = new Worker(url, { type: 'module' });
      w.onerror = (e) => onFailure(new Error(e.message || 'worker error'));
      w.postMessage(init);
      return w;
    },
  };
}

/**
 * The parent's Node options minus those that name the program (`-e CODE`, `-p`, `--input-type`):
 * a worker given `-e` would run the parent's inline script instead of `worker.js`.
 */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (['-e', '--eval', '-p', '--print', '-pe', '--input-type'].includes(a)) { i++; continue; }
    if (/^--(eval|print|input-type)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

/**
 * Threads for `intraOpNumThreads: 0`: one per core (`os.availableParallelism()` in Node,
 * `navigator.hardwareConcurrency` in a browser), at most {@link MAX_THREADS}.
 */
export async function defaultThreadCount(): Promise<number> {
  let n = 1;
  if (typeof process !== 'undefined' && process.versions?.node) {
    const os = await import('node:os');
    n = os.availableParallelism?.() ?? os.cpus().length;
  } else if (typeof navigator !== 'undefined') {
    n = navigator.hardwareConcurrency ?? 1;
  }
  return Math.max(1, Math.min(MAX_THREADS, n));
}
