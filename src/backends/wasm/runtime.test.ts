import assert from 'node:assert/strict';
import test from 'node:test';
import { loadWasmModule } from './loader.js';
import { HeapAllocator, Scratch, WasmRuntime } from './runtime.js';

test('heap allocator: first fit, alignment, coalescing, growth', () => {
  const h = new HeapAllocator(100, 1024);
  const a = h.alloc(10)!; const b = h.alloc(100)!; const c = h.alloc(64)!;
  assert.deepEqual([a, b, c], [128, 192, 320]);
  assert.equal(h.alloc(1024), undefined);
  h.release(b);
  assert.equal(h.alloc(128), 192, 'the freed block is reused');
  h.release(192); h.release(a); h.release(c);
  assert.equal(h.used, 0);
  assert.equal(h.alloc(1024 - 128), 128, 'freed neighbours coalesce into one block');
  h.grow(4096);
  assert.equal(h.alloc(3000), 1024);
  assert.throws(() => h.release(7), /unknown pointer/);
});

test('runtime: module loads, tensors live in wasm memory, aliases are refcounted', async () => {
  const { module, variant } = await loadWasmModule();
  const rt = WasmRuntime.create(module, variant, 1 << 20);
  assert.equal(Number(rt.exports.relaxed_build!()), variant === 'relaxed' ? 1 : 0);
  const src = { type: 'float32' as const, dims: [5], data: Float32Array.from([1, 2, 3, 4, 5]) };
  const s = new Scratch(rt);
  const p = rt.input(src, s);
  const { ptr, tensor } = rt.output([5]);
  rt.parallelFor('copy_f32', [p, ptr], 5, 5);
  assert.deepEqual(Array.from(tensor.data as Float32Array), [1, 2, 3, 4, 5]);
  s.done();
  assert.equal(rt.input(tensor, s), ptr, 'an owned tensor is used in place');
  const view = rt.alias(tensor, [1, 5]);
  rt.release(tensor);
  assert.ok(rt.heapBytes.used > 0, 'the alias keeps the allocation alive');
  const out = rt.exportTensor(view);
  rt.release(view);
  assert.equal(rt.heapBytes.used, 0);
  assert.deepEqual(Array.from(out.data as Float32Array), [1, 2, 3, 4, 5]);
  // Growth past the initial 1 MiB keeps earlier views valid.
  const big = rt.output([1 << 20]);
  assert.equal((big.tensor.data as Float32Array).length, 1 << 20);
  rt.release(big.tensor);
});
