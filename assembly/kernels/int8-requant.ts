// Requantization helpers shared by the int8 kernels (not re-exported by the module index).
// Source: ONNX QuantizeLinear (round half to even, saturate).

/**
 * Requantizes four int32 lanes (bias added): float64 acc·scale + zy (sLo/sHi: the scales of lanes
 * 0-1 and 2-3), rounded half to even, saturated to int32. The callers' saturating narrows to
 * int16 then 8 bits clamp to the output type's range.
 * Bit-identical to `trunc_sat(nearest(acc·s + zy))` but cheaper on x64 (V8 lowers `nearest` +
 * `trunc_sat_f64x2_s_zero` to ~7 instructions per pair): the value is clamped to
 * [−2^31, 2^31 − 1] with `pmax`/`pmin` (integer bounds commute with rounding; a NaN passes
 * through and ends as 0, like trunc_sat), then 1.5·2^52 is added, which rounds half to even to
 * an integer in the default rounding mode (the sum lies in [2^52, 2^53), ulp 1), and the integer
 * is the low 32 bits of the sum's bit pattern.
 */
// @ts-ignore: decorator
@inline export function requant4(acc: v128, sLo: v128, sHi: v128, zy: v128): v128 {
  let a = f64x2.convert_low_i32x4_s(acc);
  let b = f64x2.convert_low_i32x4_s(i32x4.shuffle(acc, acc, 2, 3, 0, 1));
  const lo = f64x2.splat(-2147483648.0); const hi = f64x2.splat(2147483647.0);
  const magic = f64x2.splat(6755399441055744.0);
  a = f64x2.add(f64x2.pmin(f64x2.pmax(f64x2.add(f64x2.mul(a, sLo), zy), lo), hi), magic);
  b = f64x2.add(f64x2.pmin(f64x2.pmax(f64x2.add(f64x2.mul(b, sHi), zy), lo), hi), magic);
  return v128.shuffle<i32>(a, b, 0, 2, 4, 6);
}

/** Stores the first `lanes` (0..7) bytes of v at p. */
export function storePart8(p: usize, v: v128, lanes: i32): void {
  if (lanes > 0) store<u8>(p, i8x16.extract_lane_u(v, 0));
  if (lanes > 1) store<u8>(p, i8x16.extract_lane_u(v, 1), 1);
  if (lanes > 2) store<u8>(p, i8x16.extract_lane_u(v, 2), 2);
  if (lanes > 3) store<u8>(p, i8x16.extract_lane_u(v, 3), 3);
  if (lanes > 4) store<u8>(p, i8x16.extract_lane_u(v, 4), 4);
  if (lanes > 5) store<u8>(p, i8x16.extract_lane_u(v, 5), 5);
  if (lanes > 6) store<u8>(p, i8x16.extract_lane_u(v, 6), 6);
}

