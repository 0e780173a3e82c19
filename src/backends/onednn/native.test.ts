import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertClose, broadcastRef, conv2dRef, mapRef, matmulRef, numel, pool2dRef, rand, strides,
} from './native-ref.js';
import type { EngineOp, EngineSpec, PostOp } from './spec.js';
import { addon, C, run, skip, T } from './native-testing.js';


describe('onednn addon', { skip }, () => {
  it('reports version, ISA and bf16 support', () => {
    const info = addon().info();
    assert.match(info.version, /^\d+\.\d+\.\d+$/);
    assert.equal(typeof info.isa, 'string');
    assert.equal(typeof info.bf16, 'boolean');
  });

  it('conv: groups, dilation, asymmetric pads, strides, bias', async () => {
    const xd = [2, 4, 7, 6], wd = [6, 2, 3, 2], yd = [2, 6, 4, 5];
    const p = { strides: [2, 1], padsBegin: [1, 0], padsEnd: [2, 1], dilations: [1, 2], groups: 2 };
    const x = rand(numel(xd), 1), w = rand(numel(wd), 2), b = rand(6, 3);
    const [y] = await run([xd, yd], [0], [1], [{ kind: 'conv', src: 0, dst: 1, weights: C(wd, w), bias: C([6], b), ...p, postOps: [] }], [x]);
    assertClose(y, conv2dRef(x, xd, w, wd, b, p, yd));
  });

  it('conv: depthwise on a blocked layout, then pointwise with relu post-op', async () => {
    const xd = [1, 32, 9, 9], wd = [32, 1, 3, 3], w2d = [48, 32, 1, 1];
    const x = rand(numel(xd), 4), w = rand(numel(wd), 5), w2 = rand(numel(w2d), 6);
    const dw = { strides: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: 32 };
    const pw = { strides: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], dilations: [1, 1], groups: 1 };
    const relu: PostOp = { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 };
    const [y] = await run([xd, xd, [1, 48, 9, 9]], [0], [2], [
      { kind: 'conv', src: 0, dst: 1, weights: C(wd, w), ...dw, postOps: [] },
      { kind: 'conv', src: 1, dst: 2, weights: C(w2d, w2), ...pw, postOps: [relu] },
    ], [x]);
    const mid = conv2dRef(x, xd, w, wd, undefined, dw, xd);
    assertClose(y, mapRef(conv2dRef(mid, xd, w2, w2d, undefined, pw, [1, 48, 9, 9]), (v) => Math.max(0, v)));
  });

  it('chain conv -> relu -> conv with a residual sum post-op', async () => {
    const xd = [1, 16, 6, 6], wd = [16, 16, 3, 3];
    const p = { strides: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: 1 };
    const x = rand(numel(xd), 7), w1 = rand(numel(wd), 8), w2 = rand(numel(wd), 9);
    const [y] = await run([xd, xd, xd, xd], [0], [3], [
      { kind: 'conv', src: 0, dst: 1, weights: C(wd, w1), ...p, postOps: [] },
      { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0, src: 1, dst: 2 },
      { kind: 'conv', src: 2, dst: 3, weights: C(wd, w2), ...p, postOps: [{ kind: 'sum', tensor: 0, scale: 1 }] },
    ], [x]);
    const h = mapRef(conv2dRef(x, xd, w1, wd, undefined, p, xd), (v) => Math.max(0, v));
    const out = conv2dRef(h, xd, w2, wd, undefined, p, xd);
    assertClose(y, out.map((v, i) => v + x[i]));
  });

  it('shared buffers and in-place sums keep values that later ops still read', async () => {
    const xd = [1, 16, 5, 5], wd = [16, 16, 1, 1];
    const p = { strides: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], dilations: [1, 1], groups: 1 };
    const x = rand(numel(xd), 50), w = [51, 52, 53, 54].map((s) => rand(numel(wd), s));
    const conv = (src: number, dst: number, i: number, postOps: PostOp[]): EngineOp =>
      ({ kind: 'conv', src, dst, weights: C(wd, w[i]), ...p, postOps });
    // t1 is read by the sum of op 2 and again by op 3 (no in-place); t4 is last read by op 5's sum (in place).
    const [y] = await run([xd, xd, xd, xd, xd, xd, xd], [0], [6], [
      conv(0, 1, 0, []), conv(1, 2, 1, []), conv(2, 3, 2, [{ kind: 'sum', tensor: 1, scale: 1 }]),
      { kind: 'binary', alg: 'mul', a: 3, b: 1, dst: 4, postOps: [] },
      conv(4, 5, 3, []), { kind: 'binary', alg: 'sub', a: 5, b: 0, dst: 6, postOps: [{ kind: 'sum', tensor: 4, scale: 2 }] },
    ], [x]);
    const cv = (v: Float32Array, i: number) => conv2dRef(v, xd, w[i], wd, undefined, p, xd);
    const t1 = cv(x, 0), t2 = cv(t1, 1), t3 = cv(t2, 2).map((v, i) => v + t1[i]), t4 = t3.map((v, i) => v * t1[i]);
    const t5 = cv(t4, 3);
    assertClose(y, t5.map((v, i) => v - x[i] + 2 * t4[i]));
    // the sum tensor is also the conv's own src: it must not be overwritten in place
    const w3d = [16, 16, 3, 3], w3 = rand(numel(w3d), 55);
    const p3 = { ...p, padsBegin: [1, 1], padsEnd: [1, 1] };
    const [z] = await run([xd, xd, xd], [0], [2], [
      conv(0, 1, 1, []),
      { kind: 'conv', src: 1, dst: 2, weights: C(w3d, w3), ...p3, postOps: [{ kind: 'sum', tensor: 1, scale: 1 }] },
    ], [x]);
    const c1 = cv(x, 1);
    assertClose(z, conv2dRef(c1, xd, w3, w3d, undefined, p3, xd).map((v, i) => v + c1[i]));
  });

  it('matmul: batched with broadcast batch dims and a transposed tensor b', async () => {
    const ad = [2, 3, 4, 5], bd = [2, 1, 5, 6], yd = [2, 3, 4, 6];
    const a = rand(numel(ad), 10), b = rand(numel(bd), 11);
    const [y] = await run([ad, bd, yd], [0, 1], [2], [{ kind: 'matmul', a: 0, b: 1, dst: 2, postOps: [] }], [a, b]);
    assertClose(y, matmulRef(a, ad, b, bd, yd));
    // b stored transposed: [2,1,6,5]
    const bt = new Float32Array(b.length);
    for (let i = 0; i < 2; i++) for (let k = 0; k < 5; k++) for (let n = 0; n < 6; n++) bt[i * 30 + n * 5 + k] = b[i * 30 + k * 6 + n];
    const [y2] = await run([ad, [2, 1, 6, 5], yd], [0, 1], [2], [{ kind: 'matmul', a: 0, b: 1, bTransposed: true, dst: 2, postOps: [] }], [a, bt]);
    assertClose(y2, matmulRef(a, ad, b, bd, yd));
  });

  it('matmul: constant b, bias, gelu and sum post-ops on rank-3 a', async () => {
    const ad = [2, 3, 8], bd = [8, 5], yd = [2, 3, 5];
    const a = rand(numel(ad), 12), b = rand(numel(bd), 13), bias = rand(5, 14), r = rand(numel(yd), 15);
    const [y] = await run([ad, yd, yd], [0, 1], [2], [{
      kind: 'matmul', a: 0, b: C(bd, b), bias: C([5], bias), dst: 2,
      postOps: [{ kind: 'eltwise', alg: 'tanh', alpha: 0, beta: 0 }, { kind: 'sum', tensor: 1, scale: 0.5 },
        { kind: 'binary', alg: 'mul', tensor: 1 }],
    }], [a, r]);
    const mm = matmulRef(a, [1, 6, 8], b, [1, 8, 5], [1, 6, 5]);
    assertClose(y, mm.map((v, i) => (Math.tanh(v + bias[i % 5]) + 0.5 * r[i]) * r[i]));
  });

  it('pool: max and average (both padding modes) with pads', async () => {
    const xd = [1, 3, 6, 7], yd = [1, 3, 3, 4];
    const x = rand(numel(xd), 16);
    const k = { kernel: [3, 3], strides: [2, 2], padsBegin: [1, 1], padsEnd: [0, 1] };
    const [mx, inc, exc] = await run([xd, yd, yd, yd], [0], [1, 2, 3], [
      { kind: 'pool', alg: 'max', src: 0, dst: 1, ...k },
      { kind: 'pool', alg: 'avg_include', src: 0, dst: 2, ...k },
      { kind: 'pool', alg: 'avg_exclude', src: 0, dst: 3, ...k },
    ], [x]);
    assertClose(mx, pool2dRef(x, xd, 'max', false, k.kernel, k.strides, k.padsBegin, k.padsEnd, yd));
    assertClose(inc, pool2dRef(x, xd, 'avg', true, k.kernel, k.strides, k.padsBegin, k.padsEnd, yd));
    assertClose(exc, pool2dRef(x, xd, 'avg', false, k.kernel, k.strides, k.padsBegin, k.padsEnd, yd));
  });

  it('eltwise: every algorithm against its formula', async () => {
    const x = Float32Array.from(rand(24, 17), (v) => v * 3);
    const pos = Float32Array.from(x, (v) => Math.abs(v) + 0.1);
    const erf = (z: number) => { // Abramowitz-Stegun 7.1.26, |error| < 1.5e-7
      const t = 1 / (1 + 0.3275911 * Math.abs(z));
      const y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
      return z < 0 ? -y : y;
    };
    const cases: [string, number, number, boolean, (v: number) => number][] = [
      ['relu', 0.1, 0, false, (v) => (v > 0 ? v : 0.1 * v)],
      ['clip', -1, 2, false, (v) => Math.min(2, Math.max(-1, v))],
      ['logistic', 0, 0, false, (v) => 1 / (1 + Math.exp(-v))],
      ['tanh', 0, 0, false, Math.tanh],
      ['gelu_erf', 0, 0, false, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
      ['gelu_tanh', 0, 0, false, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
      ['elu', 0.7, 0, false, (v) => (v > 0 ? v : 0.7 * (Math.exp(v) - 1))],
      ['exp', 0, 0, false, Math.exp],
      ['log', 0, 0, true, Math.log],
      ['sqrt', 0, 0, true, Math.sqrt],
      ['abs', 0, 0, false, Math.abs],
      ['square', 0, 0, false, (v) => v * v],
      ['soft_relu', 0, 0, false, (v) => Math.log(1 + Math.exp(v))],
      ['hardswish', 1 / 6, 0.5, false, (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5))],
      ['hardsigmoid', 0.2, 0.5, false, (v) => Math.max(0, Math.min(1, 0.2 * v + 0.5))],
      ['linear', 2, -1, false, (v) => 2 * v - 1],
      ['pow', 1.5, 2, false, (v) => 1.5 * v * v],
    ];
    for (const [alg, alpha, beta, positive, f] of cases) {
      const input = positive ? pos : x;
      const [y] = await run([[2, 3, 4], [2, 3, 4]], [0], [1],
        [{ kind: 'eltwise', alg: alg as never, alpha, beta, src: 0, dst: 1 }], [input]);
      assert.doesNotThrow(() => assertClose(y, mapRef(input, f), 1e-4), `eltwise ${alg}`);
    }
  });

  it('post-op chains that repeat an algorithm (hardsigmoid then linear, two clips, two sums)', async () => {
    const d = [3, 17], x = Float32Array.from({ length: 51 }, (_, i) => (i - 25) / 8), r = rand(51, 60);
    const E = (alg: string, alpha: number, beta: number): PostOp => ({ kind: 'eltwise', alg: alg as never, alpha, beta });
    const chain = [E('hardsigmoid', 0.2, 0.5), E('linear', -1, 0), E('clip', -0.8, 0), E('clip', -0.5, 1),
      { kind: 'sum', tensor: 1, scale: 1 } as PostOp, { kind: 'sum', tensor: 1, scale: -2 } as PostOp];
    const [y] = await run([d, d, d], [0, 1], [2], [{ kind: 'binary', alg: 'add', a: 0, b: 0, dst: 2, postOps: chain }], [x, r]);
    assertClose(y, x.map((v, i) => {
      const h = -Math.max(0, Math.min(1, 0.2 * 2 * v + 0.5));
      return Math.min(1, Math.max(-0.5, Math.min(0, Math.max(-0.8, h)))) + r[i] - 2 * r[i];
    }));
    const eye = Float32Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const [z] = await run([[12, 4], [12, 4]], [0], [1], [{ kind: 'matmul', a: 0, b: C([4, 4], eye), dst: 1,
      postOps: [E('linear', 0.5, 1), E('linear', -1, 0.25)] }], [x.subarray(0, 48)]);
    assertClose(z, x.subarray(0, 48).map((v) => -(0.5 * v + 1) + 0.25));
  });

  it('binary: numpy broadcasting on either side, constants, every alg', async () => {
    const fs = { add: (p: number, q: number) => p + q, sub: (p: number, q: number) => p - q, mul: (p: number, q: number) => p * q,
      div: (p: number, q: number) => p / q, max: Math.max, min: Math.min };
    const shapes: [number[], number[], number[]][] = [
      [[2, 3, 4], [1, 3, 1], [2, 3, 4]], [[1, 3, 1], [2, 3, 4], [2, 3, 4]], [[2, 1, 4], [1, 3, 1], [2, 3, 4]],
    ];
    for (const [alg, f] of Object.entries(fs)) for (const [ad, bd, yd] of shapes) {
      const a = rand(numel(ad), 18), b = Float32Array.from(rand(numel(bd), 19), (v) => v + 2);
      const [y] = await run([ad, bd, yd], [0, 1], [2], [{ kind: 'binary', alg: alg as never, a: 0, b: 1, dst: 2, postOps: [] }], [a, b]);
      assert.doesNotThrow(() => assertClose(y, broadcastRef(a, ad, b, bd, yd, f)), `${alg} ${ad} ${bd}`);
      const [yc] = await run([bd, yd], [0], [1], [{ kind: 'binary', alg: alg as never, a: C(ad, a), b: 0, dst: 1, postOps: [] }], [b]);
      assert.doesNotThrow(() => assertClose(yc, broadcastRef(a, ad, b, bd, yd, f)), `${alg} const a ${ad} ${bd}`);
    }
  });

  it('softmax and logsoftmax along an axis', async () => {
    const d = [2, 3, 4], x = rand(24, 20);
    const [s, l] = await run([d, d, d], [0], [1, 2], [
      { kind: 'softmax', src: 0, dst: 1, axis: 1, log: false },
      { kind: 'softmax', src: 0, dst: 2, axis: 1, log: true },
    ], [x]);
    const st = strides(d), expected = new Float32Array(24);
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) {
      const idx = [0, 1, 2].map((j) => i * st[0] + j * st[1] + k);
      const sum = idx.reduce((acc, q) => acc + Math.exp(x[q]), 0);
      for (const q of idx) expected[q] = Math.exp(x[q]) / sum;
    }
    assertClose(s, expected);
    assertClose(l, mapRef(expected, Math.log));
  });

  it('layernorm over the last dim and batchnorm (inference) with fused relu', async () => {
    const d = [2, 3, 8], x = rand(48, 21), g = rand(8, 22), b = rand(8, 23);
    const [ln] = await run([d, d], [0], [1], [{ kind: 'layernorm', src: 0, dst: 1, scale: C([8], g), shift: C([8], b), epsilon: 1e-5, postOps: [] }], [x]);
    const exp = new Float32Array(48);
    for (let r = 0; r < 6; r++) {
      const row = x.subarray(r * 8, r * 8 + 8);
      const mean = row.reduce((p, q) => p + q, 0) / 8;
      const v = row.reduce((p, q) => p + (q - mean) ** 2, 0) / 8;
      for (let c = 0; c < 8; c++) exp[r * 8 + c] = ((row[c] - mean) / Math.sqrt(v + 1e-5)) * g[c] + b[c];
    }
    assertClose(ln, exp);
    const bd = [2, 16, 3, 3], xb = rand(numel(bd), 24);
    const mean = rand(16, 25), variance = Float32Array.from(rand(16, 26), (q) => q + 1.5), sc = rand(16, 27), sh = rand(16, 28);
    const [bn] = await run([bd, bd], [0], [1], [{ kind: 'batchnorm', src: 0, dst: 1, mean: C([16], mean), variance: C([16], variance),
      scale: C([16], sc), shift: C([16], sh), epsilon: 1e-3, postOps: [{ kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 }] }], [xb]);
    assertClose(bn, Float32Array.from(xb, (q, i) => {
      const c = Math.floor(i / 9) % 16;
      return Math.max(0, ((q - mean[c]) / Math.sqrt(variance[c] + 1e-3)) * sc[c] + sh[c]);
    }));
  });

  it('concat of a blocked conv output and an input; transpose; reduce', async () => {
    const xd = [1, 16, 4, 4], wd = [16, 16, 1, 1], w = rand(numel(wd), 29), x = rand(numel(xd), 30);
    const p = { strides: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], dilations: [1, 1], groups: 1 };
    const [cat] = await run([xd, xd, [1, 32, 4, 4]], [0], [2], [
      { kind: 'conv', src: 0, dst: 1, weights: C(wd, w), ...p, postOps: [] },
      { kind: 'concat', srcs: [1, 0], dst: 2, axis: 1 },
    ], [x]);
    const cv = conv2dRef(x, xd, w, wd, undefined, p, xd);
    assertClose(cat, Float32Array.from([...cv, ...x]));
    const td = [2, 3, 4], xt = rand(24, 31);
    const [tr] = await run([td, [4, 2, 3]], [0], [1], [{ kind: 'transpose', src: 0, dst: 1, perm: [2, 0, 1] }], [xt]);
    assertClose(tr, Float32Array.from({ length: 24 }, (_, i) => {
      const k = Math.floor(i / 6), a = Math.floor(i / 3) % 2, b = i % 3;
      return xt[a * 12 + b * 4 + k];
    }));
    const [sum, mean, mx] = await run([td, [2, 1, 4], [1, 3, 1], [2, 3, 1]], [0], [1, 2, 3], [
      { kind: 'reduce', alg: 'sum', src: 0, dst: 1 }, { kind: 'reduce', alg: 'mean', src: 0, dst: 2 },
      { kind: 'reduce', alg: 'max', src: 0, dst: 3 },
    ], [xt]);
    assertClose(sum, Float32Array.from({ length: 8 }, (_, i) => [0, 1, 2].reduce((s, j) => s + xt[Math.floor(i / 4) * 12 + j * 4 + (i % 4)], 0)));
    assertClose(mean, Float32Array.from({ length: 3 }, (_, j) => [0, 1].reduce((s, a) => s + [0, 1, 2, 3].reduce((q, k) => q + xt[a * 12 + j * 4 + k], 0), 0) / 8));
    assertClose(mx, Float32Array.from({ length: 6 }, (_, i) => Math.max(...xt.subarray(i * 4, i * 4 + 4))));
  });

  it('reshape inside a chain after a blocked-format conv, then matmul', async () => {
    const xd = [1, 16, 3, 3], wd = [32, 16, 3, 3], md = [288, 10];
    const x = rand(numel(xd), 32), w = rand(numel(wd), 33), m = rand(numel(md), 34);
    const p = { strides: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: 1 };
    const [flat, y] = await run([xd, [1, 32, 3, 3], [1, 288], [1, 10]], [0], [2, 3], [
      { kind: 'conv', src: 0, dst: 1, weights: C(wd, w), ...p, postOps: [] },
      { kind: 'reshape', src: 1, dst: 2 },
      { kind: 'matmul', a: 2, b: C(md, m), dst: 3, postOps: [] },
    ], [x]);
    const cv = conv2dRef(x, xd, w, wd, undefined, p, [1, 32, 3, 3]);
    assertClose(flat, cv);
    assertClose(y, matmulRef(cv, [1, 288], m, md, [1, 10]));
  });

  it('s32 tensors through reshape and transpose; an input that is also an output', async () => {
    const e = addon().createEngine({
      tensors: [{ dims: [2, 3], dtype: 's32' }, { dims: [3, 2], dtype: 's32' }, { dims: [2, 3], dtype: 's32' }],
      inputs: [0], outputs: [2, 0], precision: 'fp32', threads: 1,
      ops: [{ kind: 'reshape', src: 0, dst: 1 }, { kind: 'transpose', src: 1, dst: 2, perm: [1, 0] }],
    });
    const x = Int32Array.from([1, 2, 3, 4, 5, 6]), y = new Int32Array(6), copy = new Int32Array(6);
    await e.run([x], [y, copy]);
    e.dispose();
    assert.deepEqual([...y], [1, 3, 5, 2, 4, 6]); // [[1,2],[3,4],[5,6]] transposed
    assert.deepEqual([...copy], [...x]);
  });

  it('bf16 precision: conv and matmul close to fp32 references', async () => {
    const xd = [1, 32, 5, 5], wd = [32, 32, 3, 3], x = rand(numel(xd), 35), w = rand(numel(wd), 36);
    const p = { strides: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: 1 };
    const [y] = await run([xd, xd, [1, 800], [1, 4]], [0], [3], [
      { kind: 'conv', src: 0, dst: 1, weights: C(wd, w), ...p, postOps: [] },
      { kind: 'reshape', src: 1, dst: 2 },
      { kind: 'matmul', a: 2, b: C([800, 4], rand(3200, 37)), dst: 3, postOps: [] },
    ], [x], { precision: 'bf16' });
    const ref = matmulRef(conv2dRef(x, xd, w, wd, undefined, p, xd), [1, 800], rand(3200, 37), [800, 4], [1, 4]);
    const scale = Math.max(...ref.map(Math.abs));
    assertClose(y.map((v) => v / scale), ref.map((v) => v / scale), 3e-2);
  });

  it('a bad spec gives an Error naming the op index, kind and reason', () => {
    const base = { inputs: [0], outputs: [1], precision: 'fp32' as const, threads: 1 };
    assert.throws(() => addon().createEngine({ ...base, tensors: [T(1, 4, 5, 5), T(1, 8, 5, 5)], ops: [
      { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0, src: 0, dst: 0 },
    ] }), /op 0 \(eltwise\)/);
    assert.throws(() => addon().createEngine({ ...base, tensors: [T(1, 4, 5, 5), T(1, 8, 5, 5)], ops: [
      { kind: 'conv', src: 0, dst: 1, weights: C([8, 3, 3, 3], new Float32Array(216)), strides: [1, 1], padsBegin: [1, 1],
        padsEnd: [1, 1], dilations: [1, 1], groups: 1, postOps: [] },
    ] }), /op 0 \(conv\): groups 1 do not fit/);
    assert.throws(() => addon().createEngine({ ...base, tensors: [T(4), T(4)], ops: [{ kind: 'reshape', src: 0, dst: 7 }] }),
      /spec\.ops\[0\]\.dst: tensor index 7 out of range/);
    assert.throws(() => addon().createEngine({ ...base, tensors: [T(2, 2), T(2, 2)], ops: [
      { kind: 'matmul', a: 0, b: C([2, 2], new Float32Array(3)), dst: 1, postOps: [] },
    ] }), /ops\[0\]\.b\.data: has 3 elements/);
    assert.throws(() => addon().createEngine(null as unknown as EngineSpec), /spec: expected an object/);
  });

  it('run() rejects wrong buffers and runs after dispose()', async () => {
    const e = addon().createEngine({ tensors: [T(4), T(4)], inputs: [0], outputs: [1], precision: 'fp32', threads: 1,
      ops: [{ kind: 'eltwise', alg: 'abs', alpha: 0, beta: 0, src: 0, dst: 1 }] });
    await assert.rejects(e.run([new Float32Array(3)], [new Float32Array(4)]), /inputs\[0\]: has 3 elements, expected 4/);
    await assert.rejects(e.run([new Int32Array(4)], [new Float32Array(4)]), /expected a Float32Array/);
    e.dispose();
    await assert.rejects(e.run([new Float32Array(4)], [new Float32Array(4)]), /after dispose/);
  });

  it('keeps the event loop responsive during a long run', async () => {
    const n = 2048;
    const e = addon().createEngine({ tensors: [T(n, n), T(n, n)], inputs: [0], outputs: [1], precision: 'fp32', threads: 1,
      ops: [{ kind: 'matmul', a: 0, b: C([n, n], rand(n * n, 38)), dst: 1, postOps: [] }] });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let ticksAtEnd = -1;
    await e.run([rand(n * n, 39)], [new Float32Array(n * n)]).then(() => { ticksAtEnd = ticks; });
    clearInterval(timer);
    e.dispose();
    assert.ok(ticksAtEnd > 0, `timer ticks before the run resolved: ${ticksAtEnd}`);
  });

  it('two engines (and two runs of one engine) run concurrently with correct results', async () => {
    const ad = [64, 64], a = rand(4096, 40), b1 = rand(4096, 41), b2 = rand(4096, 42);
    const mk = (b: Float32Array) => addon().createEngine({ tensors: [T(...ad), T(...ad)], inputs: [0], outputs: [1], precision: 'fp32',
      threads: 1, ops: [{ kind: 'matmul', a: 0, b: C(ad, b), dst: 1, postOps: [] }] });
    const e1 = mk(b1), e2 = mk(b2);
    const o = [0, 1, 2, 3].map(() => new Float32Array(4096));
    const a2 = rand(4096, 43);
    await Promise.all([e1.run([a], [o[0]]), e2.run([a], [o[1]]), e1.run([a2], [o[2]]), e2.run([a2], [o[3]])]);
    assertClose(o[0], matmulRef(a, ad, b1, ad, ad));
    assertClose(o[1], matmulRef(a, ad, b2, ad, ad));
    assertClose(o[2], matmulRef(a2, ad, b1, ad, ad));
    assertClose(o[3], matmulRef(a2, ad, b2, ad, ad));
    const pending = e1.run([a2], [o[0]]);
    e1.dispose(); // the run in flight keeps the native engine alive until it ends
    await pending;
    assertClose(o[0], matmulRef(a2, ad, b1, ad, ad));
    e2.dispose();
    assert.equal(addon().info().liveEngines, 0);
  });
});
