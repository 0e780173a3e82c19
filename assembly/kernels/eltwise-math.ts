// SIMD transcendental functions of the elementwise kernels, four float32 lanes at a time, each
// within ~5e-7 relative of the exact value over the float32 range (measured against double
// precision). Sources: Cephes `expf` (S. Moshier) for exp; Eigen's `generic_fast_tanh_float` and
// `generic_fast_erf_float` rational approximations for tanh and erf.
import { fmadd } from '../simd';

// @ts-ignore: decorator
@inline function splat(x: f32): v128 { return f32x4.splat(x); }

/**
 * e^x lane-wise: Cephes range reduction x = n·ln2 + r, a degree-6 polynomial of r, and the scale
 * 2^n applied in two halves so that results between the float32 minimum and maximum (denormals
 * included) come out right; overflow gives +Inf, NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function exp4(x0: v128): v128 {
  const x1 = f32x4.max(f32x4.min(x0, splat(88.8)), splat(-104.0));
  const n = f32x4.nearest(f32x4.mul(x1, splat(1.44269504088896341)));
  let r = fmadd(n, splat(-0.693359375), x1);
  r = fmadd(n, splat(2.12194440e-4), r);
  const z = f32x4.mul(r, r);
  let y = fmadd(splat(1.9875691500e-4), r, splat(1.3981999507e-3));
  y = fmadd(y, r, splat(8.3334519073e-3));
  y = fmadd(y, r, splat(4.1665795894e-2));
  y = fmadd(y, r, splat(1.6666665459e-1));
  y = fmadd(y, r, splat(5.0000001201e-1));
  y = f32x4.add(fmadd(y, z, r), splat(1.0));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const h = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

/** 1 / (1 + e^-x) lane-wise. */
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  return f32x4.div(splat(1.0), f32x4.add(splat(1.0), exp4(f32x4.neg(x))));
}

/**
 * tanh(x) lane-wise: x·P(x²)/Q(x²) with P of degree 6 and Q of degree 3 in x², inputs clamped to
 * ±7.905 (tanh is ±1 in float32 beyond); one division, no exp.
 */
// @ts-ignore: decorator
@inline export function tanh4(x0: v128): v128 {
  const x = f32x4.max(f32x4.min(x0, splat(7.90531110763549805)), splat(-7.90531110763549805));
  const x2 = f32x4.mul(x, x);
  let p = fmadd(x2, splat(-2.76076847742355e-16), splat(2.00018790482477e-13));
  p = fmadd(x2, p, splat(-8.60467152213735e-11));
  p = fmadd(x2, p, splat(5.12229709037114e-08));
  p = fmadd(x2, p, splat(1.48572235717979e-05));
  p = fmadd(x2, p, splat(6.37261928875436e-04));
  p = fmadd(x2, p, splat(4.89352455891786e-03));
  p = f32x4.mul(x, p);
  let q = fmadd(x2, splat(1.19825839466702e-06), splat(1.18534705686654e-04));
  q = fmadd(x2, q, splat(2.26843463243900e-03));
  q = fmadd(x2, q, splat(4.89352518554385e-03));
  return f32x4.div(p, q);
}

/**
 * erf(x) lane-wise: x·P(x²)/Q(x²) with P of degree 6 and Q of degree 4 in x², inputs clamped to
 * [-4, 4] (erf is ±1 in float32 beyond).
 */
// @ts-ignore: decorator
@inline export function erf4(x0: v128): v128 {
  const x = f32x4.max(f32x4.min(x0, splat(4.0)), splat(-4.0));
  const x2 = f32x4.mul(x, x);
  let p = fmadd(x2, splat(-2.72614225801306e-10), splat(2.77068142495902e-08));
  p = fmadd(x2, p, splat(-2.10102402082508e-06));
  p = fmadd(x2, p, splat(-5.69250639462346e-05));
  p = fmadd(x2, p, splat(-7.34990630326855e-04));
  p = fmadd(x2, p, splat(-2.95459980854025e-03));
  p = fmadd(x2, p, splat(-1.60960333262415e-02));
  p = f32x4.mul(x, p);
  let q = fmadd(x2, splat(-1.45660718464996e-05), splat(-2.13374055278905e-04));
  q = fmadd(x2, q, splat(-1.68282697438203e-03));
  q = fmadd(x2, q, splat(-7.37332916720468e-03));
  q = fmadd(x2, q, splat(-1.42647390514189e-02));
  return f32x4.div(p, q);
}
