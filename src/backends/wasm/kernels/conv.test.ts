import assert from 'node:assert/strict';
import test from 'node:test';
import type { SubgraphRunner } from '../../backend.js';
import { createJsBackend } from '../../js/index.js';
import type { Node } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { Conv } from '../../../ops/nn-conv.js';
import type { AttrSpecs, OpSchema } from '../../../ops/schema.js';
import type { TestAttr } from '../../../testing/run-kernel.js';
import { wasmBackend } from '../index.js';
import { WASM_KERNELS } from '../manifest.js';
import { compareOp } from './gemm-harness.js';
import { randomF32, rng, testRuntime } from './shape-harness.js';

const r = rng(11);
const t = (...dims: number[]): TensorData => randomF32(r, dims, -1, 1);

/** [X dims, W dims, attributes]: odd sizes, strides, pads, dilations, groups, auto_pad, 1-D. */
const CASES: [number[], number[], Record<string, TestAttr>][] = [
  [[1, 3, 13, 17], [5, 3, 3, 3], { pads: [1, 1, 1, 1] }],
  [[2, 4, 20, 53], [6, 4, 3, 3], { strides: [2, 2], pads: [1, 0, 2, 1] }],
  [[1, 3, 19, 30], [4, 3, 3, 2], { dilations: [2, 3], pads: [2, 1, 0, 3] }],
  [[1, 4, 11, 14], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }],
  [[1, 7, 9, 30], [5, 7, 1, 1], {}],
  [[1, 6, 9, 13], [8, 6, 1, 1], { strides: [2, 2] }],
  [[1, 3, 16, 16], [4, 3, 3, 3], { strides: [2, 2], auto_pad: 'SAME_UPPER' }],
  [[1, 3, 15, 15], [4, 3, 4, 4], { auto_pad: 'SAME_LOWER' }],
  [[1, 2, 12, 40], [3, 2, 5, 5], { strides: [1, 3], pads: [2, 2, 2, 2] }],
  [[2, 3, 31], [4, 3, 4], { strides: [2], pads: [1, 2] }],
  // Few pixels, many channels: computed transposed (pixels as GEMM rows), 3×3 and pointwise.
  [[1, 8, 7, 7], [300, 8, 3, 3], { pads: [1, 1, 1, 1] }],
  [[2, 64, 5, 5], [100, 64, 1, 1], {}],
  [[1, 6, 9, 9], [64, 3, 3, 3], { group: 2, strides: [2, 2] }],
  [[1, 40, 6, 6], [20, 40, 3, 3], { pads: [1, 1, 1, 1] }],
  // K = C·KH·KW past one K block (1024): C accumulated across blocks, direct and transposed.
  [[1, 120, 9, 9], [8, 120, 3, 3], { pads: [1, 1, 1, 1] }],
  [[1, 130, 7, 7], [96, 130, 3, 3], { pads: [1, 1, 1, 1] }],
];

/** Depthwise cases (group = C = M): strides 1/2, pads, dilations, other kernels. */
const DEPTHWISE: [number[], number[], Record<string, TestAttr>][] = [
  [[1, 8, 29, 31], [8, 1, 3, 3], { group: 8, pads: [1, 1, 1, 1] }],
  [[2, 5, 30, 33], [5, 1, 3, 3], { group: 5, strides: [2, 2], pads: [1, 1, 1, 1] }],
  [[1, 3, 17, 40], [3, 1, 3, 3], { group: 3, strides: [2, 2], pads: [0, 0, 1, 1] }],
  [[1, 4, 14, 22], [4, 1, 5, 3], { group: 4, dilations: [2, 1], pads: [4, 1, 4, 1] }],
  [[1, 3, 9, 26], [3, 1, 3, 3], { group: 3, strides: [3, 3] }],
  [[1, 2, 6, 5], [2, 1, 3, 3], { group: 2, pads: [1, 1, 1, 1] }],
  [[1, 3, 20], [3, 1, 3], { group: 3, pads: [1, 1] }],
];

test('Conv matches js: strides, pads, dilations, groups, auto_pad, pointwise, 1-D, batch', async () => {
  for (const [x, w, attrs] of CASES) {
    const m = w[0]!;
    await compareOp({ op: 'Conv', inputs: [t(...x), t(...w), t(m)], attrs, constants: [1, 2] });
    await compareOp({ op: 'Conv', inputs: [t(...x), t(...w)], attrs });
  }
});

test('depthwise Conv matches js (direct kernel) and channel multiplier 2 (grouped GEMM)', async () => {
  for (const [x, w, attrs] of DEPTHWISE) {
    await compareOp({ op: 'Conv', inputs: [t(...x), t(...w), t(w[0]!)], attrs, constants: [1, 2] });
    await compareOp({ op: 'Conv', inputs: [t(...x), t(...w)], attrs });
  }
  await compareOp({ op: 'Conv', inputs: [t(1, 4, 10, 13), t(8, 1, 3, 3), t(8)], attrs: { group: 4, pads: [1, 1, 1, 1] }, constants: [1, 2] });
});

test('FusedConv: bias, residual and activations on the GEMM and depthwise paths', async () => {
  const acts: [string, number[]][] = [['Relu', []], ['Clip', [0, 6]], ['HardSwish', []], ['Sigmoid', []], ['LeakyRelu', [0.1]], ['', []]];
  for (const [activation, params] of acts) {
    const attrs = { activation, activation_params: params, pads: [1, 1, 1, 1] };
    await compareOp({ op: 'FusedConv', domain: 'optiflow', inputs: [t(1, 3, 10, 27), t(7, 3, 3, 3), t(7), t(1, 7, 10, 27)], attrs, constants: [1, 2] });
    await compareOp({ op: 'FusedConv', domain: 'optiflow', inputs: [t(1, 6, 10, 27), t(6, 1, 3, 3), t(6), t(1, 6, 10, 27)], attrs: { ...attrs, group: 6 }, constants: [1, 2] });
    await compareOp({ op: 'FusedConv', domain: 'optiflow', inputs: [t(1, 16, 7, 9), t(5, 16, 1, 1), t(5)], attrs: { activation, activation_params: params }, constants: [1, 2] });
    // Transposed GEMM path (49 pixels, 96 channels) with the residual.
    await compareOp({ op: 'FusedConv', domain: 'optiflow', inputs: [t(1, 16, 7, 7), t(96, 16, 3, 3), t(96), t(1, 96, 7, 7)], attrs, constants: [1, 2] });
  }
});

test('3-D Conv falls back to js', async () => {
  await compareOp({ op: 'Conv', inputs: [t(1, 2, 4, 4, 4), t(3, 2, 2, 2, 2)], expect: 'js' });
});

test('one Conv node run at changing spatial sizes switches between the direct and transposed GEMM', async () => {
  const rt = await testRuntime();
  const before = rt.heapBytes.used;
  const node: Node = {
    name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w', 'b'], outputs: ['y'],
    attributes: new Map([['pads', { type: 'ints', value: [1, 1, 1, 1] }]]),
  };
  const w = t(96, 8, 3, 3); const b = t(96);
  const wasm = wasmBackend(rt, WASM_KERNELS);
  const compiled = wasm.compile(node, Conv as unknown as OpSchema<AttrSpecs>, 17, [undefined, w, b]);
  const ref = createJsBackend().compile(node, Conv as unknown as OpSchema<AttrSpecs>, 17, [undefined, w, b]);
  const none: SubgraphRunner = async () => [];
  // 7×7 (49 pixels, 96 channels) runs transposed, 16×16 direct.
  for (const hw of [7, 16, 7, 16]) {
    const x = t(1, 8, hw, hw);
    const outs = [{ dtype: 'float32' as const, shape: [1, 96, hw, hw] }];
    const [got] = await compiled.run([x, w, b], outs, none) as TensorData[];
    const [want] = await ref.run([x, w, b], outs, none) as TensorData[];
    const g = got!.data as Float32Array; const e = want!.data as Float32Array;
    for (let i = 0; i < e.length; i++) assert.ok(Math.abs(g[i]! - e[i]!) <= 1e-4 * Math.max(1, Math.abs(e[i]!)), `${hw}x${hw}: element ${i}`);
    wasm.release!(got!);
  }
  await wasm.dispose!();
  assert.equal(rt.heapBytes.used, before, 'packed weights of both forms freed');
});
