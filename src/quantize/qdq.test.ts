import assert from 'node:assert/strict';
import test from 'node:test';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../exporters/onnx/export.js';
import type { Graph } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { importOnnx } from '../importers/onnx/import.js';
import { InferenceSession, Tensor } from '../index.js';
import { GraphBuilder } from '../zoo/builder.js';
import { activationParams } from './qdq.js';
import { quantizeStatic } from './static.js';

/** x [1,2,4,4] → Conv(3×2×3×3, pads 1, bias) → Relu → GlobalAveragePool → Flatten → MatMul [3,4] → y. */
function smallModel(opset = 13, extra?: (b: GraphBuilder, y: string) => string): Uint8Array {
  const b = new GraphBuilder('small', { '': opset });
  const x = b.input('x', 'float32', [1, 2, 4, 4]);
  const w = b.float('w', [3, 2, 3, 3], Array.from({ length: 54 }, (_, i) => Math.sin(i + 1) * (1 + Math.floor(i / 18))));
  const bias = b.float('bias', [3], [0.1, -0.2, 0.3]);
  const c = b.op('Conv', [x, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  const r = b.op('Relu', [c], {}, { name: 'relu' });
  const p = b.op('GlobalAveragePool', [r], {}, { name: 'gap' });
  const f = b.op('Flatten', [p], {}, { name: 'flatten' });
  const w2 = b.float('w2', [3, 4], Array.from({ length: 12 }, (_, i) => Math.cos(i) * (i % 4 + 1)));
  let y = b.op('MatMul', [f, w2], {}, { name: 'matmul' });
  if (extra) y = extra(b, y);
  b.output(y, 'float32', [1, 4]);
  return exportOnnx(b.build());
}

/** Calibration examples: pixel-like values k/100 in [0, 2.55], each example containing 0 and 2.55. */
function examples(n: number): Record<string, TensorData>[] {
  return Array.from({ length: n }, (_, e) => {
    const d = Float32Array.from({ length: 32 }, (_, i) => ((i * 37 + e * 11) % 256) / 100);
    d[0] = 0; d[1] = 2.55;
    return { x: { type: 'float32', dims: [1, 2, 4, 4], data: d } };
  });
}

async function quantized(bytes: Uint8Array, o: Partial<Parameters<typeof quantizeStatic>[2]> = {}): Promise<{ g: Graph; report: Awaited<ReturnType<typeof quantizeStatic>> }> {
  const g = importOnnx(bytes);
  const report = await quantizeStatic(g, bytes, { mode: 'static', calibration: examples(4), ...o });
  return { g, report };
}

test('activation scale and zero point follow onnxruntime (range widened to include 0)', () => {
  const u = activationParams({ min: -1, max: 3 }, 'uint8');
  assert.equal(u.scale, Math.fround(4 / 255));
  assert.equal(u.zeroPoint, 64); // round(1 / (4/255)) = round(63.75)
  assert.deepEqual(activationParams({ min: -1, max: 3 }, 'int8'), { scale: Math.fround(3 / 127), zeroPoint: 0 });
  assert.deepEqual(activationParams({ min: 2, max: 2.55 }, 'uint8'), { scale: Math.fround(2.55 / 255), zeroPoint: 0 });
  assert.deepEqual(activationParams({ min: 0, max: 0 }, 'uint8'), { scale: 1, zeroPoint: 0 });
});

test('QDQ structure: Q/DQ on activations, per-channel int8 weights, float bias, Relu as Conv epilogue', async () => {
  const { g, report } = await quantized(smallModel());
  assert.deepEqual(report.quantized.map((e) => e.node), ['conv', 'gap', 'matmul']);
  assert.match(report.skipped.find((e) => e.node === 'relu')!.detail, /epilogue of Conv/);
  assert.match(report.skipped.find((e) => e.node === 'flatten')!.detail, /not quantizable/);
  const conv = g.nodes.find((n) => n.name === 'conv')!;
  const wdq = g.nodes.find((n) => n.outputs[0] === conv.inputs[1])!;
  assert.equal(wdq.opType, 'DequantizeLinear');
  assert.equal(wdq.attributes.get('axis')?.value, 0);
  const wq = g.initializers.get(wdq.inputs[0]!)!;
  assert.equal(wq.type, 'int8');
  const ws = g.initializers.get(wdq.inputs[1]!)!.data as Float32Array;
  for (let c = 0; c < 3; c++) {
    let m = 0;
    for (let i = 0; i < 18; i++) m = Math.max(m, Math.abs(Math.fround(Math.sin(c * 18 + i + 1) * (1 + c))));
    assert.equal(ws[c], Math.fround(m / 127));
  }
  assert.equal(conv.inputs[2], 'bias'); // bias stays float32
  const mdq = g.nodes.find((n) => n.outputs[0] === g.nodes.find((m) => m.name === 'matmul')!.inputs[1])!;
  assert.equal(mdq.attributes.has('axis'), false); // MatMul B [K, N]: the output axis, 1 = DequantizeLinear's default
  assert.equal(mdq.inputs.length, 2); // symmetric weights: zero point 0, the default, not written
  const xdq = g.nodes.find((n) => n.outputs[0] === conv.inputs[0])!;
  const xq = g.nodes.find((n) => n.outputs[0] === xdq.inputs[0])!;
  assert.equal(xq.opType, 'QuantizeLinear');
  assert.equal(xq.inputs[0], 'x');
  assert.equal((g.initializers.get(xq.inputs[1]!)!.data as Float32Array)[0], Math.fround(2.55 / 255));
  assert.equal(g.initializers.get(xq.inputs[2]!)!.type, 'uint8');
  assert.ok(!g.initializers.has('w') && !g.initializers.has('w2'), 'float weights removed');
});

test('the QDQ model runs in onnxruntime-node with outputs matching ours and close to float', async () => {
  const bytes = smallModel();
  for (const activationType of ['uint8', 'int8'] as const) {
    const { g } = await quantized(bytes, { activationType });
    const qb = exportOnnx(g);
    const x = examples(4)[2]!.x!; // a calibration example: no activation outside its calibrated range
    const so = await ort.InferenceSession.create(qb);
    const want = (await so.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) }))[so.outputNames[0]!]!.data as Float32Array;
    const sq = await InferenceSession.create(qb);
    const got = (await sq.run({ x: new Tensor('float32', x.data as Float32Array, x.dims) }))[sq.outputNames[0]!]!.data as Float32Array;
    const sf = await InferenceSession.create(bytes);
    const fl = (await sf.run({ x: new Tensor('float32', x.data as Float32Array, x.dims) }))[sf.outputNames[0]!]!.data as Float32Array;
    const max = Math.max(...Array.from(fl, Math.abs));
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * max, `${activationType} ours ${got[i]} vs onnxruntime ${want[i]}`);
      assert.ok(Math.abs(got[i]! - fl[i]!) <= 0.05 * max, `${activationType} quantized ${got[i]} vs float ${fl[i]}`);
    }
  }
});

test('exclude and opTypes are honoured and reported', async () => {
  const ex = await quantized(smallModel(), { exclude: ['conv'] });
  assert.deepEqual(ex.report.quantized.map((e) => e.node), ['relu', 'gap', 'matmul']); // relu: no longer an epilogue
  assert.equal(ex.report.skipped.find((e) => e.node === 'conv')!.detail, 'excluded (--exclude)');
  assert.ok(ex.g.initializers.has('w'), 'excluded Conv keeps float weights');
  const only = await quantized(smallModel(), { opTypes: ['MatMul'] });
  assert.deepEqual(only.report.quantized.map((e) => e.node), ['matmul']);
  assert.match(only.report.skipped.find((e) => e.node === 'conv')!.detail, /not selected/);
  await assert.rejects(quantized(smallModel(), { opTypes: ['Softmax'] }), /not quantizable in static mode/);
});

test('opset: raised to 13 when safe, per-tensor weights when not, nothing below opset 10', async () => {
  const raised = await quantized(smallModel(8));
  assert.equal(raised.g.opsets.get(''), 13);
  const softmax = (b: GraphBuilder, y: string): string => b.op('Softmax', [y], { axis: 1 });
  const at11 = await quantized(smallModel(11, softmax));
  assert.equal(at11.g.opsets.get(''), 11);
  const dq = at11.g.nodes.filter((n) => n.opType === 'DequantizeLinear' && at11.g.initializers.get(n.inputs[0]!)?.type === 'int8');
  assert.ok(dq.length >= 2 && dq.every((n) => !n.attributes.has('axis') && at11.g.initializers.get(n.inputs[1]!)!.dims.length === 0));
  assert.match(at11.report.quantized[0]!.detail, /per-tensor/);
  const qb = exportOnnx(at11.g);
  await ort.InferenceSession.create(qb); // loads in onnxruntime at opset 11
  const at8 = await quantized(smallModel(8, softmax));
  assert.equal(at8.report.quantized.length, 0);
  assert.match(at8.report.skipped[0]!.detail, /cannot be raised: Softmax/);
  assert.equal(at8.g.opsets.get(''), 8);
});

test('a model with no quantizable op: nothing quantized, no calibration needed, no throw', async () => {
  const b = new GraphBuilder('none', { '': 13 });
  const x = b.input('x', 'float32', [1, 4]);
  b.output(b.op('Softmax', [x], { axis: 1 }, { name: 'sm' }), 'float32', [1, 4]);
  const bytes = exportOnnx(b.build());
  const g = importOnnx(bytes);
  const report = await quantizeStatic(g, bytes, { mode: 'static' });
  assert.deepEqual(report.quantized, []);
  assert.deepEqual(report.skipped, [{ node: 'sm', opType: 'Softmax', detail: 'op type not quantizable' }]);
  await assert.rejects(quantizeStatic(importOnnx(smallModel()), smallModel(), { mode: 'static' }), /needs calibration data/);
});

/** x [1,2,4,4] → Conv a (3×3) → Relu → Conv c (1×1) → Add(c, x) → Relu → GlobalAveragePool → Flatten → y [1,2]. */
function residualModel(): Uint8Array {
  const b = new GraphBuilder('residual', { '': 13 });
  const x = b.input('x', 'float32', [1, 2, 4, 4]);
  const wa = b.float('wa', [2, 2, 3, 3], Array.from({ length: 36 }, (_, i) => Math.sin(i + 2) * 0.5));
  const a = b.op('Conv', [x, wa, b.float('ba', [2], [0.05, -0.1])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv_a' });
  const ra = b.op('Relu', [a], {}, { name: 'relu_a' });
  const wc = b.float('wc', [2, 2, 1, 1], [0.7, -0.4, 0.3, 0.9]);
  const c = b.op('Conv', [ra, wc, b.float('bc', [2], [-0.2, 0.1])], { kernel_shape: [1, 1] }, { name: 'conv_c' });
  const s = b.op('Add', [c, x], {}, { name: 'add' });
  const r = b.op('Relu', [s], {}, { name: 'relu_out' });
  const f = b.op('Flatten', [b.op('GlobalAveragePool', [r], {}, { name: 'gap' })], {}, { name: 'flatten' });
  b.output(f, 'float32', [1, 2]);
  return exportOnnx(b.build());
}

test('residual Add: the Conv before it gets an output QuantizeLinear, the Relu after it stays in its epilogue', async () => {
  const bytes = residualModel();
  const { g, report } = await quantized(bytes);
  assert.deepEqual(report.quantized.map((e) => e.node), ['conv_a', 'conv_c', 'add', 'gap']);
  assert.match(report.skipped.find((e) => e.node === 'relu_out')!.detail, /epilogue of Add/);
  const readers = (t: string) => g.nodes.filter((n) => n.inputs.includes(t)).map((n) => n.opType);
  const convC = g.nodes.find((n) => n.name === 'conv_c')!;
  assert.deepEqual(readers(convC.outputs[0]!), ['QuantizeLinear']); // QDQ → QLinearConv can fire
  const add = g.nodes.find((n) => n.name === 'add')!;
  assert.deepEqual(readers(add.outputs[0]!), ['Relu']); // no requantization between Add and Relu
  const qb = exportOnnx(g);
  const x = examples(4)[1]!.x!;
  const so = await ort.InferenceSession.create(qb);
  const want = (await so.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) }))[so.outputNames[0]!]!.data as Float32Array;
  const sq = await InferenceSession.create(qb);
  assert.equal(sq.placements.filter((p) => p.opType === 'QLinearConv').length, 2, JSON.stringify(sq.placements));
  const got = (await sq.run({ x: new Tensor('float32', x.data as Float32Array, x.dims) }))[sq.outputNames[0]!]!.data as Float32Array;
  const max = Math.max(...Array.from(want, Math.abs));
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * max + 1e-6, `ours ${got[i]} vs onnxruntime ${want[i]}`);
});
