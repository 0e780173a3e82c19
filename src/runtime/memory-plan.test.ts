import assert from 'node:assert/strict';
import test from 'node:test';
import type { Node } from '../ir/graph.js';
import { computeLifetimes, elementwiseInPlace, planArena, releaseSchedule } from './memory-plan.js';

const node = (name: string, inputs: string[], outputs: string[]): Node =>
  ({ name, opType: 'Add', domain: '', inputs, outputs, attributes: new Map() });

test('lifetimes: first producer step, last reader step, outputs kept', () => {
  // x -> a (0); a,x -> b (1); a -> c (2); b,c -> y (3)
  const steps = [node('0', ['x'], ['a']), node('1', ['a', 'x'], ['b']), node('2', ['a'], ['c']), node('3', ['b', 'c'], ['y'])];
  const l = computeLifetimes(steps, ['y']);
  assert.deepEqual(l.get('x'), { first: -1, last: 1 });
  assert.deepEqual(l.get('a'), { first: 0, last: 2 });
  assert.deepEqual(l.get('b'), { first: 1, last: 3 });
  assert.deepEqual(l.get('y'), { first: 3, last: Infinity });
  // graph inputs are never released by the plan; intermediates die after their last reader
  assert.deepEqual(releaseSchedule(steps, ['y']), [[], [], ['a'], ['b', 'c']]);
});

test('an unused intermediate dies at the step that makes it; outputs never die', () => {
  const steps = [node('0', ['x'], ['a', 'unused']), node('1', ['a'], ['y'])];
  assert.deepEqual(releaseSchedule(steps, ['y', 'a']), [['unused'], []]);
});

// ---- arena planning (planArena) ----

/** A chain x -> v0 -> v1 -> ... of `sizes.length` steps; the last value is the graph output. */
function chain(sizes: number[], op = 'Relu') {
  const steps = sizes.map((_, i) => ({ ...node(`n${i}`, [i ? `v${i - 1}` : 'x'], [`v${i}`]), opType: op }));
  return { steps, sizes: new Map(sizes.map((s, i) => [`v${i}`, s])), keep: [`v${sizes.length - 1}`] };
}

test('arena: a chain needs two buffers; offsets alternate', () => {
  const c = chain([100, 100, 100, 100]);
  const p = planArena(c.steps, c.sizes, c.keep, { alignment: 1 });
  assert.equal(p.totalBytes, 400);
  assert.equal(p.peakBytes, 200);
  assert.equal(p.liveBytes, 200);
  assert.deepEqual([0, 1, 2, 3].map((i) => p.offsets.get(`v${i}`)), [0, 100, 0, 100]);
  assert.deepEqual(p.inPlace, []);
});

test('arena: diamond reaches the live lower bound (60 bytes at step 2)', () => {
  // x -> a(10); a -> b(20); a -> c(30); b,c -> d(5)
  const steps = [node('0', ['x'], ['a']), node('1', ['a'], ['b']), node('2', ['a'], ['c']), node('3', ['b', 'c'], ['d'])];
  const sizes = new Map([['a', 10], ['b', 20], ['c', 30], ['d', 5]]);
  const p = planArena(steps, sizes, ['d'], { alignment: 1 });
  assert.equal(p.liveBytes, 60);
  assert.equal(p.peakBytes, 60);
  assert.equal(p.totalBytes, 65);
  // Greedy by size: c first at 0, b above it, a above both, d reuses a's bytes (a is dead at step 3).
  assert.deepEqual(Object.fromEntries(p.offsets), { c: 0, b: 30, a: 50, d: 50 });
});

test('arena: a big early buffer is reused by two later small ones (greedy by size fills gaps)', () => {
  // x -> big(64) -> s1(16) -> s2(16) -> s3(16) -> y(8); big dies at step 1.
  const steps = [node('0', ['x'], ['big']), node('1', ['big'], ['s1']), node('2', ['s1'], ['s2']),
    node('3', ['s2'], ['s3']), node('4', ['s3'], ['y'])];
  const sizes = new Map([['big', 64], ['s1', 16], ['s2', 16], ['s3', 16], ['y', 8]]);
  const p = planArena(steps, sizes, ['y'], { alignment: 8 });
  assert.equal(p.liveBytes, 80);
  assert.equal(p.peakBytes, 80);
  assert.equal(p.offsets.get('s2'), 0, 's2 lives after big is dead: it takes the lowest gap');
});

test('arena: alignment rounds sizes and offsets', () => {
  const c = chain([10, 10, 10]);
  const p = planArena(c.steps, c.sizes, c.keep);
  assert.deepEqual([...p.offsets.values()], [0, 64, 0]);
  assert.equal(p.peakBytes, 128);
  assert.equal(p.totalBytes, 30);
  assert.throws(() => planArena(c.steps, c.sizes, c.keep, { alignment: 0 }), /alignment/);
  assert.throws(() => planArena(c.steps, new Map([['v0', -1]]), c.keep), /size -1/);
});

test('arena: in-place reuse for elementwise ops whose input dies there', () => {
  const c = chain([100, 100, 100]);
  const p = planArena(c.steps, c.sizes, c.keep, { inPlace: elementwiseInPlace, alignment: 1 });
  assert.deepEqual(p.inPlace, [['v1', 'v0'], ['v2', 'v1']]);
  assert.deepEqual([...p.offsets.values()], [0, 0, 0]);
  assert.equal(p.peakBytes, 100);
  // Not when the input is read later, not when sizes differ, not for a kept input, not for other ops.
  const later = [node('0', ['x'], ['a']), { ...node('1', ['a'], ['b']), opType: 'Relu' }, node('2', ['a', 'b'], ['y'])];
  const same = new Map([['a', 8], ['b', 8], ['y', 8]]);
  const p2 = planArena(later, same, ['y'], { inPlace: elementwiseInPlace, alignment: 1 });
  assert.deepEqual(p2.inPlace, [['y', 'a']], 'b cannot overwrite a (read again at step 2); y can');
  assert.equal(p2.peakBytes, 16);
  assert.deepEqual(planArena(chain([100, 50]).steps, chain([100, 50]).sizes, ['v1'], { inPlace: elementwiseInPlace }).inPlace, []);
  assert.deepEqual(planArena(c.steps, c.sizes, ['v0', 'v2'], { inPlace: elementwiseInPlace }).inPlace, [['v2', 'v1']]);
  const conv = chain([100, 100], 'Conv');
  assert.deepEqual(planArena(conv.steps, conv.sizes, conv.keep, { inPlace: elementwiseInPlace }).inPlace, []);
  // Reshape may overwrite its data input, never its shape input.
  const reshape = node('1', ['s', 'a'], ['r']);
  assert.equal(elementwiseInPlace({ ...reshape, opType: 'Reshape' }, 'a'), false);
  assert.equal(elementwiseInPlace({ ...reshape, opType: 'Reshape' }, 's'), true);
});

test('arena: unsized values are listed, graph inputs and initializers are not planned', () => {
  const steps = [node('0', ['x', 'w'], ['a']), node('1', ['a'], ['y'])];
  const p = planArena(steps, new Map([['y', 4], ['x', 4], ['w', 4]]), ['y']);
  assert.deepEqual(p.unsized, ['a']);
  assert.deepEqual([...p.offsets.keys()], ['y']);
  assert.deepEqual(planArena([], new Map(), []).peakBytes, 0);
});

/** Deterministic pseudo-random numbers in [0, 1) (a linear congruential generator). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('arena property: values live at the same step never share bytes (random schedules)', () => {
  for (let trial = 0; trial < 200; trial++) {
    const rnd = lcg(trial + 1);
    const count = 2 + Math.floor(rnd() * 30);
    const steps: Node[] = [];
    const sizes = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const ins = i === 0 ? ['x'] : Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `v${Math.floor(rnd() * i)}`);
      const outs = Array.from({ length: rnd() < 0.2 ? 2 : 1 }, (_, k) => `v${i}${k ? 'b' : ''}`);
      steps.push({ ...node(`n${i}`, ins, outs), opType: rnd() < 0.5 ? 'Add' : 'Conv' });
      for (const o of outs) sizes.set(o, rnd() < 0.3 ? 64 : 1 + Math.floor(rnd() * 200));
    }
    const keep = [`v${count - 1}`, ...(rnd() < 0.5 ? [`v${Math.floor(rnd() * count)}`] : [])];
    const inPlaceOn = trial % 2 === 1;
    const alignment = [1, 4, 16][trial % 3]!;
    const p = planArena(steps, sizes, keep, { inPlace: inPlaceOn ? elementwiseInPlace : undefined, alignment });
    const life = computeLifetimes(steps, keep);
    // In-place chains share a buffer on purpose: group them.
    const root = new Map<string, string>();
    const find = (v: string): string => (root.has(v) ? find(root.get(v)!) : v);
    for (const [o, i] of p.inPlace) root.set(o, find(i));
    const names = [...p.offsets.keys()];
    const end = steps.length - 1;
    for (const a of names) {
      assert.equal(p.offsets.get(a)! % alignment, 0);
      assert.ok(p.offsets.get(a)! + sizes.get(a)! <= p.peakBytes);
      for (const b of names) {
        if (a >= b || find(a) === find(b)) continue;
        const la = life.get(a)!; const lb = life.get(b)!;
        if (Math.min(la.last, end) < lb.first || Math.min(lb.last, end) < la.first) continue;
        const oa = p.offsets.get(a)!; const ob = p.offsets.get(b)!;
        assert.ok(oa + sizes.get(a)! <= ob || ob + sizes.get(b)! <= oa,
          `trial ${trial}: ${a} [${oa}, +${sizes.get(a)}) and ${b} [${ob}, +${sizes.get(b)}) overlap in time and memory`);
      }
    }
    assert.ok(p.peakBytes >= p.liveBytes);
    assert.ok(p.liveBytes > 0);
  }
});
