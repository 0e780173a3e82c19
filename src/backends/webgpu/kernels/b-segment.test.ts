import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportOnnx } from '../../../exporters/onnx/export.js';
import type { Graph } from '../../../ir/graph.js';
import { relativeError } from '../../../testing/compare.js';
import { InferenceSession } from '../../../runtime/session.js';
import { GraphBuilder } from '../../../zoo/builder.js';
import type { BackendOptions } from '../../backend.js';
import { createJsBackend } from '../../js/index.js';
import { createWebgpuBackend, type WebgpuBackend } from '../index.js';
import { gpuTestSkipReason } from '../testing.js';
import { KERNELS_B } from './manifest-b.js';
import { randF32, rng } from './b-test-util.js';

/** A chain of group-B ops: Transpose, Add, Relu, ReduceMean, Sub, Concat, Slice, Reshape, Gather, Sigmoid, Mul, Erf. */
function model(): Graph {
  const r = rng(61);
  const b = new GraphBuilder('b-chain', { '': 17 });
  const x = b.input('x', 'float32', [2, 3, 4, 5]);
  const t = b.op('Transpose', [x], { perm: [0, 2, 3, 1] });
  const a = b.op('Add', [t, b.float('bias', [3], randF32(r, [3]).data as Float32Array)]);
  const rl = b.op('Relu', [a]);
  const m = b.op('ReduceMean', [rl], { axes: [1, 2], keepdims: 1 });
  const s = b.op('Sub', [rl, m]);
  const c = b.op('Concat', [s, t], { axis: -1 });
  const sl = b.op('Slice', [c, b.int64('st', [1]), b.int64('en', [4]), b.int64('ax', [1])]);
  const rs = b.op('Reshape', [sl, b.int64('shape', [2, -1, 6])]);
  const g = b.op('Gather', [rs, b.int64('idx', [0, 14, 3])], { axis: 1 });
  const sg = b.op('Sigmoid', [g]);
  const e = b.op('Erf', [b.op('Mul', [sg, b.scalar('k', 0.7)])]);
  b.op('Add', [e, sg], {}, { output: 'y' });
  b.output('y', 'float32', [2, 3, 6]);
  return b.build();
}

async function run(providers: string[], level: 'disabled' | 'all', keep: WebgpuBackend[]) {
  const factories = {
    webgpu: async (o: BackendOptions) => {
      const be = await createWebgpuBackend({ ...o, kernels: KERNELS_B, tuningCache: false, minFlopsPerByte: 0 });
      keep.push(be);
      return be;
    },
    js: createJsBackend,
  };
  const s = await InferenceSession.create(exportOnnx(model()), { executionProviders: providers, graphOptimizationLevel: level }, factories);
  const x = randF32(rng(62), [2, 3, 4, 5]);
  const res = await s.run({ x } as never);
  const y = Array.from((res['y'] as unknown as { data: Float32Array }).data);
  const placements = s.placements.map((p) => `${p.node}:${p.backend}`);
  await s.release();
  return { y, placements };
}

test('a chain of group-B ops runs as one webgpu segment and matches js (optimization disabled and all)', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const keep: WebgpuBackend[] = [];
  for (const level of ['disabled', 'all'] as const) {
    const want = await run(['js'], level, keep);
    const got = await run(['webgpu', 'js'], level, keep);
    assert.ok(got.placements.every((p) => p.endsWith(':webgpu')), `${level}: ${got.placements.join(' ')}`);
    const e = relativeError(got.y, want.y);
    assert.ok(e <= 1e-4, `${level}: relative error ${e}`);
  }
  for (const be of keep) be.dispose();
});
