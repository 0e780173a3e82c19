/**
 * `bracketRuns`: where each backend's part of a run begins and ends. Expected brackets are
 * written out by hand for small step sequences.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../backends/backend.js';
import { bracketRuns } from './executor.js';

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
