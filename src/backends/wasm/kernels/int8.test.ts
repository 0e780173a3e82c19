import assert from 'node:assert/strict';
import test from 'node:test';
import type { TensorData } from '../../../ir/tensor-data.js';
import type { TestAttr } from '../../../testing/run-kernel.js';
import { loadWasmModule } from '../loader.js';
import { Scratch, WasmRuntime } from '../runtime.js';
import { compareOp } from './gemm-harness.js';
import { rng } from './shape-harness.js';

const r = rng(7);
const ints = (type: 'uint8' | 'int8' | 'int32', dims: number[], lo: number, hi: number): TensorData => {
  const n = dims.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
  const data = type === 'uint8' ? Uint8Array.from(v) : type === 'int8' ? Int8Array.from(v) : Int32Array.from(v);
  return { type, dims, data };
};
const q8 = (type: 'uint8' | 'int8', dims: number[]): TensorData => (type === 'uint8' ? ints(type, dims, 0, 255) : ints(type, dims, -128, 127));
const f32 = (dims: number[], values: number[]): TensorData => ({ type: 'float32', dims, data: Float32Array.from(values) });
const scales = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => lo + r() * (hi - lo));

// [A dims, B dims, activation dtype, per-column B]: odd sizes, batch dims folded into M.
const MATMUL: [number[], number[], 'uint8' | 'int8', boolean][] = [
  [[1, 37], [37, 19], 'uint8', false],
  [[5, 64], [64, 33], 'int8', true],
  [[2, 3, 17], [17, 9], 'uint8', true],
  [[13, 200], [200, 70], 'uint8', true],
];

test('QLinearMatMul on wasm equals js exactly (zero points, per-column scales, uint8/int8)', async () => {
  for (const [ad, bd, at, perCol] of MATMUL) {
    const n = bd[1]!;
    const bs = perCol ? f32([n], scales(n, 0.002, 0.01)) : f32([], [0.004]);
    const bz = perCol ? ints('int8', [n], -3, 3) : ints('int8', [], -2, 2);
    for (const yt of ['uint8', 'int8'] as const) {
      const az = at === 'uint8' ? ints('uint8', [], 100, 140) : ints('int8', [], -10, 10);
      const yz = yt === 'uint8' ? ints('uint8', [], 120, 130) : ints('int8', [], -5, 5);
      const inputs = [q8(at, ad), f32([], [0.02]), az, q8('int8', bd), bs, bz, f32([], [0.05 * Math.sqrt(ad[ad.length - 1]!)]), yz];
      await compareOp({ op: 'QLinearMatMul', inputs, constants: [3, 4, 5] }, 0);
      await compareOp({ op: 'QLinearMatMul', inputs }, 0); // B per call
    }
  }
});

test('MatMulInteger on wasm equals js exactly', async () => {
  for (const [ad, bd, at, perCol] of MATMUL) {
    const bz = perCol ? ints('int8', [bd[1]!], -3, 3) : ints('int8', [], -2, 2);
    await compareOp({ op: 'MatMulInteger', inputs: [q8(at, ad), q8('int8', bd), q8(at, []), bz], constants: [1, 3] }, 0);
  }
});

// [X dims, W dims, attributes]: strides, pads, dilations, groups (depthwise included), pointwise.
const CONV: [number[], number[], Record<string, TestAttr>][] = [
  [[1, 3, 13, 17], [5, 3, 3, 3], { pads: [1, 1, 1, 1] }],
  [[2, 4, 20, 23], [6, 4, 3, 3], { strides: [2, 2], pads: [1, 0, 2, 1] }],
  [[1, 3, 19, 30], [4, 3, 3, 2], { dilations: [2, 3], pads: [2, 1, 0, 3] }],
  [[1, 4, 11, 14], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }],
  [[1, 7, 9, 30], [5, 7, 1, 1], {}],
  [[1, 6, 9, 13], [8, 6, 1, 1], { strides: [2, 2] }],
  [[1, 5, 10, 9], [5, 1, 3, 3], { group: 5, pads: [1, 1, 1, 1], strides: [2, 2] }],
  [[1, 33, 7, 7], [17, 33, 3, 3], { pads: [1, 1, 1, 1] }],
  // Depthwise (direct kernel): stride 1/2, asymmetric pads, dilation, widths around 8, batch 2.
  [[2, 6, 17, 19], [6, 1, 3, 3], { group: 6, pads: [1, 1, 1, 1] }],
  [[1, 4, 12, 9], [4, 1, 3, 3], { group: 4, pads: [0, 1, 1, 0], strides: [2, 2] }],
  [[1, 3, 11, 21], [3, 1, 3, 2], { group: 3, dilations: [2, 2], pads: [2, 1, 2, 1] }],
  [[1, 2, 8, 8], [2, 1, 5, 5], { group: 2, pads: [2, 2, 2, 2], strides: [1, 2] }],
  [[1, 3, 9, 9], [3, 1, 3, 3], { group: 3, strides: [3, 3] }],
  // 3×3 row-pair kernel: widths across 8-column groups, odd/even output rows, odd top pad, no pad.
  [[1, 5, 14, 27], [5, 1, 3, 3], { group: 5, pads: [1, 1, 1, 1] }],
  [[1, 3, 7, 8], [3, 1, 3, 3], { group: 3 }],
  [[1, 4, 15, 33], [4, 1, 3, 3], { group: 4, pads: [1, 1, 1, 1], strides: [2, 2] }],
  [[2, 3, 16, 18], [3, 1, 3, 3], { group: 3, pads: [0, 2, 1, 0], strides: [2, 2] }],
  [[1, 2, 5, 5], [2, 1, 3, 3], { group: 2, pads: [3, 0, 2, 3] }],
];

test('QLinearConv on wasm equals js exactly (per-channel scales, bias, zero points, groups)', async () => {
  for (const [xd, wd, attrs] of CONV) {
    const m = wd[0]!;
    for (const [xt, perCh] of [['uint8', true], ['int8', false]] as const) {
      const ws = perCh ? f32([m], scales(m, 0.002, 0.02)) : f32([], [0.01]);
      const wz = perCh ? ints('int8', [m], -2, 2) : ints('int8', [], 0, 0);
      const xz = xt === 'uint8' ? ints('uint8', [], 110, 140) : ints('int8', [], -8, 8);
      const yz = xt === 'uint8' ? ints('uint8', [], 100, 150) : ints('int8', [], -10, 10);
      const k = wd[1]! * wd[2]! * wd[3]!;
      const inputs = [q8(xt, xd), f32([], [0.03]), xz, q8('int8', wd), ws, wz, f32([], [0.02 * Math.sqrt(k)]), yz, ints('int32', [m], -3000, 3000)];
      // Per-channel cases with every parameter constant (epilogue tables cached at create).
      await compareOp({ op: 'QLinearConv', inputs, attrs, constants: perCh ? [1, 2, 3, 4, 5, 6, 7, 8] : [3, 4, 5, 8] }, 0);
    }
  }
});

test('ConvInteger on wasm equals js exactly', async () => {
  for (const [xd, wd, attrs] of CONV) {
    await compareOp({ op: 'ConvInteger', inputs: [q8('uint8', xd), q8('int8', wd), ints('uint8', [], 120, 130), ints('int8', [], -1, 1)], attrs, constants: [1] }, 0);
  }
});

test('QuantizeLinear / DequantizeLinear (per-tensor) on wasm equal js exactly', async () => {
  for (const dims of [[3, 37], [2, 3, 5, 11], [2100]]) {
    const n = dims.reduce((a, b) => a * b, 1);
    const x = f32(dims, Array.from({ length: n }, (_, i) => (r() - 0.5) * 8 + (i % 7 === 0 ? 0.025 : 0)));
    for (const z of [ints('uint8', [], 120, 135), ints('int8', [], -4, 4)]) {
      await compareOp({ op: 'QuantizeLinear', inputs: [x, f32([], [0.05]), z] }, 0);
      await compareOp({ op: 'DequantizeLinear', inputs: [q8(z.type as 'uint8' | 'int8', dims), f32([], [0.037]), z] }, 0);
    }
    await compareOp({ op: 'QuantizeLinear', inputs: [x, f32([], [0.05])] }, 0);
  }
});

test('8-bit and int32 tensors owned by the runtime: typed views, zero-copy input, alias, export copies, release frees', async () => {
  const { module, variant } = await loadWasmModule();
  const rt = WasmRuntime.create(module, variant, 1 << 20);
  const before = rt.heapBytes.used;
  for (const [type, Ctor] of [['uint8', Uint8Array], ['int8', Int8Array], ['int32', Int32Array]] as const) {
    const { ptr, tensor } = rt.output([2, 3], type);
    assert.equal(tensor.type, type);
    assert.ok(tensor.data instanceof Ctor);
    (tensor.data as Uint8Array).set([1, 2, 3, 4, 5, 250].map((v) => (type === 'int8' ? v - 128 : v)));
    const s = new Scratch(rt);
    if (type !== 'int32') assert.equal(rt.inputBytes(tensor, s), ptr); // owned: no copy
    const copied = rt.inputBytes({ type: 'uint8', dims: [3], data: Uint8Array.of(7, 8, 9) }, s);
    assert.deepEqual([...new Uint8Array(rt.memory.buffer, copied, 3)], [7, 8, 9]);
    s.done();
    const view = rt.alias(tensor, [6]);
    assert.ok(view.data instanceof Ctor);
    assert.equal(view.type, type);
    const out = rt.exportTensor(view);
    assert.ok(out.data instanceof Ctor && out.data.buffer !== rt.memory.buffer);
    assert.deepEqual([...(out.data as Uint8Array)], [...(tensor.data as Uint8Array)]);
    rt.release(tensor);
    rt.release(view);
  }
  assert.equal(rt.heapBytes.used, before);
});
