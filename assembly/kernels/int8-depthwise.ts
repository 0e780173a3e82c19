// Direct int8 depthwise convolution (one input and one output channel per group), NCHW.
// Two passes: `int8_dw_pad` widens each channel plane to int16 with the input zero point
// subtracted into a zero-padded plane (Hp × Wp, padding and a tail of slack are 0), then
// `int8_dw_conv` computes 8 output columns at a time: per kernel tap one int16x8 load (stride 1)
// or two loads de-interleaved to the even lanes (stride 2), `i32x4.extmul_*_i16x8_s` against the
// tap's weight broadcast, int32 accumulation, then the requantization epilogue of the GEMM.
// Source: ONNX QLinearConv spec; the XNNPACK QS8 depthwise micro-kernel idea (widen, multiply,
// accumulate in int32 per output channel).
import { requant4, storePart8 } from './int8-requant';

/**
 * Pads channels [start, end) of x [C, H, W] (uint8/int8) into int16 planes of Hp × Wp at dst,
 * element (pt + iy, pl + ix) = x − zp, all else 0.
 */
export function int8_dw_pad(x: usize, h: i32, w: i32, hp: i32, wp: i32, pt: i32, pl: i32, signed: bool, zp: i32,
  dst: usize, start: i32, end: i32): void {
  const plane = <usize>hp * <usize>wp;
  for (let c = start; c < end; c++) {
    const out = dst + (<usize>c * plane << 1);
    memory.fill(out, 0, plane << 1);
    const src = x + <usize>c * <usize>h * <usize>w;
    for (let iy = 0; iy < h; iy++) {
      const row = src + <usize>iy * <usize>w;
      const o = out + ((<usize>(pt + iy) * <usize>wp + <usize>pl) << 1);
      let ix = 0;
      const z = i16x8.splat(<i16>zp);
      for (; ix + 8 <= w; ix += 8) {
        const b = v128.load64_zero(row + <usize>ix);
        v128.store(o + (<usize>ix << 1), i16x8.sub(signed ? i16x8.extend_low_i8x16_s(b) : i16x8.extend_low_i8x16_u(b), z));
      }
      for (; ix < w; ix++) {
        const v = signed ? <i32>load<i8>(row + <usize>ix) : <i32>load<u8>(row + <usize>ix);
        store<i16>(o + (<usize>ix << 1), <i16>(v - zp));
      }
    }
  }
}

/**
 * Depthwise convolution of channels [start, end) over padded int16 planes (from int8_dw_pad),
 * weights wts int16 [C, KH·KW] (zero point subtracted), stride sh × sw (sw 1 or 2), dilation
 * dh × dw. bias: int32 per channel or 0; scale: float64 per channel; output y [C, OH, OW]
 * uint8 (outSigned 0) or int8 with zero point zy, saturated to the type's range.
 */
export function int8_dw_conv(xp: usize, hp: i32, wp: i32, wts: usize, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, bias: usize, scale: usize, zy: f64, outSigned: bool, y: usize, start: i32, end: i32): void {
  const plane = <usize>hp * <usize>wp;
  const kk = kh * kw;
  const vz = f64x2.splat(zy);
  for (let c = start; c < end; c++) {
    const src = xp + (<usize>c * plane << 1);
    const wc = wts + (<usize>c * <usize>kk << 1);
    const b0 = bias ? i32x4.splat(load<i32>(bias + (<usize>c << 2))) : i32x4.splat(0);
    const s = v128.load64_splat(scale + (<usize>c << 3));
    const out = y + <usize>c * <usize>oh * <usize>ow;
    const w0 = v128.load16_splat(wc); const w1 = v128.load16_splat(wc, 2); const w2 = v128.load16_splat(wc, 4);
    const w3 = v128.load16_splat(wc, 6); const w4 = v128.load16_splat(wc, 8); const w5 = v128.load16_splat(wc, 10);
    const w6 = v128.load16_splat(wc, 12); const w7 = v128.load16_splat(wc, 14); const w8 = v128.load16_splat(wc, 16);
    for (let oy = 0; oy < oh; oy++) {
      const orow = out + <usize>oy * <usize>ow;
      for (let ox = 0; ox < ow; ox += 8) {
        let a0 = b0; let a1 = b0;
        if (kk == 9) {
          // 3×3: the nine taps unrolled, weights loaded once per channel.
          const r0 = src + ((<usize>(oy * sh) * <usize>wp + <usize>(ox * sw)) << 1);
          const r1 = r0 + (<usize>(dh * wp) << 1); const r2 = r1 + (<usize>(dh * wp) << 1);
          const d = <usize>(dw << 1);
          if (sw == 1) {
            { const v = v128.load(r0); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w0)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w0)); } 
            { const v = v128.load(r0 + d); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w1)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w1)); } 
            { const v = v128.load(r0 + 2 * d); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w2)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w2)); }
            { const v = v128.load(r1); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w3)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w3)); } 
            { const v = v128.load(r1 + d); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w4)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w4)); } 
            { const v = v128.load(r1 + 2 * d); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w5)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w5)); }
            { const v = v128.load(r2); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w6)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w6)); } 
            { const v = v128.load(r2 + d); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w7)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w7)); } 
            { const v = v128.load(r2 + 2 * d); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w8)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w8)); }
          } else {
            { const v = v128.shuffle<i16>(v128.load(r0), v128.load(r0, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w0)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w0)); } 
            { const v = v128.shuffle<i16>(v128.load(r0 + d), v128.load(r0 + d, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w1)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w1)); } 
            { const v = v128.shuffle<i16>(v128.load(r0 + 2 * d), v128.load(r0 + 2 * d, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w2)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w2)); }
            { const v = v128.shuffle<i16>(v128.load(r1), v128.load(r1, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w3)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w3)); } 
            { const v = v128.shuffle<i16>(v128.load(r1 + d), v128.load(r1 + d, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w4)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w4)); } 
            { const v = v128.shuffle<i16>(v128.load(r1 + 2 * d), v128.load(r1 + 2 * d, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w5)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w5)); }
            { const v = v128.shuffle<i16>(v128.load(r2), v128.load(r2, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w6)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w6)); } 
            { const v = v128.shuffle<i16>(v128.load(r2 + d), v128.load(r2 + d, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w7)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w7)); } 
            { const v = v128.shuffle<i16>(v128.load(r2 + 2 * d), v128.load(r2 + 2 * d, 16), 0, 2, 4, 6, 8, 10, 12, 14); a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, w8)); a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, w8)); }
          }
        } else for (let ky = 0; ky < kh; ky++) {
          const row = src + ((<usize>(oy * sh + ky * dh) * <usize>wp + <usize>(ox * sw)) << 1);
          for (let kx = 0; kx < kw; kx++) {
            const p = row + (<usize>(kx * dw) << 1);
            let v: v128;
            if (sw == 1) v = v128.load(p);
            else v = v128.shuffle<i16>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6, 8, 10, 12, 14);
            const ws = v128.load16_splat(wc + (<usize>(ky * kw + kx) << 1));
            a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, ws));
            a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, ws));
          }
        }
        const q0 = requant4(a0, s, s, vz);
        const q1 = requant4(a1, s, s, vz);
        const h = i16x8.narrow_i32x4_s(q0, q1);
        const b8 = outSigned ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
        const n = min(8, ow - ox);
        if (n == 8) v128.store64_lane(orow + <usize>ox, b8, 0);
        else storePart8(orow + <usize>ox, b8, n);
      }
    }
  }
}
