/**
 * The `optiflow` fused ops as onednn segments against the js backend (relative error 1e-4):
 * FusedConv (residual + activation), FusedMatMul, FusedGemm, Gelu, LayerNormalization, Attention
 * and FusedElementwise. Skips, saying why, when the addon is unavailable.
 */
import { test } from 'node:test';
import { GraphBuilder, Rng } from '../../zoo/index.js';
import { loadOnednnAddon } from './native.js';
import { assertCaseMatchesJs, type SegmentCase } from './segment-testing.js';

const load = loadOnednnAddon();
const skip = 'unavailable' in load ? load.unavailable : false;
const O = { domain: 'optiflow' };

const w = (b: GraphBuilder, rng: Rng, dims: number[]): string =>
  b.float('w', dims, rng.uniforms(dims.reduce((p, d) => p * d, 1), -0.5, 0.5));

const CASES: SegmentCase[] = [
  { name: 'FusedConv residual + LeakyRelu', inputs: { x: [1, 4, 6, 6] },
    build: (b, r) => b.op('FusedConv', ['x', w(b, r, [4, 4, 3, 3]), w(b, r, [4]), 'x'],
      { pads: [1, 1, 1, 1], activation: 'LeakyRelu', activation_params: [0.1] }, O) },
  { name: 'FusedConv strided + HardSwish', inputs: { x: [2, 3, 9, 9] },
    build: (b, r) => b.op('FusedConv', ['x', w(b, r, [8, 3, 3, 3])], { strides: [2, 2], activation: 'HardSwish' }, O) },
  { name: 'FusedConv HardSigmoid, then a folded scalar Mul', inputs: { x: [1, 3, 5, 5] },
    build: (b, r) => b.op('Mul', [b.op('FusedConv', ['x', w(b, r, [4, 3, 3, 3])], { activation: 'HardSigmoid', activation_params: [0.3, 0.4] }, O), b.scalar('k', -2)]) },
  { name: 'FusedMatMul constant bias + Gelu', inputs: { x: [2, 5, 8] },
    build: (b, r) => b.op('FusedMatMul', ['x', w(b, r, [8, 6]), w(b, r, [6])], { activation: 'Gelu' }, O) },
  { name: 'FusedMatMul tensor bias + Gelu tanh', inputs: { x: [3, 8], y: [8, 4], z: [4] },
    build: (b) => b.op('FusedMatMul', ['x', 'y', 'z'], { activation: 'Gelu', activation_params: [1] }, O) },
  { name: 'FusedGemm tensor B transB alpha + constant C + Clip', inputs: { x: [4, 6], y: [5, 6] },
    build: (b, r) => b.op('FusedGemm', ['x', 'y', w(b, r, [5])], { transB: 1, alpha: 0.5, beta: 2, activation: 'Clip', activation_params: [-0.2, 0.3] }, O) },
  { name: 'Gelu (tanh) and LayerNormalization', inputs: { x: [2, 3, 16] },
    build: (b, r) => b.op('LayerNormalization', [b.op('Gelu', ['x'], { approximate: 'tanh' }, O), w(b, r, [16]), w(b, r, [16])], { epsilon: 1e-6 }, O) },
  { name: 'Attention with additive mask tensor', inputs: { q: [2, 3, 5, 8], k: [2, 3, 7, 8], v: [2, 3, 7, 4], m: [2, 1, 1, 7] },
    build: (b) => b.op('Attention', ['q', 'k', 'v', 'm'], {}, O) },
  { name: 'Attention with scale, single K/V head, constant bool mask', inputs: { q: [1, 4, 3, 8], k: [1, 1, 6, 8], v: [1, 1, 6, 8] },
    build: (b) => b.op('Attention', ['q', 'k', 'v',
      b.initializer('mask', { type: 'bool', dims: [3, 6], data: Uint8Array.from({ length: 18 }, (_, i) => (i % 6 <= i / 6 + 2 ? 1 : 0)) })], { scale: 0.3 }, O) },
  { name: 'FusedElementwise program', inputs: { x: [2, 3, 4], y: [3, 1] },
    build: (b) => b.op('FusedElementwise', ['x', 'y'], { program: 't0=Mul(x0,x1);t1=Add(t0,1);t2=Clip(t1,0,1.5);t3=Sub(2,t2);t4=Sigmoid(t3);y=Div(t4,x1)' }, O) },
];

for (const c of CASES) {
  test(`onednn ${c.name} matches js`, { skip }, async () => {
    await assertCaseMatchesJs(c, { '': 17, optiflow: 1 }, new Rng(11));
  });
}
