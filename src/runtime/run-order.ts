/**
 * Run order of a plan's top-level steps: where each backend's part of a run begins and ends
 * ({@link bracketRuns}), and the inter-op schedule that lets segments run while the JavaScript
 * thread runs other ready steps ({@link concurrentOrder}).
 * @module
 */
import type { Backend } from '../backends/backend.js';
/**
 * Where each backend's part of a run begins and ends ({@link Backend.beginRun}/`endRun`): from a
 * backend's first step to its last, except that a segment step of another backend closes it (its
 * pool would otherwise keep spinning on the cores that segment's own threads use) and its next
 * step opens it again. Steps of other per-node backends (js on the main thread) do not close it.
 * Fills `beginAt` (step index → backends beginning there) and `endAfter` (step index → backends
 * ending after it).
 */
export function bracketRuns(steps: readonly { kind: string; backend: Backend }[], beginAt: Map<number, Backend[]>,
  endAfter: Map<number, Backend[]>): void {
  const open = new Map<Backend, number>();
  const push = (m: Map<number, Backend[]>, i: number, b: Backend): void => { const l = m.get(i); if (l) l.push(b); else m.set(i, [b]); };
  steps.forEach((st, i) => {
    if (st.kind === 'segment') {
      for (const [b, last] of open) if (b !== st.backend) { push(endAfter, last, b); open.delete(b); }
    }
    if (!open.has(st.backend)) push(beginAt, i, st.backend);
    open.set(st.backend, i);
  });
  for (const [b, last] of open) push(endAfter, last, b);
}

/** A step as {@link concurrentOrder} sees it. */
export interface OrderStep {
  /** Runs off the JavaScript thread (a segment): starting it does not block. */
  readonly async: boolean;
  /** Value names it reads (each once). */
  readonly inputs: readonly string[];
  /** Value names it writes ('' = omitted). */
  readonly outputs: readonly string[];
}

/** What {@link concurrentOrder} asks for next: start a step, or wait for an in-flight one to finish. */
export type OrderAction = { kind: 'start'; step: number } | { kind: 'wait' };

/**
 * The inter-op schedule of a run: a generator that yields `start` for a step whose producers have
 * all finished, or `wait` when nothing can start until an in-flight async step finishes; the
 * caller passes back the index of the step that just finished (after a synchronous `start`, the
 * step itself; after `wait`, the async step that finished). Ready async steps start first
 * (lowest index first), while fewer than `limit` are in flight; a synchronous step runs on the
 * JavaScript thread when fewer than `limit` async steps are in flight (that thread is one of the
 * `limit`). With `limit` 1 the order is a topological order (not always the plan order).
 */
export function* concurrentOrder(steps: readonly OrderStep[], limit: number): Generator<OrderAction, void, number> {
  const producer = new Map<string, number>();
  steps.forEach((st, i) => { for (const o of st.outputs) if (o) producer.set(o, i); });
  const waiting = steps.map(() => 0);
  const dependents: number[][] = steps.map(() => []);
  steps.forEach((st, i) => {
    const deps = new Set<number>();
    for (const x of st.inputs) { const p = producer.get(x); if (p !== undefined && p !== i) deps.add(p); }
    waiting[i] = deps.size;
    for (const d of deps) dependents[d]!.push(i);
  });
  const ready = new Set<number>();
  steps.forEach((_, i) => { if (waiting[i] === 0) ready.add(i); });
  let inflight = 0;
  let left = steps.length;
  const finish = (i: number): void => {
    left--;
    for (const d of dependents[i]!) if (--waiting[d]! === 0) ready.add(d);
  };
  while (left > 0) {
    const sorted = [...ready].sort((a, b) => a - b);
    const a = sorted.find((i) => steps[i]!.async);
    if (a !== undefined && inflight < limit) {
      ready.delete(a);
      inflight++;
      const back = yield { kind: 'start', step: a };
      if (back !== a) throw new Error(`concurrentOrder: expected step ${a} back, got ${back}`);
      continue;
    }
    const s = sorted.find((i) => !steps[i]!.async);
    if (s !== undefined && inflight < limit) {
      ready.delete(s);
      const back = yield { kind: 'start', step: s };
      if (back !== s) throw new Error(`concurrentOrder: expected step ${s} back, got ${back}`);
      finish(s);
      continue;
    }
    if (inflight === 0) throw new Error('concurrentOrder: no step can run (a cycle)');
    const done = yield { kind: 'wait' };
    inflight--;
    finish(done);
  }
}
