// Softmax and LogSoftmax of float32 tensors viewed as [A, D, K], normalizing along D:
// K = 1 for the last axis (and every pre-opset-13 coerced 2-D form), K > 1 for a middle axis.
// Numerically stable: exp(x - max) with the SIMD exp of eltwise-math.
import { exp4 } from './eltwise-math';
import { PMAX, reduceRow } from './reduce-row';

// @ts-ignore: decorator
@inline function splat(x: f32): v128 { return f32x4.splat(x); }

// @ts-ignore: decorator
@inline function exp1(x: f32): f32 { return f32x4.extract_lane(exp4(splat(x)), 0); }

/** Σ exp(x - m) over `n` contiguous floats, writing the exponentials to `o` when `write`. */
// @ts-ignore: decorator
@inline function expSum(write: bool, p: usize, o: usize, n: i32, m: f32): f32 {
  const vm = splat(m);
  let s0 = splat(0); let s1 = splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const k = <usize>j << 2;
    const e0 = exp4(f32x4.sub(v128.load(p + k), vm));
    const e1 = exp4(f32x4.sub(v128.load(p + k, 16), vm));
    if (write) { v128.store(o + k, e0); v128.store(o + k, e1, 16); }
    s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1);
  }
  for (; j + 4 <= n; j += 4) {
    const k = <usize>j << 2;
    const e0 = exp4(f32x4.sub(v128.load(p + k), vm));
    if (write) v128.store(o + k, e0);
    s0 = f32x4.add(s0, e0);
  }
  const s = f32x4.add(s0, s1);
  let acc = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; j < n; j++) {
    const k = <usize>j << 2;
    const e = exp1(load<f32>(p + k) - m);
    if (write) store<f32>(o + k, e);
    acc += e;
  }
  return acc;
}

/** o[j] = p[j] · s + t for `n` contiguous floats. */
// @ts-ignore: decorator
@inline function affine(p: usize, o: usize, n: i32, s: f32, t: f32): void {
  const vs = splat(s); const vt = splat(t);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const k = <usize>j << 2;
    v128.store(o + k, f32x4.add(f32x4.mul(v128.load(p + k), vs), vt));
  }
  for (; j < n; j++) { const k = <usize>j << 2; store<f32>(o + k, load<f32>(p + k) * s + t); }
}

/** Rows [start, end) of `D` contiguous floats. */
// @ts-ignore: decorator
@inline function softmaxRows(log: bool, x: usize, out: usize, D: i32, start: i32, end: i32): void {
  for (let r = start; r < end; r++) {
    const base = <usize>r * <usize>D << 2;
    const p = x + base; const o = out + base;
    const m = reduceRow(PMAX, p, D);
    if (log) {
      const s = expSum(false, p, o, D, m);
      affine(p, o, D, 1, -(m + Mathf.log(s)));
    } else {
      const s = expSum(true, p, o, D, m);
      affine(o, o, D, 1 / s, 0);
    }
  }
}

/** Output positions u = a·K + k in [start, end), 4 columns k at a time, normalizing along D. */
// @ts-ignore: decorator
@inline function softmaxColumns(log: bool, x: usize, out: usize, D: i32, K: i32, start: i32, end: i32): void {
  let u = start;
  while (u < end) {
    const a = u / K; const k0 = u - a * K;
    const k1 = min(K, k0 + (end - u));
    const src = x + (<usize>a * <usize>D * <usize>K << 2);
    const dst = out + (<usize>a * <usize>D * <usize>K << 2);
    let k = k0;
    while (k < k1) {
      const wide = k + 4 <= k1;
      const col = <usize>k << 2;
      const stride = <usize>K << 2;
      let m = splat(-Infinity);
      for (let d = 0; d < D; d++) {
        const q = src + col + <usize>d * stride;
        m = f32x4.pmax(m, wide ? v128.load(q) : splat(load<f32>(q)));
      }
      let s = splat(0);
      for (let d = 0; d < D; d++) {
        const q = src + col + <usize>d * stride;
        const e = exp4(f32x4.sub(wide ? v128.load(q) : splat(load<f32>(q)), m));
        if (!log) { if (wide) v128.store(dst + col + <usize>d * stride, e); else store<f32>(dst + col + <usize>d * stride, f32x4.extract_lane(e, 0)); }
        s = f32x4.add(s, e);
      }
      let shift = splat(0); let scale = splat(1);
      if (log) {
        let lg = f32x4.splat(Mathf.log(f32x4.extract_lane(s, 0)));
        lg = f32x4.replace_lane(lg, 1, Mathf.log(f32x4.extract_lane(s, 1)));
        lg = f32x4.replace_lane(lg, 2, Mathf.log(f32x4.extract_lane(s, 2)));
        lg = f32x4.replace_lane(lg, 3, Mathf.log(f32x4.extract_lane(s, 3)));
        shift = f32x4.neg(f32x4.add(m, lg));
      } else {
        scale = f32x4.div(splat(1), s);
      }
      const from = log ? src : dst;
      for (let d = 0; d < D; d++) {
        const off = col + <usize>d * stride;
        if (wide) v128.store(dst + off, f32x4.add(f32x4.mul(v128.load(from + off), scale), shift));
        else store<f32>(dst + off, f32x4.extract_lane(f32x4.add(f32x4.mul(splat(load<f32>(from + off)), scale), shift), 0));
      }
      k += wide ? 4 : 1;
    }
    u += k1 - k0;
  }
}

/**
 * Softmax (log = 0) or LogSoftmax (log = 1) of X viewed as [A, D, K] along D. With K = 1 the
 * parallel range [start, end) is over the A rows; with K > 1 over the A·K columns.
 */
export function softmax_f32(log: i32, x: usize, out: usize, D: i32, K: i32, start: i32, end: i32): void {
  if (K == 1) {
    if (log != 0) softmaxRows(true, x, out, D, start, end); else softmaxRows(false, x, out, D, start, end);
  } else if (log != 0) softmaxColumns(true, x, out, D, K, start, end);
  else softmaxColumns(false, x, out, D, K, start, end);
}
