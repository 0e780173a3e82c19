/**
 * Per-op segments on the onednn backend against the js reference backend (relative error 1e-4).
 * Skips, saying why, when the addon is unavailable.
 */
import { test } from 'node:test';
import { GraphBuilder, Rng } from '../../zoo/index.js';
import { loadOnednnAddon } from './native.js';
import { assertCaseMatchesJs, type SegmentCase } from './segment-testing.js';

const load = loadOnednnAddon();
const skip = 'unavailable' in load ? load.unavailable : false;

/** One case: builds a graph over input `x` (and optionally `y`), with a seed for the data. */
interface Case extends SegmentCase {
  opset?: number;
}

const w = (b: GraphBuilder, rng: Rng, dims: number[], scale = 0.5): string =>
  b.float('w', dims, rng.uniforms(dims.reduce((p, d) => p * d, 1), -scale, scale));

const CASES: Case[] = [
  { name: 'Conv 3x3 pads + Relu', inputs: { x: [2, 3, 9, 8] },
    build: (b, r) => b.op('Relu', [b.op('Conv', ['x', w(b, r, [5, 3, 3, 3]), w(b, r, [5])], { pads: [1, 1, 1, 1] })]) },
  { name: 'Conv strided, dilated, SAME_UPPER', inputs: { x: [1, 4, 11, 10] },
    build: (b, r) => b.op('Conv', ['x', w(b, r, [6, 4, 3, 3])], { strides: [2, 2], dilations: [2, 1], auto_pad: 'SAME_UPPER' }) },
  { name: 'Conv grouped', inputs: { x: [1, 6, 7, 7] },
    build: (b, r) => b.op('Conv', ['x', w(b, r, [4, 3, 3, 3])], { group: 2, pads: [0, 1, 2, 1] }) },
  { name: 'Conv depthwise + Clip', inputs: { x: [1, 8, 10, 10] }, opset: 11,
    build: (b, r) => b.op('Clip', [b.op('Conv', ['x', w(b, r, [8, 1, 3, 3]), w(b, r, [8])], { group: 8, pads: [1, 1, 1, 1] }), b.scalar('lo', 0), b.scalar('hi', 0.6)]) },
  { name: 'Conv 1-D', inputs: { x: [2, 3, 17] },
    build: (b, r) => b.op('Conv', ['x', w(b, r, [4, 3, 5])], { pads: [2, 1], strides: [2] }) },
  { name: 'Conv + per-channel Mul and Add constants folded', inputs: { x: [1, 3, 6, 6] },
    build: (b, r) => b.op('Add', [b.op('Mul', [b.op('Conv', ['x', w(b, r, [4, 3, 1, 1])]), w(b, r, [4, 1, 1])]), w(b, r, [4, 1, 1])]) },
  { name: 'Conv residual Add (sum post-op) + Relu', inputs: { x: [1, 4, 5, 5] },
    build: (b, r) => b.op('Relu', [b.op('Add', [b.op('Conv', ['x', w(b, r, [4, 4, 3, 3])], { pads: [1, 1, 1, 1] }), 'x'])]) },
  { name: 'MatMul batched with constant B + bias Add + Tanh', inputs: { x: [2, 3, 5, 8] },
    build: (b, r) => b.op('Tanh', [b.op('Add', [b.op('MatMul', ['x', w(b, r, [8, 6])]), w(b, r, [6])])]) },
  { name: 'MatMul of two tensors with batch broadcast', inputs: { x: [2, 3, 4, 5], y: [1, 5, 6] },
    build: (b) => b.op('Sigmoid', [b.op('MatMul', ['x', 'y'])]) },
  { name: 'MatMul 1-D B', inputs: { x: [3, 4, 5] }, build: (b, r) => b.op('Relu', [b.op('MatMul', ['x', w(b, r, [5])])]) },
  { name: 'Gemm transB alpha beta', inputs: { x: [4, 6] },
    build: (b, r) => b.op('Gemm', ['x', w(b, r, [3, 6]), w(b, r, [3])], { transB: 1, alpha: 0.7, beta: 1.3 }) },
  { name: 'Gemm transA tensors', inputs: { x: [6, 4], y: [6, 3], z: [4, 3] },
    build: (b) => b.op('Gemm', ['x', 'y', 'z'], { transA: 1, alpha: 2, beta: 0.5 }) },
  { name: 'Gemm full-matrix constant C', inputs: { x: [4, 6] },
    build: (b, r) => b.op('Relu', [b.op('Gemm', ['x', w(b, r, [6, 3]), w(b, r, [4, 3])])]) },
  { name: 'MaxPool ceil_mode + AveragePool exclude pad', inputs: { x: [1, 3, 9, 9] },
    build: (b) => b.op('AveragePool', [b.op('MaxPool', ['x'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 })], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }) },
  { name: 'AveragePool count_include_pad', inputs: { x: [1, 2, 8, 8] },
    build: (b) => b.op('AveragePool', ['x'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], count_include_pad: 1 }) },
  { name: 'GlobalAveragePool + GlobalMaxPool', inputs: { x: [2, 5, 6, 7] },
    build: (b) => b.op('Add', [b.op('GlobalAveragePool', ['x']), b.op('GlobalMaxPool', ['x'])]) },
  { name: 'activations', opset: 14, inputs: { x: [3, 17] },
    build: (b) => {
      let t = b.op('LeakyRelu', ['x'], { alpha: 0.2 });
      t = b.op('Elu', [t], { alpha: 0.8 });
      t = b.op('HardSigmoid', [b.op('Add', [t, b.op('HardSwish', [t])])]);
      t = b.op('Exp', [b.op('Neg', [t])]);
      return b.op('Sqrt', [b.op('Abs', [b.op('Reciprocal', [t])])]);
    } },
  { name: 'binary broadcasting both sides', inputs: { x: [3, 1, 5], y: [4, 1] },
    build: (b) => b.op('Div', [b.op('Sub', ['x', 'y']), b.op('Add', [b.op('Max', ['x', 'y']), b.scalar('c', 3)])]) },
  { name: 'binary Min/Mul with constants', inputs: { x: [2, 3, 4] },
    build: (b, r) => b.op('Min', [b.op('Mul', [w(b, r, [3, 1]), 'x']), b.op('Sub', [b.scalar('one', 1), 'x'])]) },
  { name: 'Softmax opset 11 axis 1 (flattened)', opset: 11, inputs: { x: [2, 3, 4] }, build: (b) => b.op('Softmax', ['x'], { axis: 1 }) },
  { name: 'LogSoftmax opset 13 axis 1', inputs: { x: [2, 3, 4] }, build: (b) => b.op('LogSoftmax', ['x'], { axis: 1 }) },
  { name: 'ReduceSum opset 11 axes attribute, keepdims 0', opset: 11, inputs: { x: [3, 4, 5] },
    build: (b) => b.op('ReduceSum', ['x'], { axes: [0, 2], keepdims: 0 }) },
  { name: 'LayerNormalization', opset: 17, inputs: { x: [2, 3, 8] },
    build: (b, r) => b.op('LayerNormalization', ['x', w(b, r, [8]), w(b, r, [8])], { epsilon: 1e-5 }) },
  { name: 'BatchNormalization', inputs: { x: [2, 3, 4, 4] },
    build: (b, r) => b.op('BatchNormalization', ['x', w(b, r, [3]), w(b, r, [3]), w(b, r, [3]), b.float('var', [3], [0.5, 1, 2])]) },
  { name: 'Concat + Transpose + Reshape + Flatten', inputs: { x: [2, 3, 4], y: [2, 2, 4] },
    build: (b) => {
      const c = b.op('Concat', ['x', 'y'], { axis: 1 });
      const t = b.op('Transpose', [c], { perm: [2, 0, 1] });
      return b.op('Flatten', [b.op('Reshape', [t, b.int64('shape', [4, -1])])], { axis: 1 });
    } },
  { name: 'Squeeze/Unsqueeze + ReduceMean/ReduceSum/ReduceMax', inputs: { x: [2, 1, 6, 5] },
    build: (b) => {
      const s = b.op('Squeeze', ['x', b.int64('axes', [1])]);
      const m = b.op('ReduceMean', [s, b.int64('ax', [2])], { keepdims: 0 });
      const u = b.op('Unsqueeze', [m, b.int64('ax1', [0])]);
      const rs = b.op('ReduceSum', [s, b.int64('ax2', [1, 2])], { keepdims: 1 });
      return b.op('Add', [b.op('ReduceMax', [u, b.int64('ax4', [0])], { keepdims: 0 }), b.op('Squeeze', [rs, b.int64('ax3', [2])])]);
    }, opset: 18 },
];

for (const c of CASES) {
  test(`onednn ${c.name} matches js`, { skip }, async () => {
    await assertCaseMatchesJs(c, { '': c.opset ?? 13 }, new Rng(7));
  });
}
