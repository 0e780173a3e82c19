import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorData } from '../../../ir/tensor-data.js';
import { relativeError } from '../../../testing/compare.js';
import { floats, runKernel, type TestAttr } from '../../../testing/run-kernel.js';
import { JS_KERNELS } from '../../js/index.js';
import { acquireGpuDevice } from '../device.js';
import type { AnyGpuKernel } from '../kernel.js';
import { compileGpuSegment, createGpuContext, type GpuContext } from '../segment.js';
import { tuneProblems, TuningTable } from '../tuning.js';
import { gpuTestSkipReason, oneNodeSegment } from '../testing.js';
import { randTensor, rng } from './a-testutil.js';
import { gpuConv } from './conv.js';
import { gpuMatMul } from './matmul.js';
import { gpuLayerNormalization } from './norm.js';
import { gpuMaxPool } from './pool.js';
import { gpuSoftmax } from './softmax.js';

/** Runs `def` on a context of our own (precision, tuning cache) and compares with js. */
async function check(ctx: GpuContext, def: AnyGpuKernel, opset: number, attrs: Record<string, TestAttr>,
  inputs: TensorData[], constantInputs: number[], tol: number, label: string): Promise<void> {
  const { spec } = oneNodeSegment(def, { attrs, opset }, inputs, { constantInputs });
  const seg = await compileGpuSegment(ctx, spec, () => def);
  let got: TensorData[];
  try {
    got = await seg.run(spec.inputs.map((name) => inputs[Number(name.slice(2))]!));
  } finally {
    seg.dispose();
  }
  const [ref] = await runKernel(JS_KERNELS, def.schema.opType, inputs, attrs, { opset, domain: def.schema.domain });
  const e = relativeError(floats(got[0]), floats(ref));
  assert.ok(e <= tol, `${label}: relative error ${e}`);
}

const TILE = [16, 16, 4, 4, 16];

test('webgpu GEMM: a tuned tile from the per-adapter cache is used; the node offers its tuning problem', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const ctx = createGpuContext(await acquireGpuDevice(), { tuned: (key) => (key.startsWith('gemm:') ? TILE : undefined) });
  const r = rng(70);
  const inputs = [randTensor(r, [2, 70, 33]), randTensor(r, [33, 65])];
  await check(ctx, gpuMatMul, 13, {}, inputs, [1], 1e-4, 'MatMul tuned tile');
  assert.ok(ctx.pipelines.keys().some((k) => k.endsWith(`/${TILE.join('x')}`)), 'the tuned tile was compiled');
  assert.ok(!ctx.pipelines.keys().some((k) => k.endsWith('/8x8x4x4x16')), 'the default tile was not');
  const { spec } = oneNodeSegment(gpuMatMul, { opset: 13 }, inputs, { constantInputs: [1] });
  const seg = await compileGpuSegment(ctx, spec, () => gpuMatMul);
  try {
    const [p] = seg.tuningProblems();
    assert.equal(p!.key, 'gemm:MatMul:gemm:f32:2x70x33,33x65');
    assert.ok(p!.candidates.length >= 4);
    // Time only the (already compiled) tuned tile and an invalid one, which is skipped.
    const table = new TuningTable('test');
    await tuneProblems(ctx, [{ ...p!, candidates: [TILE, [300, 1, 1, 1, 1]] }], table, { repeats: 1, warmup: 0 });
    assert.deepEqual(table.entry(p!.key)?.choice, TILE);
    assert.equal(table.entry(p!.key)?.tried, 1);
  } finally {
    seg.dispose();
  }
});

test('webgpu group-A kernels in precision fp16 (float16 storage, float32 arithmetic) within 1e-2 of js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const handle = await acquireGpuDevice();
  if (!handle.hasF16) return t.skip(`adapter '${handle.description}' has no shader-f16`);
  const ctx = createGpuContext(handle, { precision: 'fp16' });
  const r = rng(71);
  await check(ctx, gpuMatMul, 13, {}, [randTensor(r, [3, 20, 17]), randTensor(r, [17, 9])], [1], 1e-2, 'MatMul fp16');
  await check(ctx, gpuConv, 11, { pads: [1, 1, 1, 1] }, [randTensor(r, [1, 3, 8, 8]), randTensor(r, [4, 3, 3, 3])], [1], 1e-2, 'Conv fp16');
  await check(ctx, gpuSoftmax, 13, {}, [randTensor(r, [4, 33], 3)], [], 1e-2, 'Softmax fp16');
  await check(ctx, gpuLayerNormalization, 17, {}, [randTensor(r, [4, 40]), randTensor(r, [40])], [1], 1e-2, 'LayerNormalization fp16');
  await check(ctx, gpuMaxPool, 12, { kernel_shape: [2, 2] }, [randTensor(r, [1, 2, 6, 6])], [], 1e-2, 'MaxPool fp16');
});
