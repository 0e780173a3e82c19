// Requantization helpers shared by the int8 kernels (not re-exported by the module index).
// Source: ONNX QuantizeLinear (round half to even, saturate).

/**
 * Requantizes four int32 lanes (bias added): float64 acc·scale + zy (sLo/sHi: the scales of lanes
 * 0-1 and 2-3), rounded half to even, truncated with saturation to int32. The callers' saturating
 * narrows to int16 then 8 bits clamp to the output type's range.
 */
// @ts-ignore: decorator
@inline export function requant4(acc: v128, sLo: v128, sHi: v128, zy: v128): v128 {
  let a = f64x2.convert_low_i32x4_s(acc);
  let b = f64x2.convert_low_i32x4_s(i32x4.shuffle(acc, acc, 2, 3, 0, 1));
  a = f64x2.nearest(f64x2.add(f64x2.mul(a, sLo), zy));
  b = f64x2.nearest(f64x2.add(f64x2.mul(b, sHi), zy));
  const ia = i32x4.trunc_sat_f64x2_s_zero(a); const ib = i32x4.trunc_sat_f64x2_s_zero(b);
  return v128.shuffle<i32>(ia, ib, 0, 1, 4, 5);
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

