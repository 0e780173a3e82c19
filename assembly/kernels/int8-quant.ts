// Per-tensor QuantizeLinear / DequantizeLinear over blocks of 1024 elements [start, end).
// Quantize: q = saturate(round_half_even(x / scale) + zp) with the quotient in float32;
// dequantize: y = (q − zp) · scale in float32 (both as the ONNX reference computes them).
// Source: ONNX operator spec (QuantizeLinear, DequantizeLinear).

const BLOCK: i32 = 1024;

/** Elements per parallel block of the quantize kernels. */
export function int8_quant_block(): i32 { return BLOCK; }

/** float32 x[n] → uint8/int8 y[n] (signed), per-tensor scale and zero point. */
export function int8_quantize(x: usize, n: i32, scale: f32, zp: i32, signed: bool, y: usize, start: i32, end: i32): void {
  const s = f32x4.splat(scale); const z = i32x4.splat(zp);
  const lo = i32x4.splat(signed ? -128 : 0); const hi = i32x4.splat(signed ? 127 : 255);
  const e = min(n, end * BLOCK);
  let i = start * BLOCK;
  for (; i + 8 <= e; i += 8) {
    const p = x + (<usize>i << 2);
    const a = i32x4.min_s(i32x4.max_s(i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(p), s))), z), lo), hi);
    const b = i32x4.min_s(i32x4.max_s(i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(p, 16), s))), z), lo), hi);
    const h = i16x8.narrow_i32x4_s(a, b);
    v128.store64_lane(y + <usize>i, signed ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h), 0);
  }
  for (; i < e; i++) {
    const q = <i32>nearest<f32>(load<f32>(x + (<usize>i << 2)) / scale) + zp;
    store<i8>(y + <usize>i, <i8>min(max(q, signed ? -128 : 0), signed ? 127 : 255));
  }
}

/** uint8/int8 x[n] (signed) → float32 y[n] = (x − zp) · scale. */
export function int8_dequantize(x: usize, n: i32, scale: f32, zp: i32, signed: bool, y: usize, start: i32, end: i32): void {
  const s = f32x4.splat(scale); const z = i32x4.splat(zp);
  const e = min(n, end * BLOCK);
  let i = start * BLOCK;
  for (; i + 8 <= e; i += 8) {
    const b = v128.load64_zero(x + <usize>i);
    const h = signed ? i16x8.extend_low_i8x16_s(b) : i16x8.extend_low_i8x16_u(b);
    const p = y + (<usize>i << 2);
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(h), z)), s));
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(h), z)), s), 16);
  }
  for (; i < e; i++) {
    const v = signed ? <i32>load<i8>(x + <usize>i) : <i32>load<u8>(x + <usize>i);
    store<f32>(y + (<usize>i << 2), <f32>(v - zp) * scale);
  }
}
