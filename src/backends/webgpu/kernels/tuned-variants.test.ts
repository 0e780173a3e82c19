import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GpuCreateCtx } from '../kernel.js';
import { boundShape, concreteInputDims, hasSymbolicInput, shapesKey, TunedVariants } from './tuned-variants.js';

/** A create context with only what the helpers read. */
function fakeCtx(shapes: ((number | string)[] | undefined)[], names: string[], table: Record<string, number[]>): GpuCreateCtx<unknown> {
  return {
    node: { name: 'n', opType: 'MatMul', domain: '', inputs: names, outputs: ['y'], attributes: new Map() },
    inputs: shapes.map((s) => (s ? { dtype: 'float32', shape: s } : undefined)),
    tuned: (k: string) => table[k],
  } as unknown as GpuCreateCtx<unknown>;
}

test('symbolic dims bind to 1; the last run\'s dims win; keys have no "?"', () => {
  assert.deepEqual(boundShape(['N', 3, 'S']), [1, 3, 1]);
  const ctx = fakeCtx([['N', 64], [64, 32], undefined], ['a', 'b', ''], {});
  assert.ok(hasSymbolicInput(ctx));
  assert.ok(!hasSymbolicInput(fakeCtx([[2, 64], [64, 32], undefined], ['a', 'b', ''], {})));
  assert.equal(shapesKey(concreteInputDims(ctx)), '1x64,64x32,-');
  assert.equal(shapesKey(concreteInputDims(ctx, [[8, 64], undefined, undefined])), '8x64,64x32,-');
});

test('TunedVariants: the tuned choice\'s pipeline after its async creation, the first one meanwhile', async () => {
  const ctx = fakeCtx([], [], { k4: [16], bad: [3], k1: [8] });
  const created: number[] = [];
  const v = new TunedVariants(ctx, { choice: [8], pipeline: 'p8' }, async (c) => { created.push(c[0]!); return `p${c[0]}`; }, (c) => c[0]! % 8 === 0);
  assert.equal(v.pick('none'), 'p8', 'no entry: the first pipeline');
  assert.equal(v.pick('bad'), 'p8', 'invalid choice ignored');
  assert.equal(v.pick('k1'), 'p8');
  assert.equal(v.pick('k4'), 'p8', 'creation started, first pipeline meanwhile');
  assert.equal(v.pick('k4'), 'p8', 'not started twice');
  await new Promise((ok) => setTimeout(ok, 0));
  assert.deepEqual(created, [16]);
  assert.equal(v.pick('k4'), 'p16');
  assert.deepEqual(v.choices(), ['8', '16']);
  const failing = new TunedVariants(ctx, { choice: [8], pipeline: 'p8' }, () => Promise.reject(new Error('no')), () => true);
  assert.equal(failing.pick('k4'), 'p8');
  await new Promise((ok) => setTimeout(ok, 0));
  assert.equal(failing.pick('k4'), 'p8', 'a choice that fails to compile keeps the first pipeline');
});
