/**
 * `bracketRuns` (where each backend's part of a run begins and ends) and `concurrentOrder` (the
 * inter-op schedule). Expected brackets and schedules are written out by hand for small graphs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../backends/backend.js';
import { bracketRuns, concurrentOrder, type OrderStep } from './run-order.js';

const wasm = { name: 'wasm' } as Backend;
const js = { name: 'js' } as Backend;
const onednn = { name: 'onednn' } as Backend;

function brackets(steps: [string, Backend][]): { begin: string[]; end: string[] } {
  const beginAt = new Map<number, Backend[]>();
  const endAfter = new Map<number, Backend[]>();
  bracketRuns(steps.map(([kind, backend]) => ({ kind, backend })), beginAt, endAfter);
  const fmt = (m: Map<number, Backend[]>): string[] => [...m].sort((a, b) => a[0] - b[0]).flatMap(([i, bs]) => bs.map((b) => `${b.name}@${i}`));
  return { begin: fmt(beginAt), end: fmt(endAfter) };
}

test('a per-node backend stays open across js steps: one bracket from its first to its last step', () => {
  assert.deepEqual(brackets([['node', wasm], ['node', js], ['node', wasm], ['node', js]]),
    { begin: ['wasm@0', 'js@1'], end: ['wasm@2', 'js@3'] });
});

test("another backend's segment closes an open pool; its next step opens it again", () => {
  // onednn seg, wasm Erf, onednn seg, wasm Erf, onednn seg (BERT at level disabled).
  assert.deepEqual(brackets([['segment', onednn], ['node', wasm], ['segment', onednn], ['node', wasm], ['node', js], ['segment', onednn]]),
    { begin: ['onednn@0', 'wasm@1', 'wasm@3', 'js@4'], end: ['wasm@1', 'wasm@3', 'js@4', 'onednn@5'] });
});

test('a backend is not closed by its own segments', () => {
  assert.deepEqual(brackets([['segment', onednn], ['segment', onednn]]), { begin: ['onednn@0'], end: ['onednn@1'] });
});

/** Drives `concurrentOrder` the way the executor does: async steps finish in the order `finishOrder` names. */
function drive(steps: OrderStep[], limit: number, finishOrder: number[]): string[] {
  const log: string[] = [];
  const inflight: number[] = [];
  const gen = concurrentOrder(steps, limit);
  let r = gen.next();
  while (!r.done) {
    const a = r.value;
    if (a.kind === 'start') {
      log.push(`start ${a.step}`);
      if (steps[a.step]!.async) inflight.push(a.step);
      r = gen.next(a.step);
    } else {
      const k = finishOrder.find((s) => inflight.includes(s))!;
      inflight.splice(inflight.indexOf(k), 1);
      log.push(`done ${k}`);
      r = gen.next(k);
    }
  }
  return log;
}

// x -> [0 sync] -> a -> [2 sync] -> c ; x -> [1 async] -> b ; (b, c) -> [3 sync] -> y
const DIAMOND: OrderStep[] = [
  { async: false, inputs: ['x'], outputs: ['a'] },
  { async: true, inputs: ['x'], outputs: ['b'] },
  { async: false, inputs: ['a'], outputs: ['c'] },
  { async: false, inputs: ['b', 'c'], outputs: ['y'] },
];

test('inter-op 2: the segment starts first and the JavaScript thread runs the other branch meanwhile', () => {
  assert.deepEqual(drive(DIAMOND, 2, [1]), ['start 1', 'start 0', 'start 2', 'done 1', 'start 3']);
});

test('inter-op 1: one step at a time (a topological order)', () => {
  assert.deepEqual(drive(DIAMOND, 1, [1]), ['start 1', 'done 1', 'start 0', 'start 2', 'start 3']);
});

test('two independent segments run together under inter-op 2, a third waits for a slot', () => {
  const segs: OrderStep[] = [
    { async: true, inputs: ['x'], outputs: ['a'] },
    { async: true, inputs: ['x'], outputs: ['b'] },
    { async: true, inputs: ['x'], outputs: ['c'] },
    { async: false, inputs: ['a', 'b', 'c'], outputs: ['y'] },
  ];
  assert.deepEqual(drive(segs, 2, [1, 0, 2]), ['start 0', 'start 1', 'done 1', 'start 2', 'done 0', 'done 2', 'start 3']);
});
