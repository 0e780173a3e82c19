/**
 * GPU-resident I/O (onnxruntime's IO binding): inputs given as GPU buffers (`Tensor.fromGpuBuffer`)
 * are bound without an upload, outputs asked for with `preferredOutputLocation: 'gpu-buffer'` stay
 * in GPU buffers (`getData()` reads them), and values passed between two webgpu segments that only
 * GPU segments read stay on the GPU. Expected values are hand-computed; the segments' copy counters
 * show the copies saved. Uses the fixture kernels (Relu, Add) so that placement is exact.
 */
/// <reference types="@webgpu/types" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportOnnx } from '../../exporters/onnx/export.js';
import { decodeTensorProto } from '../../importers/onnx/tensor-proto.js';
import { InferenceSession as PublicSession } from '../../index.js';
import { relativeError } from '../../testing/compare.js';
import { sharedTestdata, skipUnless } from '../../testing/paths.js';
import type { Graph } from '../../ir/graph.js';
import { InferenceSession, type SessionOptions } from '../../runtime/session.js';
import { Tensor } from '../../runtime/tensor.js';
import { GraphBuilder } from '../../zoo/builder.js';
import { createJsBackend } from '../js/index.js';
import { TEST_ADD, TEST_RELU } from './fixture-kernels.js';
import { createWebgpuBackend, type WebgpuBackend } from './index.js';
import { gpuTestSkipReason } from './testing.js';
import { chain, DIMS, W, X } from './fixture-graphs.js';

const relu = (v: number): number => Math.max(v, 0);
const f32 = (v: number): number => Math.fround(v);

const chainOut = (x: readonly number[]): number[] => x.map((v, i) => f32(f32(relu(f32(relu(v) + W[i]!))) + v));

/**
 * Two webgpu segments around a js Mul: A = {r1 = Relu(x), a1 = Add(r1, w), r2 = Relu(a1)};
 * m = Mul(a1, 2) on js; B = {s = Add(r2, m), r3 = Relu(s), out = Add(r3, w)}. r2 is read only by B.
 */
function split(): Graph {
  const b = new GraphBuilder('split', { '': 17 });
  const x = b.input('x', 'float32', DIMS);
  const w = b.float('w', DIMS, W);
  const two = b.float('two', [], [2]);
  const r1 = b.op('Relu', [x]);
  const a1 = b.op('Add', [r1, w], {}, { output: 'a1' });
  const r2 = b.op('Relu', [a1], {}, { output: 'r2' });
  const m = b.op('Mul', [a1, two], {}, { output: 'm' });
  const s = b.op('Add', [r2, m]);
  const r3 = b.op('Relu', [s]);
  b.op('Add', [r3, w], {}, { output: 'out' });
  b.output('out', 'float32', DIMS);
  return b.build();
}
const splitOut = (x: readonly number[]): number[] => x.map((v, i) => {
  const a1 = f32(relu(v) + W[i]!);
  return f32(relu(f32(relu(a1) + f32(a1 * 2))) + W[i]!);
});

async function open(g: Graph, options: SessionOptions = {}): Promise<{ s: InferenceSession; be: WebgpuBackend }> {
  let be: WebgpuBackend | undefined;
  const s = await InferenceSession.create(exportOnnx(g), { executionProviders: ['webgpu', 'js'], graphOptimizationLevel: 'disabled', ...options }, {
    webgpu: async (o) => (be = await createWebgpuBackend({ ...o, kernels: [TEST_RELU, TEST_ADD], tuningCache: false, minFlopsPerByte: 0 })),
    js: createJsBackend,
  });
  return { s, be: be! };
}

/** A GPU buffer on `device` holding `values` as float32 (STORAGE | COPY_SRC | COPY_DST). */
function gpuBuffer(device: GPUDevice, values: readonly number[]): GPUBuffer {
  const buf = device.createBuffer({ size: values.length * 4, usage: 0x80 | 0x04 | 0x08 });
  device.queue.writeBuffer(buf, 0, Float32Array.from(values));
  return buf;
}

test('a GPU-buffer input and a GPU-buffer output: right values after getData(), no upload or readback', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const { s, be } = await open(chain(), { preferredOutputLocation: { out: 'gpu-buffer' } });
  try {
    assert.equal(s.gpuDevice, be.device);
    assert.deepEqual(s.segments.map((x) => [x.backend, x.nodes.length, x.outputs, x.outputLocations]), [['webgpu', 4, ['r1', 'out'], ['cpu', 'gpu-buffer']]]);
    const buf = gpuBuffer(be.device, X);
    const x = Tensor.fromGpuBuffer(buf, { dataType: 'float32', dims: DIMS });
    const res = await s.run({ x });
    const out = res.out!;
    assert.equal(out.location, 'gpu-buffer');
    assert.deepEqual(out.dims, DIMS);
    assert.throws(() => out.data, /GPU buffer; use await tensor.getData/);
    assert.equal(res.r1!.location, 'cpu', 'r1 was not asked for on the GPU');
    assert.deepEqual(Array.from(res.r1!.data as Float32Array), X.map(relu));
    const stats = s.segments[0]!.stats()!;
    assert.deepEqual({ uploads: stats.uploads, uploadBytes: stats.uploadBytes, readbacks: stats.readbacks, readbackBytes: stats.readbackBytes },
      { uploads: 0, uploadBytes: 0, readbacks: 1, readbackBytes: 96 }, 'x bound in place; only r1 read back');
    assert.ok(be.memoryStats().activations.liveBytes > 0, 'the output buffer is held by the tensor');
    assert.deepEqual(Array.from(await out.getData() as Float32Array), chainOut(X));
    assert.equal(out.location, 'cpu');
    out.dispose();
    assert.equal(be.memoryStats().activations.liveBytes, 0, 'dispose() hands the buffer back to the pool');
    buf.destroy();
  } finally {
    await s.release();
  }
});

test('an output left on the GPU feeds the next run without copies; all outputs on the GPU reads nothing back', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const { s, be } = await open(chain(), { preferredOutputLocation: 'gpu-buffer' });
  try {
    const first = await s.run({ x: new Tensor('float32', Float32Array.from(X), DIMS) });
    assert.equal(first.out!.location, 'gpu-buffer');
    assert.equal(first.r1!.location, 'gpu-buffer');
    const second = await s.run({ x: first.out! });
    const stats = s.segments[0]!.stats()!;
    assert.equal(stats.runs, 2);
    assert.equal(stats.uploads, 1, 'only the CPU input of the first run was uploaded');
    assert.equal(stats.readbacks, 0);
    const want1 = chainOut(X);
    assert.deepEqual(Array.from(await second.out!.getData(true) as Float32Array), chainOut(want1));
    assert.deepEqual(Array.from(await second.r1!.getData(true) as Float32Array), want1.map(relu));
    assert.deepEqual(Array.from(await first.out!.getData(true) as Float32Array), want1);
    // Only `out` fetched: the unfetched GPU output goes back to the pool.
    const third = await s.run({ x: new Tensor('float32', Float32Array.from(X), DIMS) }, ['out']);
    assert.deepEqual(Object.keys(third), ['out']);
    assert.deepEqual(Array.from(await third.out!.getData(true) as Float32Array), want1);
    first.r1!.dispose();
    assert.equal(be.memoryStats().activations.liveBytes, 0, 'every GPU output was handed back');
  } finally {
    await s.release();
  }
});

test('a value passed between two webgpu segments stays on the GPU when only GPU segments read it', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const { s, be } = await open(split());
  try {
    assert.deepEqual(s.placements.map((p) => p.backend), ['webgpu', 'webgpu', 'webgpu', 'js', 'webgpu', 'webgpu', 'webgpu']);
    const [a, b] = s.segments;
    assert.deepEqual([a!.outputs, a!.outputLocations], [['a1', 'r2'], ['cpu', 'gpu-buffer']]);
    assert.deepEqual([b!.inputs, b!.outputLocations], [['r2', 'm'], ['cpu']]);
    const res = await s.run({ x: new Tensor('float32', Float32Array.from(X), DIMS) });
    assert.equal(res.out!.location, 'cpu');
    assert.deepEqual(Array.from(res.out!.data as Float32Array), splitOut(X));
    const sa = a!.stats()!;
    const sb = b!.stats()!;
    assert.deepEqual([sa.uploads, sa.readbacks], [1, 1], 'segment A uploads x, reads back a1 (for the js Mul) only');
    assert.deepEqual([sb.uploads, sb.readbacks], [1, 1], 'segment B uploads m only (r2 is bound), reads back out');
    assert.equal(be.memoryStats().activations.liveBytes, 0, 'r2 went back to the pool after B');
    // A GPU-buffer input read by both a webgpu segment and (after a download) the js backend.
    const x = Tensor.fromGpuBuffer(gpuBuffer(be.device, X), { dataType: 'float32', dims: DIMS });
    const again = await s.run({ x });
    assert.deepEqual(Array.from(again.out!.data as Float32Array), splitOut(X));
    assert.equal(a!.stats()!.uploads, 1, 'the GPU input was bound, not uploaded');
    (x.gpuBuffer as GPUBuffer).destroy();
  } finally {
    await s.release();
  }
});

test('a GPU-buffer input to a js-only session is downloaded first', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const be = await createWebgpuBackend({ kernels: [TEST_RELU, TEST_ADD], tuningCache: false, minFlopsPerByte: 0 });
  const s = await InferenceSession.create(exportOnnx(chain()), { executionProviders: ['js'], preferredOutputLocation: 'gpu-buffer' },
    { js: createJsBackend });
  try {
    const x = Tensor.fromGpuBuffer(gpuBuffer(be.device, X), {
      dataType: 'float32', dims: DIMS,
      download: async () => {
        const rd = be.device.createBuffer({ size: 96, usage: 0x01 | 0x08 });
        const enc = be.device.createCommandEncoder();
        enc.copyBufferToBuffer(x.gpuBuffer as GPUBuffer, 0, rd, 0, 96);
        be.device.queue.submit([enc.finish()]);
        await rd.mapAsync(1);
        const data = new Float32Array(rd.getMappedRange().slice(0));
        rd.destroy();
        return data;
      },
    });
    const res = await s.run({ x });
    assert.equal(res.out!.location, 'cpu', 'js outputs stay on the CPU whatever is preferred');
    assert.deepEqual(Array.from(res.out!.data as Float32Array), chainOut(X));
    assert.equal(x.location, 'gpu-buffer', 'the feed itself is left as it was');
  } finally {
    await s.release();
    be.dispose();
  }
});

test('preferredOutputLocation rejects unknown locations and output names', async () => {
  const bytes = exportOnnx(chain());
  await assert.rejects(InferenceSession.create(bytes, { executionProviders: ['js'], preferredOutputLocation: 'texture' as never }, { js: createJsBackend }),
    /preferredOutputLocation must be 'cpu' or 'gpu-buffer', got 'texture'/);
  await assert.rejects(InferenceSession.create(bytes, { executionProviders: ['js'], preferredOutputLocation: { nope: 'gpu-buffer' } }, { js: createJsBackend }),
    /preferredOutputLocation names 'nope', not an output; outputs are out, r1/);
});

const MNIST = join(sharedTestdata(), 'models', 'onnx', 'mnist-8_cntk');

test('mnist-8 through the public API: GPU input, GPU output, the reference output after getData(), no copies', { skip: skipUnless(MNIST) }, async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const s = await PublicSession.create(join(MNIST, 'mnist.onnx'), { executionProviders: ['webgpu', 'wasm', 'js'], preferredOutputLocation: 'gpu-buffer' });
  try {
    const x = decodeTensorProto(readFileSync(join(MNIST, 'test_data_set_0', 'input_0.pb')));
    const want = decodeTensorProto(readFileSync(join(MNIST, 'test_data_set_0', 'output_0.pb')));
    assert.deepEqual(s.segments.map((g) => g.backend), ['webgpu'], 'the whole model is one webgpu segment');
    const device = s.gpuDevice as GPUDevice;
    const input = Tensor.fromGpuBuffer(gpuBuffer(device, Array.from(x.data as Float32Array)), { dataType: 'float32', dims: x.dims });
    const out = (await s.run({ [s.inputNames[0]!]: input }))[s.outputNames[0]!]!;
    assert.equal(out.location, 'gpu-buffer');
    const got = await out.getData(true) as Float32Array;
    assert.deepEqual(out.dims, want.dims);
    const e = relativeError(got, want.data as Float32Array);
    assert.ok(e <= 1e-4, `relative error ${e} vs the model's reference output`);
    const st = s.segments[0]!.stats()!;
    assert.deepEqual([st.runs, st.uploads, st.uploadBytes, st.readbacks, st.readbackBytes], [1, 0, 0, 0, 0]);
    (input.gpuBuffer as GPUBuffer).destroy();
  } finally {
    await s.release();
  }
});
