// Reductions of float32 tensors viewed as [A, R, K]: the middle axis R is reduced, giving [A, K].
// K = 1 is a contiguous row reduction (ReduceMean over the last axes, global pooling); K > 1 sums
// whole rows of K at a time (reductions over leading or middle axes), both SIMD.

import { identity, reduceRow, sop, vop } from './reduce-row';

const SUM = 0; const MAX = 1; const MIN = 2;

// @ts-ignore: decorator
@inline function reduceAll(op: i32, x: usize, out: usize, R: i32, K: i32, scale: f32, start: i32, end: i32): void {
  if (K == 1) {
    for (let a = start; a < end; a++) {
      store<f32>(out + (<usize>a << 2), reduceRow(op, x + (<usize>a * <usize>R << 2), R) * scale);
    }
    return;
  }
  const vs = f32x4.splat(scale);
  let u = start;
  while (u < end) {
    const a = u / K; const k0 = u - a * K;
    const k1 = min(K, k0 + (end - u));
    const src = x + (<usize>a * <usize>R * <usize>K << 2);
    const dst = out + (<usize>a * <usize>K << 2);
    let k = k0;
    for (; k + 16 <= k1; k += 16) {
      const id = f32x4.splat(identity(op));
      let v0 = id; let v1 = id; let v2 = id; let v3 = id;
      for (let r = 0; r < R; r++) {
        const q = src + (<usize>(r * K + k) << 2);
        v0 = vop(op, v0, v128.load(q)); v1 = vop(op, v1, v128.load(q, 16));
        v2 = vop(op, v2, v128.load(q, 32)); v3 = vop(op, v3, v128.load(q, 48));
      }
      const o = dst + (<usize>k << 2);
      v128.store(o, f32x4.mul(v0, vs)); v128.store(o, f32x4.mul(v1, vs), 16);
      v128.store(o, f32x4.mul(v2, vs), 32); v128.store(o, f32x4.mul(v3, vs), 48);
    }
    for (; k + 4 <= k1; k += 4) {
      let v0 = f32x4.splat(identity(op));
      for (let r = 0; r < R; r++) v0 = vop(op, v0, v128.load(src + (<usize>(r * K + k) << 2)));
      v128.store(dst + (<usize>k << 2), f32x4.mul(v0, vs));
    }
    for (; k < k1; k++) {
      let acc = identity(op);
      for (let r = 0; r < R; r++) acc = sop(op, acc, load<f32>(src + (<usize>(r * K + k) << 2)));
      store<f32>(dst + (<usize>k << 2), acc * scale);
    }
    u += k1 - k0;
  }
}

/**
 * out[a, k] = scale · reduce_r x[a, r, k] for output elements u = a·K + k in [start, end).
 * `op`: 0 sum, 1 max, 2 min; `scale` is 1/R for a mean, else 1. R = 0 gives the identity
 * (0, -Inf, +Inf) times `scale`.
 */
export function reduce_f32(op: i32, x: usize, out: usize, R: i32, K: i32, scale: f32, start: i32, end: i32): void {
  if (op == SUM) reduceAll(SUM, x, out, R, K, scale, start, end);
  else if (op == MAX) reduceAll(MAX, x, out, R, K, scale, start, end);
  else reduceAll(MIN, x, out, R, K, scale, start, end);
}
