/**
 * A `wasm` thread-pool worker (Node `worker_threads` or a Web Worker): receives a
 * {@link WorkerInit} as its first message, instantiates the kernel module on the shared memory,
 * then serves jobs from the control block until told to stop. Never returns to its event loop
 * while serving, and never uses `postMessage` for jobs; see `thread-pool.ts` for the protocol.
 *
 * Instantiating re-applies the module's active data segments to the shared memory, below
 * `heap_base`. That is harmless while static data is constant: today it is AssemblyScript's math
 * tables (exp/log/pow, rempio2); the module has no start function, its one mutable global is
 * per-instance scratch, and the stub runtime zeroes nothing, so the heap above `heap_base` (the
 * JavaScript allocator's, holding live tensors and weights) is never touched. Kernels must not
 * keep mutable static data, or a worker starting mid-session would reset it.
 * @module
 */
import { CTRL, controlViews, kernelExportNames, recordError, type ControlViews, type WorkerInit } from './thread-pool-control.js';

type Kernel = (...args: number[]) => unknown;

/** AssemblyScript's `abort(message, file, line, column)`: strings are UTF-16 with their byte length at ptr - 4. */
function abortHandler(memory: WebAssembly.Memory) {
  const str = (ptr: number): string => {
    if (!ptr || ptr < 4 || ptr > memory.buffer.byteLength) return '';
    const bytes = new DataView(memory.buffer).getUint32(ptr - 4, true);
    if (ptr + bytes > memory.buffer.byteLength) return '';
    return String.fromCharCode(...new Uint16Array(memory.buffer.slice(ptr, ptr + Math.min(bytes, 2048))));
  };
  return (msg: number, file: number, line: number, col: number): never => {
    throw new Error(`wasm abort: ${str(msg) || 'abort'} at ${str(file)}:${line}:${col}`);
  };
}

const message = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

function ready(ctrl: Int32Array): void {
  Atomics.add(ctrl, CTRL.READY, 1);
  Atomics.notify(ctrl, CTRL.READY);
}

/**
 * Serves jobs until the pool sets STOP. Every failure (instantiation, a trap, a thrown error) is
 * recorded in the control block for the caller to throw; the loop itself never throws.
 */
export function serve(init: WorkerInit): void {
  const v: ControlViews = controlViews(init.control);
  const { ctrl, args } = v;
  let fns: Kernel[];
  try {
    const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory, abort: abortHandler(init.memory) } });
    const ex = instance.exports as Record<string, Kernel>;
    fns = kernelExportNames(init.module).map((n) => ex[n]!);
  } catch (e) {
    recordError(v, `worker ${init.id} could not instantiate the module: ${message(e)}`);
    ready(ctrl);
    return;
  }
  let seen = Atomics.load(ctrl, CTRL.SEQ);
  ready(ctrl);
  const slot = CTRL.RANGES + 3 * init.id;
  const spinMs = init.spinMicros / 1000;
  const hotSpinMs = (init.hotSpinMicros ?? init.spinMicros) / 1000;
  for (;;) {
    let s = Atomics.load(ctrl, CTRL.SEQ);
    if (s === seen) {
      // Poll for a while (the next kernel usually follows within microseconds; during a session
      // run, longer: the JavaScript between two split kernels can take milliseconds), then sleep.
      const idle = performance.now();
      spin: for (;;) {
        for (let i = 0; i < 64; i++) if ((s = Atomics.load(ctrl, CTRL.SEQ)) !== seen) break spin;
        if (performance.now() - idle >= (Atomics.load(ctrl, CTRL.HOT) > 0 ? hotSpinMs : spinMs)) break;
      }
      if (s === seen) {
        // Woken by a new sequence number (a job, or a run beginning) or spuriously: look again.
        Atomics.add(ctrl, CTRL.SLEEPING, 1);
        Atomics.wait(ctrl, CTRL.SEQ, seen);
        Atomics.sub(ctrl, CTRL.SLEEPING, 1);
        continue;
      }
    }
    seen = s;
    if (Atomics.load(ctrl, CTRL.STOP)) return;
    if (Atomics.load(ctrl, slot + 2) !== s) continue;
    try {
      const a = Array.from(args.subarray(0, ctrl[CTRL.ARGC]!));
      a.push(ctrl[slot]!, ctrl[slot + 1]!);
      fns[ctrl[CTRL.FN]!]!(...a);
    } catch (e) {
      recordError(v, `worker ${init.id}: ${message(e)}`);
    }
    if (Atomics.sub(ctrl, CTRL.PENDING, 1) === 1 && Atomics.load(ctrl, CTRL.CALLER_WAITING)) Atomics.notify(ctrl, CTRL.PENDING);
  }
}

/** Waits for the first message (the {@link WorkerInit}), serves, then lets the worker end. */
async function main(): Promise<void> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) return; // imported outside a worker: nothing to do
    parentPort.once('message', (init: WorkerInit) => { serve(init); parentPort.close(); });
  } else {
    const scope = globalThis as unknown as { addEventListener(t: 'message', f: (e: { data: WorkerInit }) => void, o: { once: boolean }): void; close(): void };
    scope.addEventListener('message', (e) => { serve(e.data); scope.close(); }, { once: true });
  }
}

void main();
