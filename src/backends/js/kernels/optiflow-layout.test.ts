import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOptiflowError } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { NhwcConv } from '../../../ops/optiflow-layout.js';
import { decomposeOptiflow, inferLayout } from '../../../passes/layout-testing.js';
import { assertClose, f32, runOrt } from '../../../passes/rewrite-testing.js';
import { runKernel } from '../../../testing/run-kernel.js';
import { GraphBuilder } from '../../../zoo/builder.js';
import { LAYOUT_KERNELS, transposeLast2 } from './optiflow-layout.js';

/** One NhwcConv case: shapes in NHWC, Conv attributes, activation. */
interface Case {
  what: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  bias: boolean;
  residual: boolean;
  attrs: Record<string, number[] | number>;
  act?: { kind: string; params?: number[] };
}

const CASES: Case[] = [
  { what: '3x3 pad 1 + bias + residual + Relu', x: [2, 5, 6, 3], w: [4, 3, 3, 3], bias: true, residual: true, attrs: { pads: [1, 1, 1, 1] }, act: { kind: 'Relu' } },
  { what: '3x3 stride 2, no bias, no activation', x: [1, 7, 7, 2], w: [3, 2, 3, 3], bias: false, residual: false, attrs: { strides: [2, 2] } },
  { what: 'depthwise 3x3 + Clip(0, 6)', x: [1, 6, 5, 4], w: [4, 1, 3, 3], bias: true, residual: false, attrs: { group: 4, pads: [1, 1, 1, 1] }, act: { kind: 'Clip', params: [0, 6] } },
  { what: 'grouped, dilated, asymmetric pads + LeakyRelu', x: [1, 8, 7, 4], w: [6, 2, 2, 3], bias: true, residual: true, attrs: { group: 2, dilations: [2, 1], pads: [0, 1, 1, 0] }, act: { kind: 'LeakyRelu', params: [0.1] } },
  { what: '1x1 pointwise + residual + HardSwish', x: [2, 3, 4, 5], w: [6, 5, 1, 1], bias: true, residual: true, attrs: {}, act: { kind: 'HardSwish' } },
];

/** Output NHWC dims of a case (Conv output formula, per axis). */
function outDims(c: Case): [number, number, number, number] {
  const s = (c.attrs.strides as number[] | undefined) ?? [1, 1];
  const d = (c.attrs.dilations as number[] | undefined) ?? [1, 1];
  const p = (c.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
  const o = [0, 1].map((i) => Math.floor((c.x[1 + i]! + p[i]! + p[i + 2]! - d[i]! * (c.w[2 + i]! - 1) - 1) / s[i]!) + 1);
  return [c.x[0], o[0]!, o[1]!, c.w[0]];
}

/** Inputs of a case: x, w, b?, z? (seeded). */
function inputsOf(c: Case): { x: TensorData; w: TensorData; b?: TensorData; z?: TensorData } {
  return {
    x: f32(c.x, undefined, 11), w: f32(c.w, undefined, 12),
    b: c.bias ? f32([c.w[0]], undefined, 13) : undefined, z: c.residual ? f32(outDims(c), undefined, 14) : undefined,
  };
}

/**
 * The reference written by hand in standard ONNX (opset 17): Transpose X to NCHW, Conv, Add the
 * transposed Z, the activation, Transpose back to NHWC.
 */
function reference(c: Case): Graph {
  const t = inputsOf(c);
  const b = new GraphBuilder('ref', { '': 17 });
  const x = b.input('x', 'float32', [...c.x]);
  const z = t.z ? b.input('z', 'float32', [...t.z.dims]) : '';
  const w = b.initializer('w', t.w);
  const ins = [b.op('Transpose', [x], { perm: [0, 3, 1, 2] }), w, ...(t.b ? [b.initializer('b', t.b)] : [])];
  let y = b.op('Conv', ins, c.attrs);
  if (z) y = b.op('Add', [y, b.op('Transpose', [z], { perm: [0, 3, 1, 2] })]);
  if (c.act?.kind === 'Clip') y = b.op('Clip', [y, b.scalar('lo', c.act.params![0]!), b.scalar('hi', c.act.params![1]!)]);
  else if (c.act?.kind === 'LeakyRelu') y = b.op('LeakyRelu', [y], { alpha: c.act.params![0]! });
  else if (c.act) y = b.op(c.act.kind, [y]);
  b.op('Transpose', [y], { perm: [0, 2, 3, 1] }, { output: 'y' });
  const g = b.build();
  g.outputs = [{ name: 'y' }];
  inferLayout(g);
  return g;
}

function nhwcAttrs(c: Case): Record<string, number[] | number | string> {
  return { ...c.attrs, ...(c.act ? { activation: c.act.kind } : {}), ...(c.act?.params ? { activation_params: c.act.params } : {}) };
}

const feedsOf = (c: Case): Record<string, TensorData> => {
  const t = inputsOf(c);
  return t.z ? { x: t.x, z: t.z } : { x: t.x };
};

test('NhwcConv matches Transpose → Conv → Add → activation → Transpose on onnxruntime, with and without constant weights', async () => {
  for (const c of CASES) {
    const want = (await runOrt(reference(c), feedsOf(c))).y!;
    const t = inputsOf(c);
    const inputs = [t.x, t.w, t.b, t.z];
    while (inputs.length > 2 && inputs[inputs.length - 1] === undefined) inputs.pop();
    for (const constantInputs of [[], [1, 2]]) {
      const [y] = await runKernel(LAYOUT_KERNELS, 'NhwcConv', inputs, nhwcAttrs(c), { opset: 1, domain: 'optiflow', constantInputs });
      assert.deepEqual(y!.dims, outDims(c), c.what);
      assertClose(y!, want, 1e-5, 1e-5, `${c.what} (constants ${constantInputs.join(',') || 'none'})`);
    }
  }
});

test('the NhwcConv decomposition (standard ONNX) runs on onnxruntime and matches the reference', async () => {
  for (const c of CASES) {
    const want = (await runOrt(reference(c), feedsOf(c))).y!;
    const t = inputsOf(c);
    const b = new GraphBuilder('nhwc', { '': 17, optiflow: 1 });
    const x = b.input('x', 'float32', [...c.x]);
    const z = t.z ? b.input('z', 'float32', [...t.z.dims]) : '';
    const ins = [x, b.initializer('w', t.w), t.b ? b.initializer('b', t.b) : '', z];
    while (ins.length > 2 && ins[ins.length - 1] === '') ins.pop();
    b.op('NhwcConv', ins, nhwcAttrs(c), { domain: 'optiflow', output: 'y' });
    const g = b.build();
    g.outputs = [{ name: 'y' }];
    inferLayout(g);
    assert.deepEqual(g.valueInfo.get('y')?.shape, outDims(c), `${c.what}: inferred NHWC shape`);
    assert.equal(decomposeOptiflow(g), 1);
    assert.ok(g.nodes.every((n) => n.domain === ''), c.what);
    assertClose((await runOrt(g, feedsOf(c))).y!, want, 1e-5, 1e-5, c.what);
  }
});

test('NhwcConv rejects an X that is not 4-D and a residual of another shape', async () => {
  const w = f32([2, 3, 1, 1]);
  await assert.rejects(runKernel(LAYOUT_KERNELS, 'NhwcConv', [f32([1, 4, 3]), f32([2, 3, 1])], {}, { opset: 1, domain: 'optiflow' }),
    (e: unknown) => isOptiflowError(e) && e.code === 'shape_mismatch' && /4-D/.test(e.message));
  await assert.rejects(runKernel(LAYOUT_KERNELS, 'NhwcConv', [f32([1, 4, 4, 3]), w, undefined, f32([1, 4, 4, 3])], {}, { opset: 1, domain: 'optiflow' }),
    (e: unknown) => isOptiflowError(e) && e.code === 'shape_mismatch');
  // Channels of X must match W's input channels (C is X's last axis).
  await assert.rejects(runKernel(LAYOUT_KERNELS, 'NhwcConv', [f32([1, 3, 4, 4]), w], {}, { opset: 1, domain: 'optiflow' }),
    (e: unknown) => isOptiflowError(e) && e.code === 'shape_mismatch');
  assert.equal(NhwcConv.domain, 'optiflow');
});

test('transposeLast2 swaps the two inner axes of [n, a, b]', () => {
  const src = Float32Array.from({ length: 12 }, (_, i) => i); // [2, 2, 3]
  const dst = new Float32Array(12);
  transposeLast2(src, dst, 2, 2, 3);
  assert.deepEqual([...dst], [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]);
});
