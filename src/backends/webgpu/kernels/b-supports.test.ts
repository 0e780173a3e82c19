import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DType } from '../../../ir/dtype.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import type { InputInfo } from '../../../ops/schema.js';
import { makeNode, toAttribute, type TestAttr } from '../../../testing/run-kernel.js';
import { JS_KERNELS } from '../../js/index.js';
import { gpuKernel, i64 } from './b-test-util.js';
import { KERNELS_B } from './manifest-b.js';

const LIMITS = { maxStorageBufferBindingSize: 4096, maxStorageBuffersPerShaderStage: 8 } as GPUSupportedLimits;

function info(dtype: DType, shape: Dim[] | undefined, value?: TensorData): InputInfo {
  return { dtype, shape, value };
}

/** The kernel's answer for a node of `opType` with `inputs` at `opset`. */
function ask(opType: string, inputs: InputInfo[], attrs: Record<string, TestAttr> = {}, opset = 18, domain = '', outputs = 1) {
  const def = gpuKernel(opType, opset, domain);
  const node: Node = makeNode(opType, inputs.map((_, i) => `x${i}`), Array.from({ length: outputs }, (_, i) => `y${i}`), {}, domain);
  for (const [k, v] of Object.entries(attrs)) node.attributes.set(k, toAttribute(v, def.schema.attrs[k]?.kind));
  const t = inputs[0]?.dtype;
  if (t && def.dtypes && !def.dtypes.includes(t)) return { ok: false as const, reason: `dtype ${t} not in the kernel's dtypes` };
  return def.supports!({ node, schema: def.schema, opset, inputs }, LIMITS);
}

function declined(s: ReturnType<typeof ask>, re: RegExp): void {
  assert.equal(s.ok, false);
  if (!s.ok) assert.match(s.reason, re);
}

test('every group-B kernel uses a schema the js backend registers, one kernel per schema', () => {
  const jsSchemas = new Set(JS_KERNELS.map((k) => k.schema));
  for (const k of KERNELS_B) assert.ok(jsSchemas.has(k.schema), `${k.schema.domain}::${k.schema.opType} ${k.schema.since}: not a js schema`);
  assert.equal(new Set(KERNELS_B.map((k) => k.schema)).size, KERNELS_B.length);
});

test('int64 and bool tensors at run time are declined: they stay on the CPU', () => {
  declined(ask('Relu', [info('int64', [4])]), /int64/);
  declined(ask('Gather', [info('float32', [4, 2]), info('int64', [3])], {}, 13), /int64 tensors stay on the CPU/);
  assert.deepEqual(ask('Gather', [info('float32', [4, 2]), info('int64', [3], i64([3], [0, 1, 2]))], {}, 13), { ok: true });
  declined(ask('Where', [info('bool', [4]), info('float32', [4]), info('float32', [4])], {}, 16), /constant/);
  declined(ask('Transpose', [info('bool', [4, 2])], {}, 13), /bool/);
  declined(ask('Dropout', [info('float32', [4])], {}, 13, '', 2), /bool/);
});

test('tensors above maxStorageBufferBindingSize are declined from static shapes', () => {
  declined(ask('Add', [info('float32', [2000]), info('float32', [1])], {}, 14), /maxStorageBufferBindingSize/);
  declined(ask('Expand', [info('float32', [1]), info('int64', [1], i64([1], [5000]))], {}, 13), /output.*maxStorageBufferBindingSize/);
  assert.deepEqual(ask('Add', [info('float32', [1000]), info('float32', ['N'])], {}, 14), { ok: true });
});

test('shape-like inputs must be constants; unsupported modes are declined with a reason', () => {
  declined(ask('Reshape', [info('float32', [4]), info('int64', [2])], {}, 14), /constant/);
  declined(ask('ReduceSum', [info('float32', [4]), info('int64', [1])], {}, 13), /constant/);
  declined(ask('Slice', [info('float32', [4]), info('int64', [1]), info('int64', [1], i64([1], [2]))], {}, 13), /constant/);
  declined(ask('Pad', [info('float32', [4]), info('int64', [2], i64([2], [1, 1]))], { mode: 'reflect' }, 13), /constant/);
  const sc = { type: 'float32' as const, dims: [4], data: Float32Array.of(1, 1, 2, 2) };
  declined(ask('Resize', [info('float32', [1, 1, 2, 2]), info('float32', [0]), info('float32', [4], sc)], { mode: 'cubic' }, 13), /cubic/);
  declined(ask('Resize', [info('float32', [2, 2, 2]), info('float32', [0]), info('float32', [3], sc)], {}, 13), /4-D/);
  declined(ask('Resize', [info('float32', [1, 1, 2, 2]), info('float32', [0]), info('float32', [4], sc)], { coordinate_transformation_mode: 'tf_crop_and_resize' }, 13), /tf_crop_and_resize/);
  assert.deepEqual(ask('Resize', [info('float32', [1, 1, 2, 2]), info('float32', [0], { type: 'float32', dims: [0], data: new Float32Array(0) }), info('float32', [4], sc)], {}, 13), { ok: true });
  const sc2 = { type: 'float32' as const, dims: [4], data: Float32Array.of(1, 2, 2, 2) };
  declined(ask('Resize', [info('float32', [1, 1, 2, 2]), info('float32', [0]), info('float32', [4], sc2)], {}, 13), /resize N or C/);
  declined(ask('Upsample', [info('float32', [1, 1, 2, 2])], { scales: [2, 1, 2, 2] }, 7), /resize N or C/);
  declined(ask('Cast', [info('float32', [4])], { to: 7 }, 13), /int64/);
  declined(ask('Sum', Array.from({ length: 9 }, () => info('float32', [4])), {}, 13), /maxStorageBuffersPerShaderStage/);
});

test('ranks above 8 are declined (the uniform arrays hold 8 dims)', () => {
  declined(ask('Relu', [info('float32', [1, 1, 1, 1, 1, 1, 1, 1, 2])]), /rank 9/);
  declined(ask('Unsqueeze', [info('float32', [1, 1, 1, 1, 1, 1, 1, 2]), info('int64', [1], i64([1], [0]))], {}, 13), /output has rank 9/);
});
