// Shared SIMD helpers for every kernel. Both builds compile this file: the relaxed build
// (`--enable relaxed-simd`) gets a fused multiply-add, the baseline build a separate mul + add.

/** a * b + c, lane-wise: `f32x4.relaxed_madd` in the relaxed build, mul then add otherwise. */
// @ts-ignore: decorator
@inline export function fmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** First byte past the module's static data: where the JavaScript-side allocator starts. */
export function heap_base(): usize {
  return __heap_base;
}

/** 1 in the relaxed-SIMD build, 0 in the baseline SIMD128 build. */
export function relaxed_build(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
