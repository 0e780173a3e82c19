import assert from 'node:assert/strict';
import test from 'node:test';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../exporters/onnx/export.js';
import { importOnnx } from '../importers/onnx/import.js';
import { GraphBuilder } from '../zoo/builder.js';
import { compactQuantized, dropDefaultAttributes } from './compact.js';
import { quantize } from './index.js';
import { ConstantPool, generatedNames, Namer, shortenInitializerNames } from './names.js';

/** x [1,2,5,5] → Conv(w, b; default-valued strides/dilations/group) → Relu → MaxPool(pads 0, NOTSET) → y. */
function convPool(): Uint8Array {
  const b = new GraphBuilder('cp', { '': 13 });
  const x = b.input('x', 'float32', [1, 2, 5, 5]);
  const w = b.float('conv_weight_long_name', [3, 2, 3, 3], Array.from({ length: 54 }, (_, i) => Math.sin(i + 1)));
  const bias = b.float('conv_bias_long_name', [3], [0.1, -0.2, 0.3]);
  const c = b.op('Conv', [x, w, bias], { kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], group: 1, pads: [1, 1, 1, 1] }, { name: 'conv' });
  const r = b.op('Relu', [c], {}, { name: 'relu' });
  b.node('MaxPool', [r], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], auto_pad: { type: 'string', value: 'NOTSET' } }, { name: 'pool', outputs: ['y'] });
  b.output('y', 'float32', [1, 3, 2, 2]);
  return exportOnnx(b.build());
}

test('Namer.short: role letter + base-36 counter, skipping names in use', () => {
  const g = importOnnx(convPool());
  g.initializers.set('s1', { type: 'float32', dims: [], data: Float32Array.of(1) });
  const n = new Namer(g);
  assert.deepEqual([n.short('s'), n.short('s'), n.short('q')], ['s0', 's2', 'q0']);
  for (let i = 0; i < 9; i++) n.short('s');
  assert.equal(n.short('s'), 'sc'); // s3..sb taken above: base 36
  assert.ok(generatedNames(g).has('s0') && !generatedNames(g).has('s1'));
  assert.match(n.fresh('conv'), /^conv_\d+$/);
});

test('ConstantPool stores equal constants once (dtype, dims and bytes all count)', () => {
  const g = importOnnx(convPool());
  const pool = new ConstantPool(g, new Namer(g));
  const a = pool.add({ type: 'uint8', dims: [], data: Uint8Array.of(0) }, 'z');
  assert.equal(pool.add({ type: 'uint8', dims: [], data: Uint8Array.of(0) }, 'z'), a);
  assert.notEqual(pool.add({ type: 'int8', dims: [], data: Int8Array.of(0) }, 'z'), a);
  assert.notEqual(pool.add({ type: 'uint8', dims: [1], data: Uint8Array.of(0) }, 'z'), a);
  assert.notEqual(pool.add({ type: 'uint8', dims: [], data: Uint8Array.of(3) }, 'z'), a);
  assert.equal(g.initializers.get(a)!.type, 'uint8');
});

test('dropDefaultAttributes leaves out default-valued window attributes only', () => {
  const g = importOnnx(convPool());
  assert.equal(dropDefaultAttributes(g), 5);
  const conv = g.nodes.find((n) => n.name === 'conv')!;
  const pool = g.nodes.find((n) => n.name === 'pool')!;
  assert.deepEqual([...conv.attributes.keys()].sort(), ['kernel_shape', 'pads']);
  assert.deepEqual([...pool.attributes.keys()].sort(), ['kernel_shape', 'strides']);
});

test('compactQuantized: same values in onnxruntime, constants renamed, activations and nodes kept', async () => {
  const bytes = convPool();
  const g = importOnnx(bytes);
  shortenInitializerNames(g, new Set(), new Namer(g)); // every constant
  assert.ok([...g.initializers.keys()].every((k) => /^c\d$/.test(k)));
  const h = importOnnx(bytes);
  compactQuantized(h);
  const out = exportOnnx(h);
  assert.ok(out.length < bytes.length);
  assert.deepEqual(h.nodes.map((n) => `${n.name}:${n.outputs.join(',')}`), importOnnx(bytes).nodes.map((n) => `${n.name}:${n.outputs.join(',')}`));
  const x = Float32Array.from({ length: 50 }, (_, i) => Math.cos(i * 0.3));
  const run = async (m: Uint8Array): Promise<Float32Array> =>
    (await (await ort.InferenceSession.create(m)).run({ x: new ort.Tensor('float32', x, [1, 2, 5, 5]) })).y!.data as Float32Array;
  assert.deepEqual(await run(out), await run(bytes));
});

test('quantize (dynamic, static): short inserted names, shared zero point, no weight zero points', async () => {
  const bytes = convPool();
  const d = await quantize(bytes, { mode: 'dynamic' });
  const ci = d.graph.nodes.find((n) => n.opType === 'ConvInteger')!;
  assert.equal(ci.name, 'conv');
  assert.equal(ci.inputs.length, 3); // weight zero point 0: the optional input is left out
  assert.ok(d.graph.metadata.irVersion >= 6);
  const feeds = [0, 1].map((e) => ({ x: { type: 'float32' as const, dims: [1, 2, 5, 5], data: Float32Array.from({ length: 50 }, (_, i) => Math.abs(Math.sin(i + e))) } }));
  const s = await quantize(bytes, { mode: 'static', calibration: feeds });
  const q = s.graph.nodes.filter((n) => n.opType === 'QuantizeLinear');
  assert.ok(q.length >= 2);
  assert.equal(new Set(q.map((n) => n.inputs[2])).size, 1, 'one uint8 zero point 0 for both activations (x and the Relu output)');
  assert.deepEqual([...(s.graph.initializers.get(q[0]!.inputs[2]!)!.data as Uint8Array)], [0]);
  const wdq = s.graph.nodes.find((n) => n.opType === 'DequantizeLinear' && s.graph.initializers.get(n.inputs[0]!)?.type === 'int8')!;
  assert.equal(wdq.inputs.length, 2);
  for (const k of s.graph.initializers.keys()) assert.ok(k.length <= 3, `short initializer name ${k}`);
  assert.ok(s.graph.nodes.some((n) => n.name === 'conv' && n.opType === 'Conv') && s.graph.nodes.some((n) => n.name === 'pool'));
  // onnxruntime runs both files.
  for (const m of [d.bytes(), s.bytes()]) await ort.InferenceSession.create(m);
});
