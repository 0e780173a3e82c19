// Depthwise 2-D convolution (group = C, one filter per channel): a direct SIMD kernel, four output
// columns per step, with the bias, residual and activation fused (gemm-epilogue.ts).
//
// Strides 1 and 2: each plane is first copied into a zero-padded plane in scratch memory, wide
// enough that every output row runs whole vectors without a bounds check (the last vector of a
// row is stored partially); stride 2 takes the even and odd lanes of two loads. Each call reuses
// one padded plane (the slot of its range's first plane, so concurrent calls never share one).
// 3×3 kernels of dilation 1 keep their nine weights in registers and are specialized per stride
// and activation (type arguments, so that the compiler resolves them: u8 = stride 1, u16 = 2);
// other kernels loop over the taps. Larger strides run one output at a time with bounds checks.
//
// Geometry block (int32 at `geo`): [C, H, W, KH, KW, SH, SW, DH, DW, PH, PW, OH, OW, HP, WP],
// HP×WP the padded plane (see `depthwisePadded` in src/backends/wasm/kernels/conv.ts).
// Source: ONNX operator spec (Conv with group = C); Howard et al., "MobileNets" (arXiv:1704.04861).
import { fmadd } from '../simd';
import {
  activate, activateAny, ACT_CLIP, ACT_GELU_ERF, ACT_GELU_TANH, ACT_HARD_SIGMOID, ACT_HARD_SWISH, ACT_LEAKY_RELU,
  ACT_RELU, ACT_SIGMOID, ACT_TANH, Clip, GeluErf, GeluTanh, HardSigmoid, HardSwish, Identity, LeakyRelu, Relu,
  Sigmoid, Tanh,
} from './gemm-epilogue';

/** Four taps at p, p + s, p + 2s, p + 3s floats for s = 1 or 2 (stride 2 reads 8 floats). */
// @ts-ignore: decorator
@inline function taps4(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

/** `lanes` (1..4) floats at p, the rest zero. */
// @ts-ignore: decorator
@inline function loadN(p: usize, lanes: i32): v128 {
  if (lanes >= 4) return v128.load(p);
  let v = v128.load32_zero(p);
  if (lanes > 1) v = f32x4.replace_lane(v, 1, f32.load(p, 4));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, f32.load(p, 8));
  return v;
}

/** Stores the first `lanes` (1..4) floats of v at p. */
// @ts-ignore: decorator
@inline function storeN(p: usize, v: v128, lanes: i32): void {
  if (lanes >= 4) { v128.store(p, v); return; }
  f32.store(p, f32x4.extract_lane(v, 0));
  if (lanes > 1) f32.store(p, f32x4.extract_lane(v, 1), 4);
  if (lanes > 2) f32.store(p, f32x4.extract_lane(v, 2), 8);
}

/** Copies plane x (h×w) into pad (hp×wp) at offset (ph, pw), zeros elsewhere. */
// @ts-ignore: decorator
@inline function padPlane(x: usize, h: i32, w: i32, pad: usize, hp: i32, wp: i32, ph: i32, pw: i32): void {
  const z = f32x4.splat(0);
  const rowB = <usize>wp << 2;
  let dst = pad;
  for (let r = 0; r < hp; r++) {
    const iy = r - ph;
    if (iy < 0 || iy >= h) {
      for (let j = 0; j < wp; j += 4) v128.store(dst + (<usize>j << 2), z);
    } else {
      for (let j = 0; j < pw; j++) f32.store(dst + (<usize>j << 2), 0);
      const src = x + (<usize>(iy * w) << 2);
      const d = dst + (<usize>pw << 2);
      let j = 0;
      for (; j + 4 <= w; j += 4) v128.store(d + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
      for (; j < w; j++) f32.store(d + (<usize>j << 2), f32.load(src + (<usize>j << 2)));
      for (j = pw + w; j < wp; j++) f32.store(dst + (<usize>j << 2), 0);
    }
    dst += rowB;
  }
}

/** Three taps in a row (dilation 1) at q for four outputs of stride S (u8 = 1, u16 = 2). */
// @ts-ignore: decorator
@inline function row3<S>(q: usize, w0: v128, w1: v128, w2: v128, acc: v128): v128 {
  if (sizeof<S>() == 1) {
    acc = fmadd(v128.load(q), w0, acc);
    acc = fmadd(v128.load(q, 4), w1, acc);
    return fmadd(v128.load(q, 8), w2, acc);
  }
  // Stride 2: taps 0 and 1 are the even and odd lanes of q[0..8), tap 2 the even lanes of q[2..10).
  const a = v128.load(q); const b = v128.load(q, 16);
  acc = fmadd(v128.shuffle<f32>(a, b, 0, 2, 4, 6), w0, acc);
  acc = fmadd(v128.shuffle<f32>(a, b, 1, 3, 5, 7), w1, acc);
  return fmadd(v128.shuffle<f32>(v128.load(q, 8), v128.load(q, 24), 0, 2, 4, 6), w2, acc);
}

/**
 * A 3×3, dilation-1 plane on its padded copy, specialized by stride S and activation A: whole
 * vectors with pointers stepped per vector, then one partial vector at the row end.
 */
// @ts-ignore: decorator
@inline function plane3x3<S, A>(pad: usize, wp: i32, wt: usize, bias: f32, rp: usize, yp: usize,
  oh: i32, ow: i32, sh: i32, p0: f32, p1: f32): void {
  const w00 = v128.load32_splat(wt); const w01 = v128.load32_splat(wt, 4); const w02 = v128.load32_splat(wt, 8);
  const w10 = v128.load32_splat(wt, 12); const w11 = v128.load32_splat(wt, 16); const w12 = v128.load32_splat(wt, 20);
  const w20 = v128.load32_splat(wt, 24); const w21 = v128.load32_splat(wt, 28); const w22 = v128.load32_splat(wt, 32);
  const bv = f32x4.splat(bias);
  const rb = <usize>wp << 2;
  const step = <usize>(16 * sizeof<S>());
  const full = ow & ~3;
  let yq = yp; let rq = rp;
  for (let oy = 0; oy < oh; oy++) {
    let q0 = pad + (<usize>(oy * sh) * rb); let q1 = q0 + rb; let q2 = q1 + rb;
    for (let ox = 0; ox < full; ox += 4) {
      // One partial sum per kernel row: three short dependency chains instead of one of nine.
      let acc = f32x4.add(f32x4.add(row3<S>(q0, w00, w01, w02, bv), row3<S>(q1, w10, w11, w12, f32x4.splat(0))),
        row3<S>(q2, w20, w21, w22, f32x4.splat(0)));
      if (rq) { acc = f32x4.add(acc, v128.load(rq)); rq += 16; }
      v128.store(yq, activate<A>(acc, p0, p1));
      q0 += step; q1 += step; q2 += step; yq += 16;
    }
    const left = ow - full;
    if (left) {
      let acc = f32x4.add(f32x4.add(row3<S>(q0, w00, w01, w02, bv), row3<S>(q1, w10, w11, w12, f32x4.splat(0))),
        row3<S>(q2, w20, w21, w22, f32x4.splat(0)));
      if (rq) { acc = f32x4.add(acc, loadN(rq, left)); rq += <usize>left << 2; }
      storeN(yq, activate<A>(acc, p0, p1), left);
      yq += <usize>left << 2;
    }
  }
}

/** Any kernel on its padded copy (strides 1 and 2), runtime activation. */
function planeAny(pad: usize, wp: i32, wt: usize, bias: f32, rp: usize, yp: usize, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, act: i32, p0: f32, p1: f32): void {
  const bv = f32x4.splat(bias);
  for (let oy = 0; oy < oh; oy++) {
    const yr = yp + (<usize>(oy * ow) << 2);
    const rr = rp ? rp + (<usize>(oy * ow) << 2) : 0;
    for (let ox = 0; ox < ow; ox += 4) {
      let acc = bv;
      for (let ki = 0; ki < kh; ki++) {
        const r = pad + (<usize>((oy * sh + ki * dh) * wp + ox * sw) << 2);
        const wr = wt + (<usize>(ki * kw) << 2);
        for (let kj = 0; kj < kw; kj++) {
          acc = fmadd(taps4(r + (<usize>(kj * dw) << 2), sw), v128.load32_splat(wr + (<usize>kj << 2)), acc);
        }
      }
      const left = ow - ox;
      if (rr) acc = f32x4.add(acc, loadN(rr + (<usize>ox << 2), left));
      storeN(yr + (<usize>ox << 2), activateAny(act, acc, p0, p1), left);
    }
  }
}

/** One plane with bounds checks, one output at a time (strides above 2). */
function planeScalar(x: usize, wt: usize, bias: f32, rp: usize, yp: usize, h: i32, w: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32, act: i32, p0: f32, p1: f32): void {
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let s = bias;
      for (let ki = 0; ki < kh; ki++) {
        const iy = oy * sh - ph + ki * dh;
        if (iy < 0 || iy >= h) continue;
        for (let kj = 0; kj < kw; kj++) {
          const ix = ox * sw - pw + kj * dw;
          if (ix < 0 || ix >= w) continue;
          s += f32.load(x + (<usize>(iy * w + ix) << 2)) * f32.load(wt + (<usize>(ki * kw + kj) << 2));
        }
      }
      const o = <usize>(oy * ow + ox) << 2;
      if (rp) s += f32.load(rp + o);
      f32.store(yp + o, f32x4.extract_lane(activateAny(act, f32x4.splat(s), p0, p1), 0));
    }
  }
}

/** Plane q's pointers: input, output, residual, weights; bias value. */
// @ts-ignore: decorator
@inline function planeOffset(base: usize, q: i32, floats: i32): usize {
  return base + (<usize>q * <usize>floats << 2);
}

/** 3×3 kernels, strides 1 and 2: one instance per stride type S (u8 = 1, u16 = 2) and activation A. */
function planes3x3<S, A>(x: usize, wts: usize, bias: usize, res: usize, y: usize, geo: usize,
  pads: usize, p0: f32, p1: f32, start: i32, end: i32): void {
  const c = i32.load(geo); const h = i32.load(geo, 4); const w = i32.load(geo, 8);
  const sh = i32.load(geo, 20);
  const ph = i32.load(geo, 36); const pw = i32.load(geo, 40); const oh = i32.load(geo, 44); const ow = i32.load(geo, 48);
  const hp = i32.load(geo, 52); const wp = i32.load(geo, 56);
  // One padded plane per call, reused for its planes (it stays in cache): the slot of the range's
  // first plane, which no concurrent call shares.
  const pad = planeOffset(pads, start, hp * wp);
  for (let q = start; q < end; q++) {
    const ch = q % c;
    padPlane(planeOffset(x, q, h * w), h, w, pad, hp, wp, ph, pw);
    plane3x3<S, A>(pad, wp, planeOffset(wts, ch, 9), bias ? f32.load(bias + (<usize>ch << 2)) : 0,
      res ? planeOffset(res, q, oh * ow) : 0, planeOffset(y, q, oh * ow), oh, ow, sh, p0, p1);
  }
}

/** Any kernel and stride, runtime activation: padded vector path for strides 1 and 2, else scalar. */
function planesAny(act: i32, x: usize, wts: usize, bias: usize, res: usize, y: usize, geo: usize, pads: usize,
  p0: f32, p1: f32, start: i32, end: i32): void {
  const c = i32.load(geo); const h = i32.load(geo, 4); const w = i32.load(geo, 8);
  const kh = i32.load(geo, 12); const kw = i32.load(geo, 16);
  const sh = i32.load(geo, 20); const sw = i32.load(geo, 24);
  const dh = i32.load(geo, 28); const dw = i32.load(geo, 32);
  const ph = i32.load(geo, 36); const pw = i32.load(geo, 40);
  const oh = i32.load(geo, 44); const ow = i32.load(geo, 48);
  const hp = i32.load(geo, 52); const wp = i32.load(geo, 56);
  for (let q = start; q < end; q++) {
    const ch = q % c;
    const xp = planeOffset(x, q, h * w); const yp = planeOffset(y, q, oh * ow);
    const rp = res ? planeOffset(res, q, oh * ow) : 0;
    const wt = planeOffset(wts, ch, kh * kw);
    const b = bias ? f32.load(bias + (<usize>ch << 2)) : 0;
    if (sw > 2) {
      planeScalar(xp, wt, b, rp, yp, h, w, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw, act, p0, p1);
      continue;
    }
    const pad = planeOffset(pads, start, hp * wp);
    padPlane(xp, h, w, pad, hp, wp, ph, pw);
    planeAny(pad, wp, wt, b, rp, yp, oh, ow, kh, kw, sh, sw, dh, dw, act, p0, p1);
  }
}

// @ts-ignore: decorator
@inline function byAct<S>(act: i32, x: usize, wts: usize, bias: usize, res: usize, y: usize, geo: usize, pads: usize,
  p0: f32, p1: f32, start: i32, end: i32): void {
  switch (act) {
    case ACT_RELU: planes3x3<S, Relu>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    case ACT_CLIP: planes3x3<S, Clip>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    case ACT_SIGMOID: planes3x3<S, Sigmoid>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    case ACT_HARD_SIGMOID: planes3x3<S, HardSigmoid>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    case ACT_HARD_SWISH: planes3x3<S, HardSwish>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    case ACT_LEAKY_RELU: planes3x3<S, LeakyRelu>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    case ACT_TANH: planes3x3<S, Tanh>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    case ACT_GELU_ERF: planes3x3<S, GeluErf>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    case ACT_GELU_TANH: planes3x3<S, GeluTanh>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
    default: planes3x3<S, Identity>(x, wts, bias, res, y, geo, pads, p0, p1, start, end); break;
  }
}

/**
 * Depthwise conv of planes [start, end) of N·C: x `[N, C, H, W]`, weights `[C, KH, KW]`, bias
 * `[C]` (0 = none), residual `[N, C, OH, OW]` (0 = none), y `[N, C, OH, OW]`;
 * y = act(conv + bias + residual). `pads` is scratch of N·C·HP·WP floats (strides 1 and 2), of
 * which a call touches one plane.
 */
export function conv_depthwise_f32(x: usize, wts: usize, bias: usize, res: usize, y: usize, geo: usize, pads: usize,
  act: i32, p0: f32, p1: f32, start: i32, end: i32): void {
  const kh = i32.load(geo, 12); const kw = i32.load(geo, 16);
  const sw = i32.load(geo, 24); const dh = i32.load(geo, 28); const dw = i32.load(geo, 32);
  if (kh != 3 || kw != 3 || sw > 2 || dh != 1 || dw != 1) {
    planesAny(act, x, wts, bias, res, y, geo, pads, p0, p1, start, end);
  } else if (sw == 1) {
    byAct<u8>(act, x, wts, bias, res, y, geo, pads, p0, p1, start, end);
  } else {
    byAct<u16>(act, x, wts, bias, res, y, geo, pads, p0, p1, start, end);
  }
}
