import assert from 'node:assert/strict';
import test from 'node:test';
import type { DType } from '../ir/dtype.js';
import { Graph, type Attribute, type Dim } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { OpRegistry } from '../ops/registry.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { ZOO } from '../zoo/index.js';
import { graphStats, tensorBytes } from './stats.js';

/** A one-node graph whose value shapes are declared by hand (no inference: the counts are ours to check). */
function single(opType: string, shapes: Record<string, Dim[]>, inputs: string[], outputs: string[],
  attrs: Record<string, Attribute> = {}, domain = ''): Graph {
  const g = new Graph();
  g.opsets.set('', 17);
  if (domain) g.opsets.set(domain, 1);
  for (const [name, shape] of Object.entries(shapes)) g.valueInfo.set(name, { name, dtype: 'float32', shape });
  g.nodes.push({ name: 'n0', opType, domain, inputs, outputs, attributes: new Map(Object.entries(attrs)) });
  return g;
}
const ints = (value: number[]): Attribute => ({ type: 'ints', value });
const int = (value: number): Attribute => ({ type: 'int', value });
const flops = (g: Graph, dims?: Record<string, number>) => graphStats(g, { dims }).flops;

test('Conv FLOPs: plain, grouped and depthwise (2 per multiply-add)', () => {
  // Y [1,4,8,8] = 256 outputs, each 3 channels x 3x3 taps = 27 MACs -> 2 * 256 * 27.
  assert.equal(flops(single('Conv', { x: [1, 3, 8, 8], w: [4, 3, 3, 3], y: [1, 4, 8, 8] }, ['x', 'w'], ['y'], { pads: ints([1, 1, 1, 1]) })), 13824);
  // Depthwise 3x3 on 8 channels, 8x8 output: 512 outputs x 9 MACs.
  assert.equal(flops(single('Conv', { x: [1, 8, 10, 10], w: [8, 1, 3, 3], y: [1, 8, 8, 8] }, ['x', 'w'], ['y'], { group: int(8) })), 9216);
  // 1x1, group 2, 4 -> 6 channels on 5x5: 150 outputs x 2 input channels each.
  assert.equal(flops(single('Conv', { x: [1, 4, 5, 5], w: [6, 2, 1, 1], y: [1, 6, 5, 5] }, ['x', 'w'], ['y'], { group: int(2) })), 600);
  // The bias input is not counted.
  assert.equal(flops(single('Conv', { x: [1, 3, 8, 8], w: [4, 3, 3, 3], b: [4], y: [1, 4, 6, 6] }, ['x', 'w', 'b'], ['y'])), 2 * 144 * 27);
});

test('ConvTranspose FLOPs: every input element scatters M/group x kernel products', () => {
  // X [1,2,3,3] = 18 elements, W [2,4,2,2]: 4 out channels x 4 taps = 16 MACs each -> 288 MACs.
  assert.equal(flops(single('ConvTranspose', { x: [1, 2, 3, 3], w: [2, 4, 2, 2], y: [1, 4, 6, 6] }, ['x', 'w'], ['y'], { strides: ints([2, 2]) })), 576);
});

test('Gemm and MatMul FLOPs', () => {
  // [3,5] x [5,7]: 21 outputs x 5 MACs.
  assert.equal(flops(single('Gemm', { a: [3, 5], b: [5, 7], c: [7], y: [3, 7] }, ['a', 'b', 'c'], ['y'])), 210);
  assert.equal(flops(single('Gemm', { a: [5, 3], b: [7, 5], y: [3, 7] }, ['a', 'b'], ['y'], { transA: int(1), transB: int(1) })), 210);
  // Batched [2,4,3,6] x [6,5]: 120 outputs x 6.
  assert.equal(flops(single('MatMul', { a: [2, 4, 3, 6], b: [6, 5], y: [2, 4, 3, 5] }, ['a', 'b'], ['y'])), 1440);
  // Vector x matrix [6] x [6,5]: 5 outputs x 6.
  assert.equal(flops(single('MatMul', { a: [6], b: [6, 5], y: [5] }, ['a', 'b'], ['y'])), 60);
});

test('fused optiflow ops count as their base op; their type is keyed by domain', () => {
  const fc = single('FusedConv', { x: [1, 3, 8, 8], w: [4, 3, 3, 3], b: [4], y: [1, 4, 8, 8] }, ['x', 'w', 'b'], ['y'],
    { pads: ints([1, 1, 1, 1]), activation: { type: 'string', value: 'Relu' } }, 'optiflow');
  const s = graphStats(fc);
  assert.equal(s.flops, 13824);
  assert.deepEqual(s.byOpType, { 'optiflow::FusedConv': 1 });
  assert.equal(flops(single('FusedGemm', { a: [3, 5], b: [5, 7], y: [3, 7] }, ['a', 'b'], ['y'], {}, 'optiflow')), 210);
  // transA: A [2,6,3] is read as [2,3,6]; K = 6, 30 outputs.
  assert.equal(flops(single('FusedMatMul', { a: [2, 6, 3], b: [6, 5], y: [2, 3, 5] }, ['a', 'b'], ['y'], { transA: int(1) }, 'optiflow')), 360);
});

test('Attention FLOPs: QK^T plus P.V, 4-D and 3-D forms agree', () => {
  // B=1, H=2, Sq=4, Skv=6, D=8: QK^T 1*2*4*6*8 = 384 MACs, P.V 384 MACs.
  const four = single('Attention', { q: [1, 2, 4, 8], k: [1, 2, 6, 8], v: [1, 2, 6, 8], y: [1, 2, 4, 8] }, ['q', 'k', 'v'], ['y']);
  assert.equal(flops(four), 1536);
  const three = single('Attention', { q: [1, 4, 16], k: [1, 6, 16], v: [1, 6, 16], y: [1, 4, 16] }, ['q', 'k', 'v'], ['y'], { q_num_heads: int(2), kv_num_heads: int(2) });
  assert.equal(flops(three), 1536);
  const fused = single('Attention', { q: [1, 2, 4, 8], k: [1, 2, 6, 8], v: [1, 2, 6, 8], y: [1, 2, 4, 8] }, ['q', 'k', 'v'], ['y'], {}, 'optiflow');
  assert.equal(flops(fused), 1536);
});

test('elementwise, pooling and data-movement ops', () => {
  assert.equal(flops(single('Relu', { x: [2, 3, 4], y: [2, 3, 4] }, ['x'], ['y'])), 24);
  assert.equal(flops(single('Add', { x: [2, 3, 4], b: [4], y: [2, 3, 4] }, ['x', 'b'], ['y'])), 24);
  assert.equal(flops(single('BatchNormalization', { x: [1, 2, 3, 3], s: [2], b: [2], m: [2], v: [2], y: [1, 2, 3, 3] }, ['x', 's', 'b', 'm', 'v'], ['y'])), 18);
  // 4 outputs x 3x3 window.
  assert.equal(flops(single('MaxPool', { x: [1, 1, 4, 4], y: [1, 1, 2, 2] }, ['x'], ['y'], { kernel_shape: ints([3, 3]) })), 36);
  assert.equal(flops(single('GlobalAveragePool', { x: [1, 3, 4, 4], y: [1, 3, 1, 1] }, ['x'], ['y'])), 48);
  assert.equal(flops(single('Reshape', { x: [2, 3], s: [1], y: [6] }, ['x', 's'], ['y'])), 0);
});

test('unknown shapes count 0 and are reported; symbolic dims can be bound', () => {
  const g = single('Relu', { x: ['N', 4], y: ['N', 4] }, ['x'], ['y']);
  assert.deepEqual([graphStats(g).flops, graphStats(g).unknownShapeNodes], [0, 1]);
  const bound = graphStats(g, { dims: { N: 3 } });
  assert.deepEqual([bound.flops, bound.unknownShapeNodes], [12, 0]);
  const noInfo = single('Conv', {}, ['x', 'w'], ['y']);
  assert.equal(graphStats(noInfo).unknownShapeNodes, 1);
  const lstm = single('LSTM', { x: [1, 1, 2], y: [1, 1, 1, 3] }, ['x', 'w', 'r'], ['y']);
  const s = graphStats(lstm);
  assert.deepEqual([s.flops, s.unknownShapeNodes, s.uncountedOpTypes], [0, 0, ['LSTM']]);
});

test('parameter bytes: packed sizes per dtype', () => {
  const t = (type: DType, dims: number[], data: TensorData['data']): TensorData => ({ type, dims, data });
  assert.equal(tensorBytes(t('float32', [4, 3, 3, 3], new Float32Array(108))), 432);
  assert.equal(tensorBytes(t('int64', [2], new BigInt64Array(2))), 16);
  assert.equal(tensorBytes(t('float16', [3], new Uint16Array(3))), 6);
  assert.equal(tensorBytes(t('int4', [5], new Int8Array(5))), 3);
  assert.equal(tensorBytes(t('string', [2], ['ab', 'ç'])), 4);
  const g = new Graph();
  g.initializers.set('w', t('float32', [4, 3, 3, 3], new Float32Array(108)));
  g.initializers.set('s', t('int64', [2], new BigInt64Array(2)));
  assert.equal(graphStats(g).parameterBytes, 448);
});

test('ResNet-50 at batch 1: parameter bytes and FLOPs match the published counts', () => {
  const g = ZOO['resnet50']!.build();
  inferGraph(g, checkOps(g, new OpRegistry(ALL_SCHEMAS)));
  const s = graphStats(g, { dims: { N: 1 } });
  // 25,557,032 parameters (He et al. / torchvision) plus BatchNormalization running mean and
  // variance: 2 x 26,560 channels; float32.
  assert.equal(s.parameterBytes, (25_557_032 + 2 * 26_560) * 4);
  // He et al. table 1: 3.8e9 multiply-adds; the elementwise ops (BN, ReLU, Add) add ~2%.
  assert.equal(s.unknownShapeNodes, 0);
  assert.ok(s.flops > 2 * 3.75e9 && s.flops < 2 * 3.95e9, `flops ${s.flops}`);
  assert.equal(s.byOpType['Conv'], 53);
  assert.equal(s.nodes, 175);
});
