/**
 * Naive reference loops for the `onednn` addon's tests (independent of oneDNN and of optiflow's
 * other kernels): NCHW convolution, batched matmul with numpy broadcasting, pooling, and
 * helpers (seeded random data, strided index math, closeness check).
 * @module
 */
import assert from 'node:assert/strict';

/** Deterministic pseudo-random values in [-1, 1) (LCG), `n` of them. */
export function rand(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Product of dims. */
export function numel(d: readonly number[]): number {
  return d.reduce((a, b) => a * b, 1);
}

/** Row-major strides of dims. */
export function strides(d: readonly number[]): number[] {
  const s = new Array<number>(d.length).fill(1);
  for (let i = d.length - 2; i >= 0; i--) s[i] = s[i + 1] * d[i + 1];
  return s;
}

/** Asserts |a - e| <= tol * max(1, |e|) elementwise, naming the first bad index. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i], a = actual[i];
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      assert.fail(`index ${i}: got ${a}, expected ${e} (tol ${tol})`);
    }
  }
}

/** Parameters of a 2-D convolution (ONNX Conv semantics). */
export interface ConvParams {
  readonly strides: readonly number[];
  readonly padsBegin: readonly number[];
  readonly dilations: readonly number[];
  readonly groups: number;
}

/**
 * 2-D convolution, x [N,C,H,W], w [O,C/g,kH,kW], bias [O] → y with dims `yd` ([N,O,OH,OW]).
 */
export function conv2dRef(x: Float32Array, xd: readonly number[], w: Float32Array, wd: readonly number[],
  bias: Float32Array | undefined, p: ConvParams, yd: readonly number[]): Float32Array {
  const [N, C, H, W] = xd;
  const [O, Cg, KH, KW] = wd;
  const [, , OH, OW] = yd;
  const Og = O / p.groups;
  const y = new Float32Array(numel(yd));
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    const g = Math.floor(o / Og);
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      let acc = bias ? bias[o] : 0;
      for (let c = 0; c < Cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        const ih = oh * p.strides[0] - p.padsBegin[0] + kh * p.dilations[0];
        const iw = ow * p.strides[1] - p.padsBegin[1] + kw * p.dilations[1];
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        acc += x[((n * C + g * Cg + c) * H + ih) * W + iw] * w[((o * Cg + c) * KH + kh) * KW + kw];
      }
      y[((n * O + o) * OH + oh) * OW + ow] = acc;
    }
  }
  return y;
}

/** Batched matmul with numpy broadcasting of batch dims (equal ranks): a [...,M,K] × b [...,K,N]. */
export function matmulRef(a: Float32Array, ad: readonly number[], b: Float32Array, bd: readonly number[],
  yd: readonly number[]): Float32Array {
  const r = yd.length;
  const M = ad[r - 2], K = ad[r - 1], N = bd[r - 1];
  const y = new Float32Array(numel(yd));
  const batch = yd.slice(0, r - 2);
  const as = strides(ad), bs = strides(bd);
  for (let bi = 0; bi < numel(batch); bi++) {
    let rem = bi, aOff = 0, bOff = 0;
    const bstr = strides(batch);
    for (let k = 0; k < batch.length; k++) {
      const idx = Math.floor(rem / bstr[k]);
      rem %= bstr[k];
      if (ad[k] !== 1) aOff += idx * as[k];
      if (bd[k] !== 1) bOff += idx * bs[k];
    }
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a[aOff + m * K + k] * b[bOff + k * N + n];
      y[bi * M * N + m * N + n] = acc;
    }
  }
  return y;
}

/** 2-D pooling on x [N,C,H,W] → dims `yd`; avg counts padding when `includePad`. */
export function pool2dRef(x: Float32Array, xd: readonly number[], alg: 'max' | 'avg', includePad: boolean,
  kernel: readonly number[], st: readonly number[], padsBegin: readonly number[], padsEnd: readonly number[],
  yd: readonly number[]): Float32Array {
  const [N, C, H, W] = xd;
  const [, , OH, OW] = yd;
  const y = new Float32Array(numel(yd));
  for (let nc = 0; nc < N * C; nc++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let acc = alg === 'max' ? -Infinity : 0;
    let count = 0;
    for (let kh = 0; kh < kernel[0]; kh++) for (let kw = 0; kw < kernel[1]; kw++) {
      const ih = oh * st[0] - padsBegin[0] + kh, iw = ow * st[1] - padsBegin[1] + kw;
      const inPadded = ih < H + padsEnd[0] && iw < W + padsEnd[1];
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
        if (includePad && inPadded) count++;
        continue;
      }
      const v = x[(nc * H + ih) * W + iw];
      acc = alg === 'max' ? Math.max(acc, v) : acc + v;
      count++;
    }
    y[(nc * OH + oh) * OW + ow] = alg === 'max' ? acc : acc / count;
  }
  return y;
}

/** y[i] = f(x[i]). */
export function mapRef(x: Float32Array, f: (v: number) => number): Float32Array {
  return Float32Array.from(x, f);
}

/** Elementwise binary with numpy broadcasting (equal ranks). */
export function broadcastRef(a: Float32Array, ad: readonly number[], b: Float32Array, bd: readonly number[],
  yd: readonly number[], f: (x: number, y: number) => number): Float32Array {
  const y = new Float32Array(numel(yd));
  const ys = strides(yd), as = strides(ad), bs = strides(bd);
  for (let i = 0; i < y.length; i++) {
    let rem = i, ai = 0, bi = 0;
    for (let k = 0; k < yd.length; k++) {
      const idx = Math.floor(rem / ys[k]);
      rem %= ys[k];
      if (ad[k] !== 1) ai += idx * as[k];
      if (bd[k] !== 1) bi += idx * bs[k];
    }
    y[i] = f(a[ai], b[bi]);
  }
  return y;
}
