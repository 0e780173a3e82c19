// The activation epilogue shared by the GEMM, conv and depthwise kernels: one template,
// `activate<A>(x, p0, p1)`, whose type argument is an activation marker class (Relu, Clip, ...).
// Each exported kernel switches once on the runtime code (ACT_*, matching `ACTIVATION_CODES` in
// src/backends/wasm/kernels/gemm-core.ts) to a loop nest instantiated per marker, so every
// specialization is compiled with its branches resolved by the compiler (`idof` comparisons are
// constants). A value parameter would not do: the optimizer merges switch arms that differ only in
// a constant back into one body with a runtime test per element.
//
// Sources: ONNX operator spec (Relu, Clip, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Gelu);
// exp after Cephes `expf` (range reduction by ln 2, degree-5 polynomial); tanh and erf as the
// rational approximations of Eigen's `ptanh_float` / `perf_float` (odd numerator, even
// denominator, clamped domain).
import { fmadd } from '../simd';
import { erf4 } from './eltwise-math';

export const ACT_NONE: i32 = 0;
export const ACT_RELU: i32 = 1;
/** Clip(p0 = min, p1 = max); Relu6 is Clip(0, 6). */
export const ACT_CLIP: i32 = 2;
export const ACT_SIGMOID: i32 = 3;
/** HardSigmoid(p0 = alpha, p1 = beta): max(0, min(1, alpha·x + beta)). */
export const ACT_HARD_SIGMOID: i32 = 4;
/** HardSwish: x · max(0, min(1, x/6 + 1/2)). */
export const ACT_HARD_SWISH: i32 = 5;
/** LeakyRelu(p0 = alpha). */
export const ACT_LEAKY_RELU: i32 = 6;
export const ACT_TANH: i32 = 7;
/** Gelu, erf form: x/2 · (1 + erf(x/√2)). */
export const ACT_GELU_ERF: i32 = 8;
/** Gelu, tanh form: x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export const ACT_GELU_TANH: i32 = 9;

/** Activation markers: type arguments of {@link activate}, never instantiated. */
export class Identity {}
export class Relu {}
export class Clip {}
export class Sigmoid {}
export class HardSigmoid {}
export class HardSwish {}
export class LeakyRelu {}
export class Tanh {}
export class GeluErf {}
export class GeluTanh {}

// @ts-ignore: decorator
@inline function splat(v: f32): v128 {
  return f32x4.splat(v);
}

/** e^x lane-wise, relative error ~2e-7 on [-87, 88] (clamped outside). */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, splat(-87.0)), splat(88.0));
  const fx = f32x4.nearest(f32x4.mul(x, splat(1.44269504088896341)));
  // r = x - fx·ln2, ln2 split in a hi part exact in float and a lo correction.
  let r = fmadd(fx, splat(-0.693359375), x);
  r = fmadd(fx, splat(2.12194440e-4), r);
  let p = fmadd(splat(1.9875691500e-4), r, splat(1.3981999507e-3));
  p = fmadd(p, r, splat(8.3334519073e-3));
  p = fmadd(p, r, splat(4.1665795894e-2));
  p = fmadd(p, r, splat(1.6666665459e-1));
  p = fmadd(p, r, splat(5.0000001201e-1));
  p = fmadd(p, f32x4.mul(r, r), f32x4.add(r, splat(1)));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2);
}

/** tanh lane-wise (rational approximation on [-9, 9], ±1 beyond; x itself for |x| < 4e-4). */
// @ts-ignore: decorator
@inline export function tanh4(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, splat(-9.0)), splat(9.0));
  const x2 = f32x4.mul(x, x);
  let p = fmadd(x2, splat(-2.76076847742355e-16), splat(2.00018790482477e-13));
  p = fmadd(p, x2, splat(-8.60467152213735e-11));
  p = fmadd(p, x2, splat(5.12229709037114e-08));
  p = fmadd(p, x2, splat(1.48572235717979e-05));
  p = fmadd(p, x2, splat(6.37261928875436e-04));
  p = fmadd(p, x2, splat(4.89352455891786e-03));
  p = f32x4.mul(p, x);
  let q = fmadd(x2, splat(1.19825839466702e-06), splat(1.18534705686654e-04));
  q = fmadd(q, x2, splat(2.26843463243900e-03));
  q = fmadd(q, x2, splat(4.89352518554385e-03));
  const t = f32x4.div(p, q);
  const tiny = f32x4.lt(f32x4.abs(x0), splat(0.0004));
  return v128.bitselect(x0, t, tiny);
}

/** The activation A (a marker class) of four lanes; p0/p1 are its parameters (see ACT_*). */
// @ts-ignore: decorator
@inline export function activate<A>(x: v128, p0: f32, p1: f32): v128 {
  if (idof<A>() == idof<Relu>()) return f32x4.pmax(x, f32x4.splat(0));
  if (idof<A>() == idof<Clip>()) return f32x4.pmin(f32x4.pmax(x, splat(p0)), splat(p1));
  if (idof<A>() == idof<Sigmoid>()) return f32x4.div(splat(1), f32x4.add(splat(1), exp4(f32x4.neg(x))));
  if (idof<A>() == idof<HardSigmoid>()) {
    return f32x4.pmin(f32x4.pmax(fmadd(x, splat(p0), splat(p1)), f32x4.splat(0)), splat(1));
  }
  if (idof<A>() == idof<HardSwish>()) {
    const g = f32x4.pmin(f32x4.pmax(fmadd(x, splat(<f32>(1.0 / 6.0)), splat(0.5)), f32x4.splat(0)), splat(1));
    return f32x4.mul(x, g);
  }
  if (idof<A>() == idof<LeakyRelu>()) return v128.bitselect(f32x4.mul(x, splat(p0)), x, f32x4.lt(x, f32x4.splat(0)));
  if (idof<A>() == idof<Tanh>()) return tanh4(x);
  if (idof<A>() == idof<GeluErf>()) {
    const e = erf4(f32x4.mul(x, splat(0.70710678118654752)));
    return f32x4.mul(f32x4.mul(x, splat(0.5)), f32x4.add(e, splat(1)));
  }
  if (idof<A>() == idof<GeluTanh>()) {
    const x3 = f32x4.mul(f32x4.mul(x, x), x);
    const t = tanh4(f32x4.mul(fmadd(x3, splat(0.044715), x), splat(0.79788456080286536)));
    return f32x4.mul(f32x4.mul(x, splat(0.5)), f32x4.add(t, splat(1)));
  }
  return x;
}

/** Whether A is the identity (no activation). */
// @ts-ignore: decorator
@inline export function isIdentity<A>(): bool {
  return idof<A>() == idof<Identity>();
}

/** The activation with a runtime code, for paths not specialized per activation. */
export function activateAny(act: i32, v: v128, p0: f32, p1: f32): v128 {
  switch (act) {
    case ACT_RELU: return activate<Relu>(v, p0, p1);
    case ACT_CLIP: return activate<Clip>(v, p0, p1);
    case ACT_SIGMOID: return activate<Sigmoid>(v, p0, p1);
    case ACT_HARD_SIGMOID: return activate<HardSigmoid>(v, p0, p1);
    case ACT_HARD_SWISH: return activate<HardSwish>(v, p0, p1);
    case ACT_LEAKY_RELU: return activate<LeakyRelu>(v, p0, p1);
    case ACT_TANH: return activate<Tanh>(v, p0, p1);
    case ACT_GELU_ERF: return activate<GeluErf>(v, p0, p1);
    case ACT_GELU_TANH: return activate<GeluTanh>(v, p0, p1);
    default: return v;
  }
}
