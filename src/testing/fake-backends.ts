/**
 * Test doubles for backends (tests only): a segment backend that runs its segments with the js
 * kernels, optionally after a delay, and records what it was asked to do.
 * @module
 */
import type { Backend, SegmentSpec } from '../backends/backend.js';
import { createJsBackend } from '../backends/js/index.js';
import type { TensorData } from '../ir/tensor-data.js';

/** Options of {@link fakeSegmentBackend}. */
export interface FakeSegmentOptions {
  /** The backend's minimum segment size. */
  readonly min?: number;
  /** Every segment compilation throws. */
  readonly failCompile?: boolean;
  /** Each segment run resolves this many ms after it starts (an off-thread engine). */
  readonly delayMs?: number;
  /** Called when a segment run starts and when it ends. */
  readonly onEvent?: (event: 'start' | 'end') => void;
}

/**
 * A segment backend named `seg` for tests: claims `ops`, runs a segment by running its nodes one
 * by one on the js backend (so results are plain js results), and records the segments it
 * compiled and how many runs it did.
 */
export function fakeSegmentBackend(ops: readonly string[], opts: FakeSegmentOptions = {}): { backend: Backend; log: { compiled: SegmentSpec[]; runs: number } } {
  const js = createJsBackend();
  const log = { compiled: [] as SegmentSpec[], runs: 0 };
  const b: Backend = {
    name: 'seg',
    minSegmentSize: opts.min,
    supports: (q) => (ops.includes(q.node.opType) ? { ok: true } : { ok: false, reason: `seg has no ${q.node.opType}` }),
    compile: () => { throw new Error('segments only'); },
    compileSegment(spec) {
      if (opts.failCompile) throw new Error('shader did not compile');
      log.compiled.push(spec);
      const steps = spec.nodes.map((n) => js.compile(n, spec.schemas.get(n)!, spec.opsets.get(n.domain) ?? 1));
      return {
        async run(inputs) {
          log.runs++;
          opts.onEvent?.('start');
          const env = new Map<string, TensorData>(spec.inputs.map((x, i) => [x, inputs[i] as TensorData]));
          spec.nodes.forEach((n, i) => {
            const xs = n.inputs.map((x) => env.get(x) ?? spec.graph.initializers.get(x)!);
            const out = xs[0]!;
            const res = steps[i]!.run(xs, [{ dtype: out.type, shape: [...out.dims] }], () => Promise.reject(new Error('no subgraphs')));
            env.set(n.outputs[0]!, (res as TensorData[])[0]!);
          });
          if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
          opts.onEvent?.('end');
          return spec.outputs.map((o) => env.get(o)!);
        },
      };
    },
  };
  return { backend: b, log };
}
