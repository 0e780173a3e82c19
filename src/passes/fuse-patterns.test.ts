import assert from 'node:assert/strict';
import test from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import type { Graph } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { OpRegistry } from '../ops/registry.js';
import { GraphBuilder } from '../zoo/builder.js';
import { ZOO } from '../zoo/index.js';
import { assertClose, count, optiflowOutputs, ortOutputs, randomTensor } from './fuse-patterns-testing.js';
import { optimizeGraph } from './pipelines.js';

/**
 * Runs `g` at level `extended` on the js backend and in onnxruntime (unoptimized reference);
 * asserts equal outputs within `tol`. @returns the optimized graph's op types
 */
async function fusedOps(g: Graph, feeds: Record<string, TensorData>, tol = 1e-5): Promise<string[]> {
  const bytes = exportOnnx(g);
  const [ours, ref] = await Promise.all([optiflowOutputs(bytes, feeds), ortOutputs(bytes, feeds)]);
  for (const [name, want] of Object.entries(ref)) assertClose(ours.outputs[name]!, want, tol, name);
  return ours.ops;
}

// ------------------------------------------------------------------------------------------ GELU

type GeluBuild = (b: GraphBuilder, x: string) => string;
const c = (b: GraphBuilder, v: number) => b.scalar('c', v);

const GELU_VARIANTS: Record<string, GeluBuild> = {
  'erf, (x*0.5)*(erf+1)': (b, x) => b.op('Mul', [b.op('Mul', [x, c(b, 0.5)]), b.op('Add', [b.op('Erf', [b.op('Div', [x, c(b, Math.SQRT2)])]), c(b, 1)])]),
  'erf, ((1+erf(0.7071068*x))*x)*0.5': (b, x) => b.op('Mul', [b.op('Mul', [b.op('Add', [c(b, 1), b.op('Erf', [b.op('Mul', [c(b, 0.7071068), x])])]), x]), c(b, 0.5)]),
  'erf, x*((erf(x/1.4142135)+1)*0.5)': (b, x) => b.op('Mul', [x, b.op('Mul', [b.op('Add', [b.op('Erf', [b.op('Div', [x, c(b, 1.4142135)])]), c(b, 1)]), c(b, 0.5)])]),
  'erf, (erf+1)*(0.5*x)': (b, x) => b.op('Mul', [b.op('Add', [b.op('Erf', [b.op('Div', [x, c(b, Math.SQRT2)])]), c(b, 1)]), b.op('Mul', [c(b, 0.5), x])]),
  'tanh, Pow(x,3)': (b, x) => {
    const inner = b.op('Add', [x, b.op('Mul', [b.op('Pow', [x, c(b, 3)]), c(b, 0.044715)])]);
    return b.op('Mul', [b.op('Mul', [c(b, 0.5), x]), b.op('Add', [c(b, 1), b.op('Tanh', [b.op('Mul', [inner, c(b, 0.7978845608)])])])]);
  },
  'tanh, x*(x*x)': (b, x) => {
    const cube = b.op('Mul', [x, b.op('Mul', [x, x])]);
    const inner = b.op('Add', [b.op('Mul', [c(b, 0.044715), cube]), x]);
    return b.op('Mul', [x, b.op('Mul', [b.op('Add', [b.op('Tanh', [b.op('Mul', [c(b, 0.79788456), inner])]), c(b, 1)]), c(b, 0.5)])]);
  },
};

function geluGraph(opset: number, build: GeluBuild, extraOutputs: (b: GraphBuilder, x: string) => void = () => undefined): Graph {
  const b = new GraphBuilder('gelu', { '': opset });
  const x = b.input('x', 'float32', ['N', 64]);
  b.output(build(b, x), 'float32', ['N', 64]);
  extraOutputs(b, x);
  return b.build();
}

const geluFeeds = { x: randomTensor([3, 64], 21, -5, 5) };

test('GELU erf and tanh forms, every grouping and operand order, fuse into optiflow::Gelu (opset 17) and Gelu (opset 20)', async () => {
  for (const [what, build] of Object.entries(GELU_VARIANTS)) {
    assert.deepEqual(await fusedOps(geluGraph(17, build), geluFeeds, 2e-6), ['optiflow::Gelu'], what);
    assert.deepEqual(await fusedOps(geluGraph(20, build), geluFeeds, 2e-6), ['Gelu'], `${what} at opset 20`);
  }
});

test('GELU does not fuse when an intermediate has a second reader or is a graph output, or constants differ', async () => {
  const erfForm = (half: number, sqrt2: number, leak?: 'erf' | 'div'): GeluBuild => (b, x) => {
    const div = b.op('Div', [x, c(b, sqrt2)]);
    const erf = b.op('Erf', [div]);
    if (leak === 'erf') b.op('Identity', [erf], {}, { output: 'leak' });
    if (leak === 'div') b.op('Relu', [div], {}, { output: 'leak' });
    return b.op('Mul', [b.op('Mul', [x, c(b, half)]), b.op('Add', [erf, c(b, 1)])]);
  };
  const leakOut = (b: GraphBuilder) => b.output('leak', 'float32', ['N', 64]);
  const cases: [string, Graph][] = [
    ['Erf output is a graph output', geluGraph(17, erfForm(0.5, Math.SQRT2, 'erf'), leakOut)],
    ['Div output has a second reader', geluGraph(17, erfForm(0.5, Math.SQRT2, 'div'), leakOut)],
    ['0.6 instead of 0.5', geluGraph(17, erfForm(0.6, Math.SQRT2))],
    ['√2 off by 2e-4 (relative)', geluGraph(17, erfForm(0.5, Math.SQRT2 * (1 + 2e-4)))],
  ];
  for (const [what, g] of cases) {
    const ops = await fusedOps(g, geluFeeds);
    assert.equal(count(ops, 'optiflow::Gelu'), 0, what);
  }
  // Within the 1e-4 relative tolerance the constant is accepted.
  assert.deepEqual(await fusedOps(geluGraph(17, erfForm(0.5, Math.SQRT2 * (1 + 5e-5))), geluFeeds, 1e-4), ['optiflow::Gelu']);
});

test('a refused replacement leaves the graph unfused and imports no optiflow opset', () => {
  const g = geluGraph(17, GELU_VARIANTS['erf, (x*0.5)*(erf+1)']!);
  optimizeGraph(g, 'extended', { evaluate: () => undefined, registry: new OpRegistry(ALL_SCHEMAS), canReplace: () => false, verify: true });
  assert.deepEqual(g.nodes.map((n) => n.opType).sort(), ['Add', 'Div', 'Erf', 'Mul', 'Mul']);
  assert.ok(!g.opsets.has('optiflow'));
});

// ------------------------------------------------------------------------------------- LayerNorm

interface LnOptions { opset: number; square?: 'Pow' | 'Mul'; gamma?: number[]; beta?: boolean; swap?: boolean; axis?: number; leak?: boolean }

function layerNormGraph(o: LnOptions): Graph {
  const b = new GraphBuilder('ln', { '': o.opset });
  const x = b.input('x', 'float32', ['N', 5, 16]);
  const mean = (v: string) => (o.opset >= 18
    ? b.op('ReduceMean', [v, b.int64('axes', [o.axis ?? -1])])
    : b.op('ReduceMean', [v], { axes: [o.axis ?? -1], keepdims: 1 }));
  const d = b.op('Sub', [x, mean(x)]);
  if (o.leak) b.op('Relu', [d], {}, { output: 'leak' });
  const sq = o.square === 'Mul' ? b.op('Mul', [d, d]) : b.op('Pow', [d, c(b, 2)]);
  let y = b.op('Div', [d, b.op('Sqrt', [b.op('Add', [o.swap ? c(b, 1e-5) : mean(sq), o.swap ? mean(sq) : c(b, 1e-5)])])]);
  if (o.gamma) {
    const gm = b.float('gamma', o.gamma, Float32Array.from({ length: 16 }, (_, i) => 0.5 + i / 16));
    y = b.op('Mul', o.swap ? [gm, y] : [y, gm]);
  }
  if (o.beta) {
    const bt = b.float('beta', [16], Float32Array.from({ length: 16 }, (_, i) => i / 32 - 0.25));
    y = b.op('Add', o.swap ? [bt, y] : [y, bt]);
  }
  b.output(y, 'float32', ['N', 5, 16]);
  if (o.leak) b.output('leak', 'float32', ['N', 5, 16]);
  return b.build();
}

const lnFeeds = { x: randomTensor([2, 5, 16], 22, -3, 3) };

test('decomposed LayerNorm fuses into LayerNormalization (opset 17+) or optiflow::LayerNormalization (before)', async () => {
  const cases: [LnOptions, string][] = [
    [{ opset: 17, gamma: [16], beta: true }, 'LayerNormalization'],
    [{ opset: 13, gamma: [16], beta: true, square: 'Mul', swap: true }, 'optiflow::LayerNormalization'],
    [{ opset: 18, gamma: [1, 1, 16], beta: true, swap: true }, 'LayerNormalization'],
    [{ opset: 18, square: 'Mul', gamma: [16] }, 'LayerNormalization'],
    [{ opset: 17, beta: true }, 'LayerNormalization'],
    [{ opset: 17 }, 'LayerNormalization'],
    [{ opset: 11, axis: 2 }, 'optiflow::LayerNormalization'],
  ];
  for (const [o, op] of cases) assert.deepEqual(await fusedOps(layerNormGraph(o), lnFeeds), [op], JSON.stringify(o));
});

test('LayerNorm does not fuse when the centred value has another reader or the axis is not the last', async () => {
  for (const o of [{ opset: 17, gamma: [16], beta: true, leak: true }, { opset: 17, gamma: [16], beta: true, axis: 1 }]) {
    const ops = await fusedOps(layerNormGraph(o), lnFeeds);
    assert.ok(!ops.some((x) => x.endsWith('LayerNormalization')), JSON.stringify(o));
  }
});

// ------------------------------------------------------------------------------------- Attention

interface AttnOptions { opset: number; key: 'transpose' | 'pretransposed' | 'reshape'; scale: 'div' | 'mul' | 'none'; mask?: 'left' | 'right' | 'broadcast'; axis?: number; leak?: boolean }
const [B, H, S, D] = [2, 2, 6, 4];

function attentionGraph(o: AttnOptions): Graph {
  const b = new GraphBuilder('attn', { '': o.opset });
  const q = b.input('q', 'float32', ['B', H, S, D]);
  const v = b.input('v', 'float32', ['B', H, S, D]);
  let kt: string;
  if (o.key === 'transpose') kt = b.op('Transpose', [b.input('k', 'float32', ['B', H, S, D])], { perm: [0, 1, 3, 2] });
  else if (o.key === 'pretransposed') kt = b.input('kt', 'float32', ['B', H, D, S]);
  else kt = b.op('Transpose', [b.op('Reshape', [b.input('kf', 'float32', ['B', S, H * D]), b.int64('shape', [0, 0, H, D])])], { perm: [0, 2, 3, 1] });
  let s = b.op('MatMul', [q, kt]);
  if (o.scale === 'div') s = b.op('Div', [s, c(b, Math.sqrt(D))]);
  if (o.scale === 'mul') s = b.op('Mul', [c(b, 1 / Math.sqrt(D)), s]);
  if (o.mask) {
    const m = b.input('mask', 'float32', o.mask === 'broadcast' ? ['B', 1, 1, 1] : ['B', 1, 1, S]);
    s = b.op('Add', o.mask === 'left' ? [m, s] : [s, m]);
  }
  const p = b.op('Softmax', [s], { axis: o.axis ?? -1 });
  if (o.leak) b.op('Identity', [p], {}, { output: 'probs' });
  b.op('MatMul', [p, v], {}, { output: 'y' });
  b.output('y', 'float32', ['B', H, S, D]);
  if (o.leak) b.output('probs', 'float32', ['B', H, S, S]);
  return b.build();
}

function attentionFeeds(o: AttnOptions): Record<string, TensorData> {
  const f: Record<string, TensorData> = { q: randomTensor([B, H, S, D], 23), v: randomTensor([B, H, S, D], 24) };
  if (o.key === 'transpose') f['k'] = randomTensor([B, H, S, D], 25);
  else if (o.key === 'pretransposed') f['kt'] = randomTensor([B, H, D, S], 25);
  else f['kf'] = randomTensor([B, S, H * D], 25);
  if (o.mask) f['mask'] = randomTensor(o.mask === 'broadcast' ? [B, 1, 1, 1] : [B, 1, 1, S], 26, -10, 0);
  return f;
}

test('scaled-dot-product attention fuses into optiflow::Attention (opset 17) or Attention (opset 23)', async () => {
  const cases: [AttnOptions, string[]][] = [
    [{ opset: 17, key: 'transpose', scale: 'div', mask: 'right' }, ['optiflow::Attention']],
    [{ opset: 17, key: 'pretransposed', scale: 'mul', mask: 'left' }, ['Transpose', 'optiflow::Attention']],
    [{ opset: 17, key: 'reshape', scale: 'div', mask: 'right' }, ['Reshape', 'Transpose', 'optiflow::Attention']],
    [{ opset: 17, key: 'transpose', scale: 'none' }, ['optiflow::Attention']],
    [{ opset: 11, key: 'transpose', scale: 'div', mask: 'right', axis: 3 }, ['optiflow::Attention']],
    // A [B,1,1,S] mask broadcasts over queries: onnxruntime's Attention-23 refuses it, so the
    // fused node stays in the optiflow domain (exported as its decomposition).
    [{ opset: 23, key: 'transpose', scale: 'div', mask: 'right' }, ['optiflow::Attention']],
    [{ opset: 23, key: 'pretransposed', scale: 'mul' }, ['Transpose', 'Attention']],
  ];
  for (const [o, ops] of cases) assert.deepEqual(await fusedOps(attentionGraph(o), attentionFeeds(o)), ops, JSON.stringify(o));
});

test('attention does not fuse when probabilities are an output, softmax is not on the last axis, or the mask broadcasts the key axis', async () => {
  const cases: AttnOptions[] = [
    { opset: 17, key: 'transpose', scale: 'div', mask: 'right', leak: true },
    { opset: 17, key: 'transpose', scale: 'div', mask: 'right', axis: 2 },
    { opset: 17, key: 'transpose', scale: 'div', mask: 'broadcast' },
  ];
  for (const o of cases) {
    const ops = await fusedOps(attentionGraph(o), attentionFeeds(o));
    assert.ok(ops.includes('Softmax') && !ops.includes('optiflow::Attention'), JSON.stringify(o));
  }
});

test('BERT (zoo, opset 17): attention, GELU and mask arithmetic fuse, no Softmax is left; outputs equal the unfused run within 1e-4', async () => {
  const model = ZOO['bert']!;
  const bytes = exportOnnx(model.build());
  const feeds = model.inputs(1);
  const fused = await optiflowOutputs(bytes, feeds, 'extended');
  const plain = await optiflowOutputs(bytes, feeds, 'disabled');
  assert.equal(count(fused.ops, 'Softmax'), 0);
  assert.equal(count(fused.ops, 'optiflow::Attention'), 4);
  // GELU became optiflow::Gelu, which the activation fusions may absorb further (into FusedMatMul).
  assert.equal(count(fused.ops, 'Erf') + count(fused.ops, 'Div'), 0, fused.ops.join());
  assert.ok(count(fused.ops, 'optiflow::FusedElementwise') >= 1, fused.ops.join());
  assertClose(fused.outputs['last_hidden_state']!, plain.outputs['last_hidden_state']!, 1e-4, 'last_hidden_state');
});
