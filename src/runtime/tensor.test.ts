import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isGpuBufferValue } from '../backends/backend.js';
import { Tensor } from './tensor.js';

test('Tensor.fromGpuBuffer: location, data guarded until getData, download without changing the tensor, dispose once', async () => {
  const buffer = { size: 16 };
  let downloads = 0;
  let disposed = 0;
  const t = Tensor.fromGpuBuffer(buffer, {
    dataType: 'float32', dims: [2, 2], device: 'dev',
    download: async () => { downloads++; return Float32Array.of(1, 2, 3, 4); },
    dispose: () => { disposed++; },
  });
  assert.equal(t.location, 'gpu-buffer');
  assert.equal(t.gpuBuffer, buffer);
  assert.equal(t.gpuDevice, 'dev');
  assert.equal(t.size, 4);
  assert.ok(t instanceof Tensor && isGpuBufferValue(t));
  assert.throws(() => t.data, /GPU buffer; use await tensor.getData/);
  assert.deepEqual(Array.from(await t.download() as Float32Array), [1, 2, 3, 4]);
  assert.equal(t.location, 'gpu-buffer', 'download() leaves the tensor as it is');
  assert.deepEqual(Array.from(await t.getData() as Float32Array), [1, 2, 3, 4]);
  assert.equal(t.location, 'cpu');
  assert.deepEqual(Array.from(t.data as Float32Array), [1, 2, 3, 4]);
  assert.equal(t.gpuBuffer, buffer, 'the buffer stays valid without releaseData');
  assert.equal(downloads, 2);
  t.dispose();
  t.dispose();
  assert.equal(disposed, 1);
  assert.throws(() => t.data, /disposed/);
  assert.throws(() => t.gpuBuffer, /not in a GPU buffer/);
});

test('getData(true) releases the GPU buffer; CPU tensors are unchanged by the GPU API', async () => {
  let disposed = 0;
  const t = Tensor.fromGpuBuffer({}, { dataType: 'int32', dims: [3], download: async () => Int32Array.of(7, 8, 9), dispose: () => { disposed++; } });
  assert.deepEqual(Array.from(await t.getData(true) as Int32Array), [7, 8, 9]);
  assert.equal(disposed, 1);
  const c = new Tensor('float32', [1, 2], [2]);
  assert.equal(c.location, 'cpu');
  assert.equal(isGpuBufferValue(c), false);
  assert.equal(await c.getData(), c.data);
  assert.throws(() => c.gpuBuffer, /not in a GPU buffer/);
});

test('Tensor.fromGpuBuffer rejects a missing buffer, bad dims, and a download it cannot do', async () => {
  assert.throws(() => Tensor.fromGpuBuffer(undefined, { dataType: 'float32', dims: [1] }), /needs a GPUBuffer/);
  assert.throws(() => Tensor.fromGpuBuffer({}, { dataType: 'float32', dims: [-1] }), /non-negative integers/);
  const t = Tensor.fromGpuBuffer({}, { dataType: 'float32', dims: [1] });
  await assert.rejects(t.getData(), /without a download function/);
});
