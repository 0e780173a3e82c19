// LayerNormalization over rows of D contiguous floats: two passes (mean, then the mean of squared
// deviations) for a variance that does not cancel, then y = (x - mean) · invstd · scale + bias.
import { fmadd } from '../simd';
import { reduceRow, SUM } from './reduce-row';

// @ts-ignore: decorator
@inline function splat(x: f32): v128 { return f32x4.splat(x); }

/** Σ (p[j] - m)² over `n` contiguous floats. */
// @ts-ignore: decorator
@inline function sumSquares(p: usize, n: i32, m: f32): f32 {
  const vm = splat(m);
  let s0 = splat(0); let s1 = splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const k = <usize>j << 2;
    const d0 = f32x4.sub(v128.load(p + k), vm); const d1 = f32x4.sub(v128.load(p + k, 16), vm);
    s0 = fmadd(d0, d0, s0); s1 = fmadd(d1, d1, s1);
  }
  for (; j + 4 <= n; j += 4) { const d0 = f32x4.sub(v128.load(p + (<usize>j << 2)), vm); s0 = fmadd(d0, d0, s0); }
  const s = f32x4.add(s0, s1);
  let acc = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; j < n; j++) { const d = load<f32>(p + (<usize>j << 2)) - m; acc += d * d; }
  return acc;
}

/**
 * Normalizes rows [start, end) of X (each D floats): y = (x - mean) / sqrt(var + eps) · scale + bias
 * with `scale` (and `bias`, when not 0) D floats each. Writes each row's mean and 1/sqrt(var + eps)
 * to `mean`/`invstd` when those pointers are not 0.
 */
export function layernorm_f32(x: usize, scale: usize, bias: usize, out: usize, mean: usize, invstd: usize,
  D: i32, eps: f32, start: i32, end: i32): void {
  const inv: f32 = <f32>1 / <f32>D;
  for (let r = start; r < end; r++) {
    const base = <usize>r * <usize>D << 2;
    const p = x + base; const o = out + base;
    const m: f32 = reduceRow(SUM, p, D) * inv;
    const is: f32 = <f32>1 / Mathf.sqrt(sumSquares(p, D, m) * inv + eps);
    if (mean != 0) store<f32>(mean + (<usize>r << 2), m);
    if (invstd != 0) store<f32>(invstd + (<usize>r << 2), is);
    const vm = splat(m); const vi = splat(is);
    let j = 0;
    if (bias != 0) {
      for (; j + 4 <= D; j += 4) {
        const k = <usize>j << 2;
        const n = f32x4.mul(f32x4.sub(v128.load(p + k), vm), vi);
        v128.store(o + k, fmadd(n, v128.load(scale + k), v128.load(bias + k)));
      }
      for (; j < D; j++) {
        const k = <usize>j << 2;
        store<f32>(o + k, (load<f32>(p + k) - m) * is * load<f32>(scale + k) + load<f32>(bias + k));
      }
    } else {
      for (; j + 4 <= D; j += 4) {
        const k = <usize>j << 2;
        v128.store(o + k, f32x4.mul(f32x4.mul(f32x4.sub(v128.load(p + k), vm), vi), v128.load(scale + k)));
      }
      for (; j < D; j++) {
        const k = <usize>j << 2;
        store<f32>(o + k, (load<f32>(p + k) - m) * is * load<f32>(scale + k));
      }
    }
  }
}
