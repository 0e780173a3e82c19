/**
 * Addon tests of the performance paths (hand-computed or independently computed references from
 * native-ref.ts): Winograd convolutions and 16-channel blocked layouts, transposes as strided views
 * feeding matmuls, and concurrent runs on the executor threads. Skip, saying why, without the addon.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertClose, conv2dRef, mapRef, matmulRef, numel, rand, strides } from './native-ref.js';
import type { EngineOp } from './spec.js';
import { addon, C, run, skip, T } from './native-testing.js';

describe('onednn addon performance paths', { skip }, () => {
  it('conv: algorithm winograd (3x3, stride 1, 64 channels) on blocked16 layout with bias, residual sum and relu', async () => {
    const xd = [1, 64, 10, 9], wd = [64, 64, 3, 3];
    const p = { strides: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: 1 };
    const x = rand(numel(xd), 11), w = rand(numel(wd), 12).map((v) => v / 8), b = rand(64, 13);
    const [y] = await run([xd, xd], [0], [1], [{ kind: 'conv', src: 0, dst: 1, weights: C(wd, w), bias: C([64], b), ...p,
      algorithm: 'winograd', layout: 'blocked16', postOps: [{ kind: 'sum', tensor: 0, scale: 1 }, { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 }] }], [x]);
    assertClose(y, conv2dRef(x, xd, w, wd, b, p, xd).map((v, i) => Math.max(0, v + x[i]!)));
  });

  it('conv: algorithm winograd falls back to direct where oneDNN has no Winograd (3 channels, stride 2)', async () => {
    const xd = [1, 3, 9, 9], wd = [5, 3, 3, 3], yd = [1, 5, 5, 5];
    const p = { strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: 1 };
    const x = rand(numel(xd), 14), w = rand(numel(wd), 15);
    const [y] = await run([xd, yd], [0], [1], [{ kind: 'conv', src: 0, dst: 1, weights: C(wd, w), ...p, algorithm: 'winograd', layout: 'blocked16', postOps: [] }], [x]);
    assertClose(y, conv2dRef(x, xd, w, wd, undefined, p, yd));
  });

  it('rejects an unknown conv algorithm or layout, naming the field', () => {
    const p = { strides: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], dilations: [1, 1], groups: 1 };
    const op = { kind: 'conv', src: 0, dst: 1, weights: C([1, 1, 1, 1], new Float32Array(1)), ...p, algorithm: 'fft', postOps: [] } as unknown as EngineOp;
    assert.throws(() => addon().createEngine({ tensors: [T(1, 1, 2, 2), T(1, 1, 2, 2)], inputs: [0], outputs: [1], ops: [op], precision: 'fp32', threads: 1 }),
      /ops\[0\]\.algorithm/);
    const op2 = { ...(op as object), algorithm: 'direct', layout: 'nhwc' } as unknown as EngineOp;
    assert.throws(() => addon().createEngine({ tensors: [T(1, 1, 2, 2), T(1, 1, 2, 2)], inputs: [0], outputs: [1], ops: [op2], precision: 'fp32', threads: 1 }),
      /ops\[0\]\.layout/);
  });

  it('runs several engines at once (executor threads), each with its own result', async () => {
    const d = [64, 64];
    const engines = [1, 2, 3].map((k) => addon().createEngine({ tensors: [T(...d), T(...d)], inputs: [0], outputs: [1],
      ops: [{ kind: 'eltwise', alg: 'linear', alpha: k, beta: 0, src: 0, dst: 1 }], precision: 'fp32', threads: 1 }));
    const x = rand(numel(d), 16);
    const outs = engines.map(() => new Float32Array(numel(d)));
    await Promise.all(engines.flatMap((e, k) => [0, 1, 2].map(() => e.run([x], [outs[k]!]))));
    outs.forEach((o, k) => assertClose(o, mapRef(x, (v) => v * (k + 1))));
    for (const e of engines) e.dispose();
  });

  it('transposes as strided views: matmuls read them, a matmul writes the layout its transpose wants, other readers and outputs get copies', async () => {
    const permute = (x: Float32Array, xd: number[], perm: number[]): Float32Array => {
      const yd = perm.map((p) => xd[p]!), xs = strides(xd), ys = strides(yd), y = new Float32Array(x.length);
      for (let i = 0; i < y.length; i++) {
        let src = 0;
        for (let k = 0; k < yd.length; k++) src += Math.floor(i / ys[k]!) % yd[k]! * xs[perm[k]!]!;
        y[i] = x[src]!;
      }
      return y;
    };
    const d0 = [1, 2, 3, 4], d1 = [1, 3, 2, 4], d2 = [1, 3, 4, 2], d3 = [1, 3, 2, 2];
    const x = rand(numel(d0), 21);
    const [y6, y7, y2] = await run([d0, d1, d2, d3, d1, d0, [2, 12], d1], [0], [6, 7, 2], [
      { kind: 'transpose', src: 0, dst: 1, perm: [0, 2, 1, 3] },
      { kind: 'transpose', src: 0, dst: 2, perm: [0, 2, 3, 1] },
      { kind: 'matmul', a: 1, b: 2, dst: 3, postOps: [] },
      { kind: 'matmul', a: 3, b: 1, dst: 4, postOps: [] },
      { kind: 'transpose', src: 4, dst: 5, perm: [0, 2, 1, 3] },
      { kind: 'reshape', src: 5, dst: 6 },
      { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0, src: 1, dst: 7 },
    ], [x]);
    const t1 = permute(x, d0, [0, 2, 1, 3]), t2 = permute(x, d0, [0, 2, 3, 1]);
    const t4 = matmulRef(matmulRef(t1, d1, t2, d2, d3), d3, t1, d1, d1);
    assertClose(y6!, permute(t4, d1, [0, 2, 1, 3]));
    assertClose(y7!, mapRef(t1, (v) => Math.max(0, v)));
    assertClose(y2!, t2);
  });

});
