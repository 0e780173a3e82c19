import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomF32, runOrt } from '../backends/js/kernels/optiflow-fused-testutil.js';
import { exportOnnx } from '../exporters/onnx/export.js';
import { InferenceSession } from '../index.js';
import type { Graph } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { GraphBuilder } from '../zoo/builder.js';
import { deadCodeElimination } from './dce.js';
import { QDQ_FUSION_RULES } from './fuse-qdq.js';
import { ruleSetPass, runPasses } from './pass-manager.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);
const infer = (g: Graph) => inferGraph(g, checkOps(g, REGISTRY));
const u8 = (v: number): TensorData => ({ type: 'uint8', dims: [], data: Uint8Array.of(v) });
const i8s = (dims: number[], seed: number): TensorData => {
  let s = seed;
  const n = dims.reduce((a, b) => a * b, 1);
  return { type: 'int8', dims, data: Int8Array.from({ length: n }, () => { s = (s * 1103515245 + 12345) % 2 ** 31; return (s % 255) - 127; }) };
};

interface Options { conv: boolean; act?: 'Relu' | ''; extraReader?: 'x' | 'y'; outType?: 'uint8' | 'int8'; bn?: boolean }

/** Float input → Q → DQ → Conv/MatMul(DQ(w_q) per channel, float bias) → [Relu] → Q → DQ → output. */
function qdqGraph(o: Options): { g: Graph; sy: number; feeds: Record<string, TensorData> } {
  const b = new GraphBuilder('qdq', { '': 17 });
  const xShape = o.conv ? [1, 3, 9, 11] : [5, 24];
  const x = b.input('x', 'float32', xShape);
  const sx = b.scalar('sx', 0.02); const zx = b.initializer('zx', u8(128));
  const xq = b.op('QuantizeLinear', [x, sx, zx]);
  const xf = b.op('DequantizeLinear', [xq, sx, zx]);
  const m = o.conv ? 8 : 10;
  const wq = b.initializer('wq', i8s(o.conv ? [m, 3, 3, 3] : [24, m], 5));
  const sw = b.float('sw', [m], Array.from({ length: m }, (_, i) => 0.002 + 0.0005 * i));
  const zw = b.initializer('zw', { type: 'int8', dims: [m], data: new Int8Array(m) });
  const wf = b.op('DequantizeLinear', [wq, sw, zw], { axis: o.conv ? 0 : 1 });
  const inputs = o.conv ? [xf, wf, b.initializer('bias', randomF32([m], 3, -0.3, 0.3))] : [xf, wf];
  let y = b.op(o.conv ? 'Conv' : 'MatMul', inputs, o.conv ? { pads: [1, 1, 1, 1], strides: [2, 1] } : {});
  if (o.bn) {
    // One negative gamma: that channel's int8 weights are negated by the fold.
    const gamma = b.float('gamma', [m], Array.from({ length: m }, (_, i) => (i === 2 ? -0.7 : 0.5 + 0.1 * i)));
    const beta = b.float('beta', [m], Array.from({ length: m }, (_, i) => 0.05 * i - 0.2));
    const mean = b.float('mean', [m], Array.from({ length: m }, (_, i) => 0.03 * i));
    const variance = b.float('var', [m], Array.from({ length: m }, (_, i) => 0.5 + 0.2 * i));
    y = b.op('BatchNormalization', [y, gamma, beta, mean, variance], { epsilon: 1e-3 });
  }
  const pre = y;
  if (o.act) y = b.op(o.act, [y]);
  const sy = 0.05;
  const outType = o.outType ?? 'uint8';
  const zy = b.initializer('zy', outType === 'uint8' ? u8(o.act ? 0 : 100) : { type: 'int8', dims: [], data: Int8Array.of(o.act ? -128 : 3) });
  const yq = b.op('QuantizeLinear', [y, b.scalar('sy', sy), zy]);
  const out = b.op('DequantizeLinear', [yq, 'sy', zy]);
  const g = b.build();
  g.outputs = [{ name: out }];
  if (o.extraReader) g.outputs.push({ name: o.extraReader === 'x' ? xf : pre });
  infer(g);
  for (const v of g.outputs) Object.assign(v, g.valueInfo.get(v.name));
  return { g, sy, feeds: { x: randomF32(xShape, 11, -2, 2) } };
}

const fuse = (g: Graph) => runPasses(g, [ruleSetPass('fuse-qdq', QDQ_FUSION_RULES), deadCodeElimination], { verify: true, context: { canReplace: () => true }, afterPass: infer });
const ops = (g: Graph) => g.nodes.map((n) => n.opType);

async function check(o: Options): Promise<void> {
  const { g: plain, sy, feeds } = qdqGraph(o);
  const { g } = qdqGraph(o);
  fuse(g);
  assert.deepEqual(ops(g), ['QuantizeLinear', o.conv ? 'QLinearConv' : 'QLinearMatMul', 'DequantizeLinear']);
  const name = g.outputs[0]!.name;
  const want = (await (await InferenceSession.create(exportOnnx(plain), { graphOptimizationLevel: 'disabled', executionProviders: ['js'] })).run(feeds))[name]!.data as Float32Array;
  const results: [string, Float32Array][] = [['ort', (await runOrt(g, feeds))[name]!]];
  for (const eps of [['js'], ['wasm', 'js']] as const) {
    const s = await InferenceSession.create(exportOnnx(g), { graphOptimizationLevel: 'disabled', executionProviders: [...eps] });
    if (eps[0] === 'wasm') assert.ok(s.placements.some((p) => p.opType.startsWith('QLinear') && p.backend === 'wasm'), JSON.stringify(s.placements));
    results.push([eps[0], (await s.run(feeds))[name]!.data as Float32Array]);
  }
  for (const [what, got] of results) {
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= sy * 1.001, `${what} element ${i}: ${got[i]} vs unfused ${want[i]}`);
  }
}

test('QDQ Conv (+Relu) becomes QLinearConv; equals the unfused graph within one step on js, wasm, onnxruntime', async () => {
  await check({ conv: true, act: 'Relu' });
  await check({ conv: true, act: '' });
});

test('QDQ Conv → BatchNormalization → Relu becomes QLinearConv with the BN folded', async () => {
  await check({ conv: true, act: 'Relu', bn: true });
});

test('QDQ MatMul becomes QLinearMatMul; equals the unfused graph within one step', async () => {
  await check({ conv: false, act: '', outType: 'uint8' });
  await check({ conv: false, act: 'Relu' });
});

test('fires when the input DequantizeLinear has another reader, keeping it for that reader', async () => {
  const o: Options = { conv: true, act: 'Relu', extraReader: 'x' };
  const { g: plain, feeds } = qdqGraph(o);
  const { g } = qdqGraph(o);
  fuse(g);
  assert.deepEqual(ops(g), ['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'DequantizeLinear']);
  const run = async (m: Graph) => (await InferenceSession.create(exportOnnx(m), { graphOptimizationLevel: 'disabled', executionProviders: ['js'] })).run(feeds);
  const [want, got] = [await run(plain), await run(g)];
  const xf = g.outputs[1]!.name;
  assert.deepEqual(got[xf]!.data, want[xf]!.data); // the kept DequantizeLinear, bit for bit
  const wo = want[g.outputs[0]!.name]!.data as Float32Array; const go = got[g.outputs[0]!.name]!.data as Float32Array;
  for (let i = 0; i < wo.length; i++) assert.ok(Math.abs(go[i]! - wo[i]!) <= 0.05 * 1.001, `element ${i}: ${go[i]} vs unfused ${wo[i]}`);
});

test('does not fire when the Conv output has another reader', () => {
  const { g } = qdqGraph({ conv: true, act: 'Relu', extraReader: 'y' });
  fuse(g);
  assert.ok(ops(g).includes('Conv') && !ops(g).includes('QLinearConv'));
});

test('does not fire when the output quantization dtype differs from the input', () => {
  const { g } = qdqGraph({ conv: true, outType: 'int8' });
  const before = g.initializers.size;
  fuse(g);
  assert.ok(!ops(g).includes('QLinearConv'));
  assert.equal(g.initializers.size, before);
});

test('does not fire when the capability oracle refuses', () => {
  const { g } = qdqGraph({ conv: false });
  runPasses(g, [ruleSetPass('fuse-qdq', QDQ_FUSION_RULES)], { verify: true, context: { canReplace: () => false }, afterPass: infer });
  assert.ok(ops(g).includes('MatMul'));
});
