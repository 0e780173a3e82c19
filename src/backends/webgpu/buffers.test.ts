import assert from 'node:assert/strict';
import { test } from 'node:test';
import { f16, f32, i64, bool } from '../../testing/run-kernel.js';
import { fromGpuBytes, gpuDTypeOf, sizeClass, tensorBytes, toGpuBytes } from './buffers.js';

test('size classes: 256-byte steps to 4 KiB, then 8 per power of two; never below the request', () => {
  assert.equal(sizeClass(1), 256);
  assert.equal(sizeClass(257), 512);
  assert.equal(sizeClass(4096), 4096);
  assert.equal(sizeClass(4097), 4608); // 4096 + 4096/8
  assert.equal(sizeClass(1 << 20), 1 << 20);
  assert.equal(sizeClass((1 << 20) + 1), (1 << 20) + (1 << 17));
  for (const n of [3, 1000, 5000, 123457, 9999999]) assert.ok(sizeClass(n) >= n && sizeClass(n) <= n * 1.25 + 256);
});

test('tensor bytes round up to 4 and are never 0', () => {
  assert.equal(tensorBytes([0], 'float32'), 4);
  assert.equal(tensorBytes([3], 'float16'), 8);
  assert.equal(tensorBytes([2, 3], 'int32'), 24);
});

test('GPU dtypes: int64 and bool have none; fp16 stores float32 as float16', () => {
  assert.equal(gpuDTypeOf('float32'), 'float32');
  assert.equal(gpuDTypeOf('float32', true), 'float16');
  assert.equal(gpuDTypeOf('int64'), undefined);
  assert.equal(gpuDTypeOf('bool'), undefined);
});

test('uploads narrow int64 to int32 with clamping and convert float32 <-> float16', () => {
  const big = i64([4], [1n, -2n, 9223372036854775807n, -9223372036854775808n]);
  assert.deepEqual(Array.from(new Int32Array(toGpuBytes(big, 'int32').slice().buffer)), [1, -2, 2147483647, -2147483648]);
  assert.deepEqual(Array.from(new Int32Array(toGpuBytes(bool([3], [true, false, true]), 'int32').slice().buffer)), [1, 0, 1]);
  const h = toGpuBytes(f32([2], [1.5, -2]), 'float16');
  assert.deepEqual(Array.from(new Uint16Array(h.slice().buffer)), [0x3e00, 0xc000]);
  const back = fromGpuBytes(new Uint16Array([0x3e00, 0xc000]).buffer, 'float16', 'float32', [2]);
  assert.deepEqual(Array.from(back.data as Float32Array), [1.5, -2]);
  assert.deepEqual(Array.from(toGpuBytes(f16([1], [1]), 'float16')), [0x00, 0x3c]);
  const i = fromGpuBytes(new Int32Array([-1, 5]).buffer, 'int32', 'int64', [2]);
  assert.deepEqual(Array.from(i.data as BigInt64Array), [-1n, 5n]);
  assert.throws(() => fromGpuBytes(new ArrayBuffer(8), 'float32', 'int8', [2]), /cannot read a GPU float32 tensor back as int8/);
});
