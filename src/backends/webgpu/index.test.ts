import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportOnnx } from '../../exporters/onnx/export.js';
import type { Graph } from '../../ir/graph.js';
import { ALL_SCHEMAS } from '../../ops/index.js';
import { checkOps, inferGraph } from '../../ops/infer-graph.js';
import { OpRegistry } from '../../ops/registry.js';
import { InferenceSession } from '../../runtime/session.js';
import { GraphBuilder } from '../../zoo/builder.js';
import type { Backend, BackendOptions, SegmentSpec, SupportQuery } from '../backend.js';
import { createJsBackend } from '../js/index.js';
import { createWebgpuBackend, type WebgpuBackend } from './index.js';
import type { AnyGpuKernel } from './kernel.js';
import { BROKEN_RELU, REFUSING_RELU, TEST_ADD, TEST_RELU } from './fixture-kernels.js';
import { gpuTestSkipReason } from './testing.js';
import { chain, DIMS, W, X } from './fixture-graphs.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);


const relu = (v: number): number => Math.max(v, 0);
const WANT_R1 = X.map(relu);
const WANT_OUT = X.map((x, i) => relu(relu(x) + W[i]!) + x);

function specOf(g: Graph): SegmentSpec {
  const schemas = checkOps(g, REGISTRY);
  inferGraph(g, schemas);
  return { graph: g, nodes: g.nodes, schemas, opsets: g.opsets, inputs: ['x'], outputs: ['out', 'r1'] };
}

function input(): { type: 'float32'; dims: number[]; data: Float32Array } {
  return { type: 'float32', dims: DIMS, data: Float32Array.from(X) };
}

test('compileSegment runs a 4-node segment: one upload, one readback per output, 6 dispatches per run', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const be = await createWebgpuBackend({ kernels: [TEST_RELU, TEST_ADD], tuningCache: false, minFlopsPerByte: 0 });
  try {
    const seg = await be.compileSegment(specOf(chain()));
    const [out, r1] = await seg.run([input()]);
    assert.deepEqual([...out!.dims], DIMS);
    assert.deepEqual(Array.from(out!.data as Float32Array), WANT_OUT.map(Math.fround));
    assert.deepEqual(Array.from(r1!.data as Float32Array), WANT_R1);
    assert.deepEqual(seg.stats(), { runs: 1, uploads: 1, uploadBytes: 96, readbacks: 2, readbackBytes: 192, dispatches: 6, constantBytes: 256 });
    assert.throws(() => be.compile(chain().nodes[0]!, ALL_SCHEMAS[0]!, 17), /compiles segments only/);
    if (/swiftshader/.test(be.handle.adapterKey)) assert.equal(be.handle.isSoftware, true);
  } finally {
    be.dispose();
  }
});

test('GPU memory stays flat over 500 runs and release frees it all', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const be = await createWebgpuBackend({ kernels: [TEST_RELU, TEST_ADD], tuningCache: false, minFlopsPerByte: 0 });
  const seg = await be.compileSegment(specOf(chain()));
  await seg.run([input()]);
  const first = be.memoryStats();
  assert.ok(first.totalBytes > 0);
  assert.equal(first.activations.liveBytes, 0, 'every activation buffer is back in the pool between runs');
  let last;
  for (let i = 0; i < 500; i++) last = await seg.run([input()]);
  assert.deepEqual(Array.from(last![0]!.data as Float32Array), WANT_OUT.map(Math.fround));
  const after = be.memoryStats();
  assert.deepEqual(after, first, 'same buffers, same bytes after 500 more runs');
  // Lifetime reuse: x, r1, a1, r2, out and one scratch per Add (scratch lives to the run's end) are 7
  // tensors; the second scratch takes a1's buffer (a1 dies at r2), so 6 buffers, created once.
  assert.equal(after.activations.created, 6);
  const lost = be.device.lost;
  be.dispose();
  const z = be.memoryStats();
  assert.equal(z.totalBytes, 0);
  assert.equal(be.segments.length, 0);
  assert.equal((await lost).reason, 'destroyed');
});

function query(be: Backend, opType: string, dtype: 'float32' | 'int64' | 'float16', shape: number[]): ReturnType<Backend['supports']> {
  const found = REGISTRY.lookup('', opType, 17);
  if (!found.ok) throw new Error(found.reason);
  const schema = found.schema;
  const q: SupportQuery = {
    node: { name: 'n', opType, domain: '', inputs: ['a'], outputs: ['b'], attributes: new Map() },
    schema, opset: 17, inputs: [{ dtype, shape }],
  };
  return be.supports(q);
}

test('supports: dtype, device limits, missing kernels and refusing kernels, with reasons', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const be = await createWebgpuBackend({ kernels: [TEST_RELU], tuningCache: false, minFlopsPerByte: 0 });
  const be2 = await createWebgpuBackend({ kernels: [REFUSING_RELU], tuningCache: false, minFlopsPerByte: 0 });
  try {
    assert.deepEqual(query(be, 'Relu', 'float32', [2, 3]), { ok: true });
    assert.deepEqual(query(be, 'Relu', 'int64', [2, 3]), { ok: false, reason: 'int64 stays on the CPU' });
    const huge = Math.floor(be.device.limits.maxStorageBufferBindingSize / 4) + 1;
    const r = query(be, 'Relu', 'float32', [huge]);
    assert.ok(!r.ok && /exceeds the device's maxStorageBufferBindingSize/.test(r.reason), JSON.stringify(r));
    assert.deepEqual(query(be, 'Sigmoid', 'float32', [2]), { ok: false, reason: 'webgpu has no kernel for Sigmoid at opset 17' });
    assert.deepEqual(query(be2, 'Relu', 'float32', [2]), { ok: false, reason: 'fault injection: this kernel refuses every node' });
  } finally {
    be.dispose();
    be2.dispose();
  }
});

async function session(kernels: readonly AnyGpuKernel[], keep: WebgpuBackend[]): Promise<InferenceSession> {
  const factories = {
    webgpu: async (o: BackendOptions) => {
      const be = await createWebgpuBackend({ ...o, kernels, tuningCache: false, minFlopsPerByte: 0 });
      keep.push(be);
      return be;
    },
    js: createJsBackend,
  };
  return InferenceSession.create(exportOnnx(chain()), { executionProviders: ['webgpu', 'js'], graphOptimizationLevel: 'disabled' },
    factories);
}

async function check(s: InferenceSession): Promise<void> {
  const res = await s.run({ x: input() } as never);
  const out = res.out as unknown as { data: Float32Array };
  const r1 = res.r1 as unknown as { data: Float32Array };
  assert.deepEqual(Array.from(out.data), WANT_OUT.map(Math.fround));
  assert.deepEqual(Array.from(r1.data), WANT_R1);
}

test('InferenceSession places the chain on webgpu as one segment; release frees the device', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const keep: WebgpuBackend[] = [];
  const s = await session([TEST_RELU, TEST_ADD], keep);
  assert.deepEqual(s.placements.map((p) => p.backend), ['webgpu', 'webgpu', 'webgpu', 'webgpu']);
  assert.ok(s.placements.every((p) => /segment_0_webgpu \(4 nodes\)/.test(p.cause)), s.placements[0]!.cause);
  await check(s);
  await s.release();
  assert.equal(keep[0]!.memoryStats().totalBytes, 0);
});

test('fault injection: a refusing kernel and a shader that does not compile fall back to js, saying why', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const keep: WebgpuBackend[] = [];
  const refused = await session([REFUSING_RELU, TEST_ADD], keep);
  assert.deepEqual(refused.placements.map((p) => p.backend), ['js', 'js', 'js', 'js']);
  const reluCause = refused.placements.find((p) => p.opType === 'Relu')!.cause;
  assert.match(reluCause, /fault injection: this kernel refuses every node/);
  assert.match(refused.placements.find((p) => p.opType === 'Add')!.cause, /below the minimum segment size 3/);
  await check(refused);
  await refused.release();

  const broken = await session([BROKEN_RELU, TEST_ADD], keep);
  assert.deepEqual(broken.placements.map((p) => p.backend), ['js', 'js', 'js', 'js']);
  for (const p of broken.placements) {
    assert.match(p.cause, /failed to compile/);
    assert.match(p.cause, /shader 'test\/broken-relu' does not compile/);
  }
  await check(broken);
  await broken.release();
  for (const be of keep) assert.equal(be.memoryStats().totalBytes, 0);
});

test('symbolic batch: one compiled segment runs batch 1 and 3, and overlapping runs stay correct', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const b = new GraphBuilder('dyn', { '': 17 });
  const x = b.input('x', 'float32', ['N', 4]);
  const r = b.op('Relu', [x]);
  const a = b.op('Add', [r, x]);
  b.op('Relu', [a], {}, { output: 'y' });
  b.output('y', 'float32', ['N', 4]);
  const g = b.build();
  const schemas = checkOps(g, REGISTRY);
  inferGraph(g, schemas);
  const be = await createWebgpuBackend({ kernels: [TEST_RELU, TEST_ADD], tuningCache: false, minFlopsPerByte: 0 });
  try {
    const seg = await be.compileSegment({ graph: g, nodes: g.nodes, schemas, opsets: g.opsets, inputs: ['x'], outputs: ['y'] });
    const feed = (n: number, k: number) => ({ type: 'float32' as const, dims: [n, 4], data: Float32Array.from({ length: 4 * n }, (_, i) => i - k) });
    const want = (n: number, k: number) => Array.from({ length: 4 * n }, (_, i) => relu(relu(i - k) + (i - k)));
    const outs = await Promise.all([[1, 2], [3, 5], [1, 0], [3, 11]].map(async ([n, k]) => ({ n, k, y: (await seg.run([feed(n!, k!)]))[0]! })));
    for (const { n, k, y } of outs) {
      assert.deepEqual([...y.dims], [n, 4]);
      assert.deepEqual(Array.from(y.data as Float32Array), want(n!, k!));
    }
    assert.equal(be.memoryStats().activations.liveBytes, 0);
    await assert.rejects(seg.run([]), /segment takes 1 inputs, got 0/);
    seg.dispose();
    await assert.rejects(seg.run([feed(1, 0)]), /segment used after release/);
  } finally {
    be.dispose();
  }
});
