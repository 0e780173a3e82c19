import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '../../../ir/graph.js';
import type { InputInfo } from '../../../ops/schema.js';
import { makeNode, type TestAttr } from '../../../testing/run-kernel.js';
import type { AnyGpuKernel } from '../kernel.js';
import { gpuAttention } from './attention.js';
import { gpuConv } from './conv.js';
import { KERNELS_A } from './manifest-a.js';
import { gpuMatMul } from './matmul.js';
import { GEMM_TILE_CANDIDATES, mergeBatch, validTile } from './matmul-template.js';
import { gpuBatchNormalization, gpuLayerNormalization } from './norm.js';
import { gpuMaxPool } from './pool.js';

const LIMITS = { maxStorageBufferBindingSize: 1 << 20 } as GPUSupportedLimits;

function ask(def: AnyGpuKernel, node: Node, inputs: (InputInfo | undefined)[], opset = 17) {
  return def.supports!({ node, schema: def.schema, opset, inputs }, LIMITS);
}

const f = (...shape: number[]): InputInfo => ({ dtype: 'float32', shape });
const node = (op: string, ins: number, outs: string[], attrs: Record<string, TestAttr> = {}, domain = ''): Node =>
  makeNode(op, Array.from({ length: ins }, (_, i) => `i${i}`), outs, attrs, domain);

test('group-A manifest: one kernel per schema, all with a supports check', () => {
  const keys = KERNELS_A.map((k) => `${k.schema.domain}::${k.schema.opType}@${k.schema.since}`);
  assert.equal(new Set(keys).size, keys.length);
  assert.ok(KERNELS_A.every((k) => typeof k.supports === 'function'));
});

test('group-A supports: declines what the kernels do not do, with reasons', () => {
  const no = (s: ReturnType<typeof ask>, why: RegExp) => { assert.equal(s.ok, false); assert.match((s as { reason: string }).reason, why); };
  no(ask(gpuMatMul, node('MatMul', 2, ['y']), [f(1024, 1024), f(1024, 2)]), /maxStorageBufferBindingSize/);
  no(ask(gpuMatMul, node('MatMul', 2, ['y']), [f(8192, 2), f(2, 64)]), /output 0 .*maxStorageBufferBindingSize/);
  assert.deepEqual(ask(gpuMatMul, node('MatMul', 2, ['y']), [f(64, 64), f(64, 64)]), { ok: true });
  no(ask(gpuMatMul, node('MatMul', 2, ['y']), [f(70000, 1, 2), f(2, 1)]), /batch of 70000/);
  no(ask(gpuConv, node('Conv', 2, ['y']), [f(1, 2, 4, 4, 4), f(3, 2, 1, 1, 1)]), /1-D and 2-D/);
  no(ask(gpuMaxPool, node('MaxPool', 1, ['y', 'idx'], { kernel_shape: [2, 2] }), [f(1, 1, 4, 4)]), /Indices/);
  assert.deepEqual(ask(gpuMaxPool, node('MaxPool', 1, ['y'], { kernel_shape: [2, 2] }), [f(1, 1, 4, 4)]), { ok: true });
  no(ask(gpuBatchNormalization, node('BatchNormalization', 5, ['y'], { training_mode: 1 }), [f(2, 3, 4), f(3), f(3), f(3), f(3)]), /training/);
  no(ask(gpuLayerNormalization, node('LayerNormalization', 2, ['y'], { stash_type: 10 }), [f(2, 8), f(8)]), /stash_type/);
  no(ask(gpuLayerNormalization, node('LayerNormalization', 2, ['y']), [f(2, 8), f(2, 1)]), /trailing dims/);
  no(ask(gpuAttention, node('Attention', 3, ['y'], {}, 'optiflow'), [f(1, 1, 2, 4), f(1, 1, 2000, 4), f(1, 1, 2000, 4)], 1), /key sequence/);
  no(ask(gpuAttention, node('Attention', 4, ['y'], {}, 'optiflow'), [f(1, 1, 2, 4), f(1, 1, 3, 4), f(1, 1, 3, 4), { dtype: 'bool', shape: [2, 3] }], 1), /bool/);
});

test('GEMM batch merging: size-1 dims dropped, contiguous broadcast dims merged, others kept', () => {
  assert.deepEqual(mergeBatch([2, 1, 3, 4], [[12, 0, 4, 1], [0, 0, 0, 0]]), { dims: [24], strides: [[1], [0]] });
  assert.deepEqual(mergeBatch([2, 3], [[3, 1], [0, 1]]), { dims: [2, 3], strides: [[3, 1], [0, 1]] });
  assert.deepEqual(mergeBatch([], []), { dims: [], strides: [] });
});

test('GEMM tiles: the default and every tuning candidate are valid; oversized tiles are not', () => {
  for (const t of GEMM_TILE_CANDIDATES) assert.ok(validTile(t), `[${t.join(',')}]`);
  assert.equal(validTile([32, 16, 4, 4, 16]), false, '512 threads');
  assert.equal(validTile([16, 16, 8, 8, 32]), false, '32 KiB of workgroup memory');
  assert.equal(validTile([8, 8, 4, 4]), false, 'four numbers');
});
