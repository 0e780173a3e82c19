import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportOnnx } from '../../exporters/onnx/export.js';
import type { Graph } from '../../ir/graph.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../ops/index.js';
import { checkOps, inferGraph } from '../../ops/infer-graph.js';
import { OpRegistry } from '../../ops/registry.js';
import { InferenceSession } from '../../runtime/session.js';
import { relativeError } from '../../testing/compare.js';
import { GraphBuilder } from '../../zoo/builder.js';
import type { SegmentSpec } from '../backend.js';
import { createJsBackend } from '../js/index.js';
import { createWebgpuBackend, type WebgpuBackendOptions } from './index.js';
import { estimateSegmentCost, refuseReason } from './placement-cost.js';
import { gpuTestSkipReason } from './testing.js';

const pseudo = (i: number, k: number): number => (((i * k) % 17) - 8) / 8;

/** y = Relu(Relu(x) + w) + x on [2, 3, 4]: an elementwise island of 4 nodes. */
function island(): Graph {
  const b = new GraphBuilder('island', { '': 17 });
  const x = b.input('x', 'float32', [2, 3, 4]);
  const r1 = b.op('Relu', [x]);
  const a = b.op('Add', [r1, b.float('w', [2, 3, 4], Array.from({ length: 24 }, (_, i) => pseudo(i, 3)))]);
  const r2 = b.op('Relu', [a]);
  b.op('Add', [r2, x], {}, { output: 'y' });
  b.output('y', 'float32', [2, 3, 4]);
  return b.build();
}

/** y = Relu(Conv3x3(x, W, B) pads 1) + x, x [1, 16, 16, 16], batch symbolic when `sym`. */
function convNet(sym = false): Graph {
  const b = new GraphBuilder('convnet', { '': 17 });
  const x = b.input('x', 'float32', [sym ? 'N' : 1, 16, 16, 16]);
  const w = b.float('W', [16, 16, 3, 3], Array.from({ length: 16 * 16 * 9 }, (_, i) => pseudo(i, 7) / 16));
  const c = b.op('Conv', [x, w, b.float('B', [16], Array.from({ length: 16 }, (_, i) => pseudo(i, 5)))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const r = b.op('Relu', [c]);
  b.op('Add', [r, x], {}, { output: 'y' });
  b.output('y', 'float32', [sym ? 'N' : 1, 16, 16, 16]);
  return b.build();
}

function specOf(g: Graph, outputs: string[] = ['y']): SegmentSpec {
  const schemas = checkOps(g, new OpRegistry(ALL_SCHEMAS));
  inferGraph(g, schemas);
  return { graph: g, nodes: g.nodes, schemas, opsets: g.opsets, inputs: ['x'], outputs };
}

test('segment cost from static shapes (hand-computed)', () => {
  // 4 elementwise nodes × 24 elements; x up and y back: 2 × 96 B.
  const e = estimateSegmentCost(specOf(island()));
  assert.deepEqual(e, { nodes: 4, flops: 96, copyBytes: 192 });
  // Conv: 2 · |Y| (4096) · 16·3·3 = 1,179,648; Relu and Add 4096 each; copies 2 × 16384 B.
  const c = estimateSegmentCost(specOf(convNet()));
  assert.deepEqual(c, { nodes: 3, flops: 1179648 + 8192, copyBytes: 32768 });
  // Symbolic batch counts as 1; an output left on the GPU is not read back.
  assert.deepEqual(estimateSegmentCost(specOf(convNet(true))), c);
  assert.equal(estimateSegmentCost({ ...specOf(convNet()), outputLocations: ['gpu-buffer'] }).copyBytes, 16384);
  // MatMul [8,32]·[32,4]: 2 · 32 · 32 = 2048; Gemm transA [32,8]ᵀ·[32,4]: the same.
  const b = new GraphBuilder('mm', { '': 17 });
  const x = b.input('x', 'float32', [8, 32]);
  b.op('MatMul', [x, b.float('M', [32, 4], new Array(128).fill(0))], {}, { output: 'y' });
  const xt = b.op('Transpose', [x]);
  b.op('Gemm', [xt, b.float('G', [32, 4], new Array(128).fill(0))], { transA: 1 }, { output: 'z' });
  b.output('y', 'float32', [8, 4]);
  b.output('z', 'float32', [8, 4]);
  const mm = estimateSegmentCost(specOf(b.build(), ['y', 'z']));
  assert.equal(mm.flops, 2048 + 256 + 2048);
  assert.equal(mm.copyBytes, 1024 + 128 + 128);
});

test('refuseReason names the estimate and the threshold; 0 disables it', () => {
  assert.equal(refuseReason({ nodes: 4, flops: 96, copyBytes: 192 }, 10),
    'segment of 4 nodes: 96 FLOP for 192 B of copies (0.5 FLOP/byte) is below the 10 FLOP/byte threshold, left on the CPU');
  assert.equal(refuseReason({ nodes: 3, flops: 2e5, copyBytes: 1.6e6 }, 50),
    'segment of 3 nodes: 200 kFLOP for 1.6 MB of copies (0.125 FLOP/byte) is below the 50 FLOP/byte threshold, left on the CPU');
  assert.equal(refuseReason({ nodes: 4, flops: 96, copyBytes: 192 }, 0), undefined);
  assert.equal(refuseReason({ nodes: 3, flops: 1187840, copyBytes: 32768 }, 10), undefined, '36 FLOP/byte passes');
  assert.equal(refuseReason({ nodes: 3, flops: 1, copyBytes: 0 }, 10), undefined, 'nothing copied');
});

async function runBoth(g: Graph, x: TensorData, options: WebgpuBackendOptions) {
  const bytes = exportOnnx(g);
  const gpu = await InferenceSession.create(bytes, { executionProviders: ['webgpu', 'js'], graphOptimizationLevel: 'disabled' },
    { webgpu: (o) => createWebgpuBackend({ ...o, tuningCache: false, ...options }), js: createJsBackend });
  const js = await InferenceSession.create(bytes, { executionProviders: ['js'], graphOptimizationLevel: 'disabled' }, { js: createJsBackend });
  try {
    const got = (await gpu.run({ x } as never)).y as unknown as TensorData;
    const want = (await js.run({ x } as never)).y as unknown as TensorData;
    assert.ok(relativeError(got.data as Float32Array, want.data as Float32Array) <= 1e-4);
    return gpu.placements;
  } finally {
    await gpu.release();
    await js.release();
  }
}

const f32 = (dims: number[], k: number): TensorData => ({ type: 'float32', dims, data: Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => pseudo(i, k)) });

test('an elementwise island is refused with the estimate in session.placements; 0 keeps it on webgpu', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const refused = await runBoth(island(), f32([2, 3, 4], 11), {});
  assert.deepEqual(refused.map((p) => p.backend), ['js', 'js', 'js', 'js']);
  for (const p of refused) {
    assert.match(p.cause, /webgpu: its segment failed to compile \(segment of 4 nodes: 96 FLOP for 192 B of copies \(0\.5 FLOP\/byte\) is below the 10 FLOP\/byte threshold, left on the CPU\)/, p.cause);
  }
  const kept = await runBoth(island(), f32([2, 3, 4], 11), { minFlopsPerByte: 0 });
  assert.deepEqual(kept.map((p) => p.backend), ['webgpu', 'webgpu', 'webgpu', 'webgpu']);
});

test('a conv net (36 FLOP/byte) is accepted at the default threshold and matches js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const p = await runBoth(convNet(), f32([1, 16, 16, 16], 5), {});
  assert.deepEqual(p.map((q) => q.backend), ['webgpu', 'webgpu', 'webgpu'], JSON.stringify(p));
  // A higher threshold refuses the same net.
  const high = await runBoth(convNet(), f32([1, 16, 16, 16], 5), { minFlopsPerByte: 100 });
  assert.deepEqual(high.map((q) => q.backend), ['js', 'js', 'js']);
  assert.match(high[0]!.cause, /1\.19 MFLOP for 32\.8 kB of copies \(36\.3 FLOP\/byte\) is below the 100 FLOP\/byte threshold/);
});
