/**
 * The shared control block of the `wasm` thread pool: the slots both sides of the protocol use
 * (the pool in `thread-pool.ts`, the workers in `worker.ts`), and the first message a worker gets.
 * @module
 */
/** Slots of the control block (`Int32Array` indices). */
export const CTRL = {
  /** Job sequence number; workers wait for it to change. */
  SEQ: 0,
  /** Index of the export to call, in {@link kernelExportNames} order. */
  FN: 1,
  /** Number of arguments before the range. */
  ARGC: 2,
  /** Workers still running the current job; the caller waits for 0. */
  PENDING: 3,
  /** 1 once a worker failed (the first failure's message is kept). */
  ERROR: 4,
  /** 1 = workers leave their loop. */
  STOP: 5,
  /** Workers that finished instantiating (or failed to). */
  READY: 6,
  /** Workers sleeping in `Atomics.wait` on SEQ (the caller notifies only when > 0). */
  SLEEPING: 7,
  /** 1 while the caller sleeps in `Atomics.wait` on PENDING. */
  CALLER_WAITING: 8,
  /** Bytes of the error message. */
  ERROR_LEN: 9,
  /**
   * Session runs in progress (`ThreadPool.beginRun` / `endRun`): while > 0 idle workers poll for
   * `hotSpinMicros` instead of `spinMicros` before sleeping.
   */
  HOT: 10,
  /**
   * Start of the per-worker slots: worker w (1..T-1) runs [ctrl[RANGES + 3w], ctrl[RANGES + 3w + 1])
   * when ctrl[RANGES + 3w + 2] equals the job's SEQ (a worker not given the job skips it, so it
   * never reads job data the caller may already be rewriting for the next job).
   */
  RANGES: 16,
} as const;

/** Most arguments a parallel kernel takes before its range. */
export const MAX_ARGS = 32;
/** Most threads of one pool. */
export const MAX_THREADS = 256;
const ERROR_BYTES = 1024;
const ARGS_BYTE_OFFSET = (CTRL.RANGES + 3 * MAX_THREADS) * 4;
const ERROR_BYTE_OFFSET = ARGS_BYTE_OFFSET + MAX_ARGS * 8;
/** Size of the control block's `SharedArrayBuffer`. */
export const CONTROL_BYTES = ERROR_BYTE_OFFSET + ERROR_BYTES;

/** Views of one control block. */
export interface ControlViews {
  ctrl: Int32Array;
  args: Float64Array;
  error: Uint8Array;
}

/** The typed views over a control block `SharedArrayBuffer` of {@link CONTROL_BYTES}. */
export function controlViews(sab: SharedArrayBuffer): ControlViews {
  return {
    ctrl: new Int32Array(sab, 0, ARGS_BYTE_OFFSET / 4),
    args: new Float64Array(sab, ARGS_BYTE_OFFSET, MAX_ARGS),
    error: new Uint8Array(sab, ERROR_BYTE_OFFSET, ERROR_BYTES),
  };
}

/** Function exports of a module in a fixed order: the caller and the workers index them alike. */
export function kernelExportNames(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
}

/**
 * Records a worker failure in the control block; the first one wins.
 * @returns whether this message was recorded
 */
export function recordError(v: ControlViews, message: string): boolean {
  if (Atomics.compareExchange(v.ctrl, CTRL.ERROR, 0, 1) !== 0) return false;
  const bytes = new TextEncoder().encode(message).subarray(0, ERROR_BYTES);
  v.error.set(bytes);
  Atomics.store(v.ctrl, CTRL.ERROR_LEN, bytes.length);
  return true;
}

/** What a worker is given when it starts (its first message). */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** 1..T-1 (the calling thread is 0). */
  id: number;
  /** How long an idle worker polls before it sleeps, in microseconds. */
  spinMicros: number;
  /** The same while a session run is in progress ({@link CTRL.HOT} > 0). */
  hotSpinMicros: number;
}
