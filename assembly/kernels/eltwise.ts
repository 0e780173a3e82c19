// Elementwise float32 kernels: broadcasting binary ops over a coalesced 4-D index space, unary
// ops and activations, and the per-channel affine map of inference BatchNormalization.
// Op codes are shared with src/backends/wasm/kernels/eltwise-codes.ts.
import { fmadd } from '../simd';
import { erf4, exp4, sigmoid4, tanh4 } from './eltwise-math';

// Binary op codes.
const ADD = 0; const SUB = 1; const MUL = 2; const DIV = 3; const MAX = 4; const MIN = 5; const POW = 6;

// Unary op codes.
const RELU = 0; const LEAKY_RELU = 1; const CLIP = 2; const SIGMOID = 3; const TANH = 4; const ERF = 5;
const EXP = 6; const LOG = 7; const NEG = 8; const ABS = 9; const SQRT = 10; const RECIPROCAL = 11;
const HARD_SIGMOID = 12; const HARD_SWISH = 13; const GELU = 14; const GELU_TANH = 15; const SOFTPLUS = 16;
const FLOOR = 17; const CEIL = 18; const SIN = 19; const COS = 20; const SOFTSIGN = 21;

// @ts-ignore: decorator
@inline function splat(x: f32): v128 { return f32x4.splat(x); }

// @ts-ignore: decorator
@inline function pow4(x: v128, y: v128): v128 {
  let r = splat(Mathf.pow(f32x4.extract_lane(x, 0), f32x4.extract_lane(y, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.pow(f32x4.extract_lane(x, 1), f32x4.extract_lane(y, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.pow(f32x4.extract_lane(x, 2), f32x4.extract_lane(y, 2)));
  return f32x4.replace_lane(r, 3, Mathf.pow(f32x4.extract_lane(x, 3), f32x4.extract_lane(y, 3)));
}

// @ts-ignore: decorator
@inline function softplus1(x: f32): f32 {
  return x > 15.0 ? x : Mathf.log1p(Mathf.exp(x));
}

// @ts-ignore: decorator
@inline function vbin(op: i32, x: v128, y: v128): v128 {
  if (op == ADD) return f32x4.add(x, y);
  if (op == SUB) return f32x4.sub(x, y);
  if (op == MUL) return f32x4.mul(x, y);
  if (op == DIV) return f32x4.div(x, y);
  if (op == MAX) return f32x4.max(x, y);
  if (op == MIN) return f32x4.min(x, y);
  return pow4(x, y);
}

// @ts-ignore: decorator
@inline function sbin(op: i32, x: f32, y: f32): f32 {
  if (op == ADD) return x + y;
  if (op == SUB) return x - y;
  if (op == MUL) return x * y;
  if (op == DIV) return x / y;
  if (op == MAX) return max<f32>(x, y);
  if (op == MIN) return min<f32>(x, y);
  return Mathf.pow(x, y);
}

/** One contiguous output run of `len` elements; `ai`/`bi` are 1 (advance) or 0 (broadcast). */
// @ts-ignore: decorator
@inline function segment(op: i32, a: usize, b: usize, o: usize, len: i32, ai: i32, bi: i32): void {
  let j = 0;
  if (ai != 0 && bi != 0) {
    for (; j + 8 <= len; j += 8) {
      const k = <usize>j << 2;
      v128.store(o + k, vbin(op, v128.load(a + k), v128.load(b + k)));
      v128.store(o + k, vbin(op, v128.load(a + k, 16), v128.load(b + k, 16)), 16);
    }
    for (; j + 4 <= len; j += 4) {
      const k = <usize>j << 2;
      v128.store(o + k, vbin(op, v128.load(a + k), v128.load(b + k)));
    }
    for (; j < len; j++) {
      const k = <usize>j << 2;
      store<f32>(o + k, sbin(op, load<f32>(a + k), load<f32>(b + k)));
    }
  } else if (ai != 0) {
    const ys = load<f32>(b); const y = splat(ys);
    for (; j + 8 <= len; j += 8) {
      const k = <usize>j << 2;
      v128.store(o + k, vbin(op, v128.load(a + k), y));
      v128.store(o + k, vbin(op, v128.load(a + k, 16), y), 16);
    }
    for (; j + 4 <= len; j += 4) { const k = <usize>j << 2; v128.store(o + k, vbin(op, v128.load(a + k), y)); }
    for (; j < len; j++) { const k = <usize>j << 2; store<f32>(o + k, sbin(op, load<f32>(a + k), ys)); }
  } else if (bi != 0) {
    const xs = load<f32>(a); const x = splat(xs);
    for (; j + 8 <= len; j += 8) {
      const k = <usize>j << 2;
      v128.store(o + k, vbin(op, x, v128.load(b + k)));
      v128.store(o + k, vbin(op, x, v128.load(b + k, 16)), 16);
    }
    for (; j + 4 <= len; j += 4) { const k = <usize>j << 2; v128.store(o + k, vbin(op, x, v128.load(b + k))); }
    for (; j < len; j++) { const k = <usize>j << 2; store<f32>(o + k, sbin(op, xs, load<f32>(b + k))); }
  } else {
    const rs = sbin(op, load<f32>(a), load<f32>(b)); const r = splat(rs);
    for (; j + 4 <= len; j += 4) v128.store(o + (<usize>j << 2), r);
    for (; j < len; j++) store<f32>(o + (<usize>j << 2), rs);
  }
}

/** Walks output elements [start, end) of dims [d0, d1, d2, n] in row segments. */
// @ts-ignore: decorator
@inline function binaryRows(op: i32, a: usize, b: usize, out: usize, d1: i32, d2: i32, n: i32,
  a0: i32, a1: i32, a2: i32, ai: i32, b0: i32, b1: i32, b2: i32, bi: i32, start: i32, end: i32): void {
  const r = start / n;
  let col = start - r * n;
  let i2 = r % d2; const t = r / d2; let i1 = t % d1; let i0 = t / d1;
  let i = start;
  while (i < end) {
    const len = min(n - col, end - i);
    const ao = i0 * a0 + i1 * a1 + i2 * a2 + col * ai;
    const bo = i0 * b0 + i1 * b1 + i2 * b2 + col * bi;
    segment(op, a + (<usize>ao << 2), b + (<usize>bo << 2), out + (<usize>i << 2), len, ai, bi);
    i += len; col = 0;
    if (++i2 == d2) { i2 = 0; if (++i1 == d1) { i1 = 0; i0++; } }
  }
}

/**
 * out = a op b over output elements [start, end) of an output of dims [d0, d1, d2, n] (row-major;
 * d0 implied). Input element strides per output dim: a0..a2, b0..b2 (any), ai/bi (1 or 0 for
 * a broadcast inner dim). `op`: 0 Add, 1 Sub, 2 Mul, 3 Div, 4 Max, 5 Min, 6 Pow.
 */
export function binary_f32(op: i32, a: usize, b: usize, out: usize, d1: i32, d2: i32, n: i32,
  a0: i32, a1: i32, a2: i32, ai: i32, b0: i32, b1: i32, b2: i32, bi: i32, start: i32, end: i32): void {
  if (n <= 0 || start >= end) return;
  switch (op) {
    case ADD: binaryRows(ADD, a, b, out, d1, d2, n, a0, a1, a2, ai, b0, b1, b2, bi, start, end); break;
    case SUB: binaryRows(SUB, a, b, out, d1, d2, n, a0, a1, a2, ai, b0, b1, b2, bi, start, end); break;
    case MUL: binaryRows(MUL, a, b, out, d1, d2, n, a0, a1, a2, ai, b0, b1, b2, bi, start, end); break;
    case DIV: binaryRows(DIV, a, b, out, d1, d2, n, a0, a1, a2, ai, b0, b1, b2, bi, start, end); break;
    case MAX: binaryRows(MAX, a, b, out, d1, d2, n, a0, a1, a2, ai, b0, b1, b2, bi, start, end); break;
    case MIN: binaryRows(MIN, a, b, out, d1, d2, n, a0, a1, a2, ai, b0, b1, b2, bi, start, end); break;
    default: binaryRows(POW, a, b, out, d1, d2, n, a0, a1, a2, ai, b0, b1, b2, bi, start, end); break;
  }
}

// @ts-ignore: decorator
@inline function vun(op: i32, x: v128, p0: v128, p1: v128): v128 {
  if (op == RELU) return f32x4.pmax(splat(0.0), x);
  if (op == LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, p0), f32x4.ge(x, splat(0.0)));
  if (op == CLIP) return f32x4.min(f32x4.max(x, p0), p1);
  if (op == SIGMOID) return sigmoid4(x);
  if (op == TANH) return tanh4(x);
  if (op == ERF) return erf4(x);
  if (op == EXP) return exp4(x);
  if (op == NEG) return f32x4.neg(x);
  if (op == ABS) return f32x4.abs(x);
  if (op == SQRT) return f32x4.sqrt(x);
  if (op == RECIPROCAL) return f32x4.div(splat(1.0), x);
  if (op == HARD_SIGMOID) return f32x4.max(splat(0.0), f32x4.min(splat(1.0), fmadd(x, p0, p1)));
  if (op == HARD_SWISH) {
    return f32x4.mul(x, f32x4.max(splat(0.0), f32x4.min(splat(1.0), fmadd(x, splat(<f32>(1.0 / 6.0)), splat(0.5)))));
  }
  if (op == GELU) {
    const e = erf4(f32x4.mul(x, splat(0.70710678118654752)));
    return f32x4.mul(f32x4.mul(x, splat(0.5)), f32x4.add(e, splat(1.0)));
  }
  if (op == GELU_TANH) {
    const u = f32x4.mul(fmadd(f32x4.mul(x, x), splat(0.044715), splat(1.0)), f32x4.mul(x, splat(0.79788456080286536)));
    return f32x4.mul(f32x4.mul(x, splat(0.5)), f32x4.add(tanh4(u), splat(1.0)));
  }
  if (op == FLOOR) return f32x4.floor(x);
  if (op == CEIL) return f32x4.ceil(x);
  if (op == SOFTSIGN) return f32x4.div(x, f32x4.add(splat(1.0), f32x4.abs(x)));
  // LOG, SIN, COS and SOFTPLUS: scalar per lane.
  if (op == SIN) {
    let r = splat(Mathf.sin(f32x4.extract_lane(x, 0)));
    r = f32x4.replace_lane(r, 1, Mathf.sin(f32x4.extract_lane(x, 1)));
    r = f32x4.replace_lane(r, 2, Mathf.sin(f32x4.extract_lane(x, 2)));
    return f32x4.replace_lane(r, 3, Mathf.sin(f32x4.extract_lane(x, 3)));
  }
  if (op == COS) {
    let r = splat(Mathf.cos(f32x4.extract_lane(x, 0)));
    r = f32x4.replace_lane(r, 1, Mathf.cos(f32x4.extract_lane(x, 1)));
    r = f32x4.replace_lane(r, 2, Mathf.cos(f32x4.extract_lane(x, 2)));
    return f32x4.replace_lane(r, 3, Mathf.cos(f32x4.extract_lane(x, 3)));
  }
  if (op == LOG) {
    let r = splat(Mathf.log(f32x4.extract_lane(x, 0)));
    r = f32x4.replace_lane(r, 1, Mathf.log(f32x4.extract_lane(x, 1)));
    r = f32x4.replace_lane(r, 2, Mathf.log(f32x4.extract_lane(x, 2)));
    return f32x4.replace_lane(r, 3, Mathf.log(f32x4.extract_lane(x, 3)));
  }
  let r = splat(softplus1(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, softplus1(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, softplus1(f32x4.extract_lane(x, 2)));
  return f32x4.replace_lane(r, 3, softplus1(f32x4.extract_lane(x, 3)));
}

/** Unary loop over [start, end); the tail goes through the same SIMD function lane 0. */
// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, out: usize, q0: f32, q1: f32, start: i32, end: i32): void {
  const p0 = splat(q0); const p1 = splat(q1);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const k = <usize>i << 2;
    v128.store(out + k, vun(op, v128.load(x + k), p0, p1));
  }
  for (; i < end; i++) {
    const k = <usize>i << 2;
    store<f32>(out + k, f32x4.extract_lane(vun(op, splat(load<f32>(x + k)), p0, p1), 0));
  }
}

/**
 * out[i] = f(x[i]) for i in [start, end); `p0`/`p1` are the op's parameters (LeakyRelu alpha; Clip
 * min, max; HardSigmoid alpha, beta). Codes: 0 Relu, 1 LeakyRelu, 2 Clip, 3 Sigmoid, 4 Tanh, 5 Erf,
 * 6 Exp, 7 Log, 8 Neg, 9 Abs, 10 Sqrt, 11 Reciprocal, 12 HardSigmoid, 13 HardSwish, 14 Gelu,
 * 15 Gelu (tanh approximation), 16 Softplus, 17 Floor, 18 Ceil, 19 Sin, 20 Cos, 21 Softsign.
 */
export function unary_f32(op: i32, x: usize, out: usize, p0: f32, p1: f32, start: i32, end: i32): void {
  switch (op) {
    case RELU: unaryLoop(RELU, x, out, p0, p1, start, end); break;
    case LEAKY_RELU: unaryLoop(LEAKY_RELU, x, out, p0, p1, start, end); break;
    case CLIP: unaryLoop(CLIP, x, out, p0, p1, start, end); break;
    case SIGMOID: unaryLoop(SIGMOID, x, out, p0, p1, start, end); break;
    case TANH: unaryLoop(TANH, x, out, p0, p1, start, end); break;
    case ERF: unaryLoop(ERF, x, out, p0, p1, start, end); break;
    case EXP: unaryLoop(EXP, x, out, p0, p1, start, end); break;
    case LOG: unaryLoop(LOG, x, out, p0, p1, start, end); break;
    case NEG: unaryLoop(NEG, x, out, p0, p1, start, end); break;
    case ABS: unaryLoop(ABS, x, out, p0, p1, start, end); break;
    case SQRT: unaryLoop(SQRT, x, out, p0, p1, start, end); break;
    case RECIPROCAL: unaryLoop(RECIPROCAL, x, out, p0, p1, start, end); break;
    case HARD_SIGMOID: unaryLoop(HARD_SIGMOID, x, out, p0, p1, start, end); break;
    case HARD_SWISH: unaryLoop(HARD_SWISH, x, out, p0, p1, start, end); break;
    case GELU: unaryLoop(GELU, x, out, p0, p1, start, end); break;
    case GELU_TANH: unaryLoop(GELU_TANH, x, out, p0, p1, start, end); break;
    case SOFTPLUS: unaryLoop(SOFTPLUS, x, out, p0, p1, start, end); break;
    case FLOOR: unaryLoop(FLOOR, x, out, p0, p1, start, end); break;
    case CEIL: unaryLoop(CEIL, x, out, p0, p1, start, end); break;
    case SIN: unaryLoop(SIN, x, out, p0, p1, start, end); break;
    case COS: unaryLoop(COS, x, out, p0, p1, start, end); break;
    default: unaryLoop(SOFTSIGN, x, out, p0, p1, start, end); break;
  }
}

/**
 * Per-channel affine map out = x · scale[c] + shift[c] over rows [start, end) of `inner` elements,
 * row r belonging to channel r mod C (NCHW with inner = spatial size): inference
 * BatchNormalization with its statistics folded into scale and shift.
 */
export function channel_affine_f32(x: usize, scale: usize, shift: usize, out: usize, C: i32, inner: i32,
  start: i32, end: i32): void {
  for (let r = start; r < end; r++) {
    const c = <usize>(r % C) << 2;
    const ss = load<f32>(scale + c); const ts = load<f32>(shift + c);
    const s = splat(ss); const t = splat(ts);
    const base = <usize>r * <usize>inner << 2;
    const xr = x + base; const orow = out + base;
    let j = 0;
    for (; j + 8 <= inner; j += 8) {
      const k = <usize>j << 2;
      v128.store(orow + k, fmadd(v128.load(xr + k), s, t));
      v128.store(orow + k, fmadd(v128.load(xr + k, 16), s, t), 16);
    }
    for (; j + 4 <= inner; j += 4) { const k = <usize>j << 2; v128.store(orow + k, fmadd(v128.load(xr + k), s, t)); }
    for (; j < inner; j++) {
      const k = <usize>j << 2;
      store<f32>(orow + k, f32x4.extract_lane(fmadd(splat(load<f32>(xr + k)), s, t), 0));
    }
  }
}
