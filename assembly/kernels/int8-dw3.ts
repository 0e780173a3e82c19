// Direct int8 3×3 depthwise convolution (dilation 1, stride 1 or 2 in both dims), NCHW, on
// `i32x4.dot_i16x8_s`: two kernel taps per multiply, each lane doing 2 MACs.
//
// `padPlane` widens each channel to int16 (input zero point subtracted) into a zero-padded
// plane stored as interleaved ROW PAIRS: pair-row q holds padded rows 2q and 2q+1 column by
// column, element (r, x) at int16 index (r >> 1)·2·Wp + 2x + (r & 1). One 16-byte load at column
// x of pair-row q is then the four (row 2q, row 2q+1) pairs of columns x..x+3, and `dot_i16x8_s`
// against the broadcast weight pair (w[ky][kx], w[ky+1][kx]) adds two taps to four outputs.
// `convPlane` computes two output rows per pass:
//   stride 1 (rows oy, oy+1 read padded rows oy..oy+3 = pair-rows A = oy/2, B = A+1):
//     row oy   += A·(w0k, w1k) + B·(w2k, 0);   row oy+1 += A·(0, w0k) + B·(w1k, w2k)
//   stride 2 (row oy reads padded rows 2oy..2oy+2 = pair-rows oy, oy+1):
//     row oy   += P[oy]·(w0k, w1k) + P[oy+1]·(w2k, 0);  row oy+1 likewise from P[oy+1], P[oy+2]
// (wYk: weight at kernel row Y, column k), 8 columns per step accumulated straight into four
// int32x4 (bias-initialized); stride 2 gathers even columns with a shuffle of two loads. When
// OW ≥ 8 a partial last column group restarts at OW − 8, so every store is 8 bytes. int32 accumulation is exact (|pair sum| ≤ 2·255²); the epilogue is the GEMM's
// requantization (float64, round half to even, saturating narrows), so results are bit-identical
// to the generic kernels. Source: ONNX QLinearConv spec; XNNPACK's QS8 depthwise micro-kernels
// (widen to int16, multiply-accumulate in int32).
import { requant4, storePart8 } from './int8-requant';

/**
 * Pads one channel src [H, W] (uint8, or int8 when `signed`) into the row-pair int16 plane of
 * Hp × Wp (Hp even) at out: padded element (pt + iy, pl + ix) = src − zp, all else 0.
 */
// @ts-ignore: decorator
@inline function padPlane(src: usize, h: i32, w: i32, hp: i32, wp: i32, pt: i32, pl: i32, signed: bool, zp: i32, out: usize): void {
  const plane = <usize>hp * <usize>wp << 1;
  const z = i16x8.splat(<i16>zp);
  const zero = i16x8.splat(0);
  const prow = <usize>wp << 2;
  const q0 = pt >> 1; const q1 = (pt + h + 1) >> 1;
  memory.fill(out, 0, plane);
  for (let q = q0; q < q1; q++) {
    const iy0 = 2 * q - pt; const iy1 = iy0 + 1;
    const ok0 = iy0 >= 0 && iy0 < h; const ok1 = iy1 >= 0 && iy1 < h;
    const r0 = src + <usize>iy0 * <usize>w; const r1 = src + <usize>iy1 * <usize>w;
    const line = out + <usize>q * prow;
    const o = line + (<usize>pl << 2);
    let ix = 0;
    for (; ix + 8 <= w; ix += 8) {
      let v0 = zero; let v1 = zero;
      if (ok0) { const b = v128.load64_zero(r0 + <usize>ix); v0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(b) : i16x8.extend_low_i8x16_u(b), z); }
      if (ok1) { const b = v128.load64_zero(r1 + <usize>ix); v1 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(b) : i16x8.extend_low_i8x16_u(b), z); }
      const p = o + (<usize>ix << 2);
      v128.store(p, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(p, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    }
    for (; ix < w; ix++) {
      const p = o + (<usize>ix << 2);
      if (ok0) store<i16>(p, <i16>((signed ? <i32>load<i8>(r0 + <usize>ix) : <i32>load<u8>(r0 + <usize>ix)) - zp));
      if (ok1) store<i16>(p, <i16>((signed ? <i32>load<i8>(r1 + <usize>ix) : <i32>load<u8>(r1 + <usize>ix)) - zp), 2);
    }
  }
}

/** An i16x8 of the pair (a, b) repeated four times. */
// @ts-ignore: decorator
@inline function pair(a: i32, b: i32): v128 {
  return i32x4.splat((a & 0xffff) | (b << 16));
}

/** Stride 2: the row pairs of the even columns x, x+2, x+4, x+6 of one pair-row, x at byte p. */
// @ts-ignore: decorator
@inline function taps(p: usize): v128 {
  return v128.shuffle<i32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

/** Requantizes 8 int32 lanes (lo, hi) and stores min(8, n) bytes at p. */
// @ts-ignore: decorator
@inline function finish8(p: usize, lo: v128, hi: v128, s: v128, vz: v128, outSigned: bool, n: i32): void {
  const h = i16x8.narrow_i32x4_s(requant4(lo, s, s, vz), requant4(hi, s, s, vz));
  const b8 = outSigned ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
  if (n >= 8) v128.store64_lane(p, b8, 0);
  else storePart8(p, b8, n);
}

/**
 * 3×3 depthwise convolution of channels [start, end) of x [C, H, W], one channel at a time:
 * padPlane then convPlane (arguments as theirs; pt, pl: top and left pads). Every channel of the
 * range is padded into the one plane of channel `start` in the plane buffer xp (C planes of
 * Hp × Wp int16, plus 64 bytes of slack), which stays in L1/L2 from its writing to its reading;
 * padding every channel first (several hundred KB at 112×112) and then convolving measured
 * 3-5% slower on MobileNet v1's depthwise layers.
 */
export function int8_dw3(x: usize, h: i32, w: i32, hp: i32, wp: i32, pt: i32, pl: i32, signed: bool, zp: i32, xp: usize,
  wts: usize, s: i32, oh: i32, ow: i32, bias: usize, scale: usize, zy: f64, outSigned: bool, y: usize, start: i32, end: i32): void {
  const slot = xp + <usize>start * (<usize>hp * <usize>wp << 1);
  for (let c = start; c < end; c++) {
    padPlane(x + <usize>c * <usize>h * <usize>w, h, w, hp, wp, pt, pl, signed, zp, slot);
    convPlane(slot, hp, wp, wts, s, oh, ow, bias, scale, zy, outSigned, y, c);
  }
}

/**
 * 3×3 depthwise convolution of channel c over its row-pair plane at src from padPlane (Hp × Wp;
 * the caller sizes it so every tap of 8-column groups and of a row pair is inside, plus 64 bytes
 * of readable slack after it), stride s (1 or 2) in both dims, weights wts int16 [C, 9] (zero
 * point subtracted). bias: int32 per channel or 0; scale: float64 per channel; writes channel c
 * of y [C, OH, OW], uint8 (outSigned 0) or int8 with zero point zy, saturated.
 */
// @ts-ignore: decorator
@inline function convPlane(src: usize, hp: i32, wp: i32, wts: usize, s: i32, oh: i32, ow: i32,
  bias: usize, scale: usize, zy: f64, outSigned: bool, y: usize, c: i32): void {
  const prow = <usize>wp << 2;
  const s2 = s == 2;
  const vz = f64x2.splat(zy);
  const wc = wts + <usize>c * 18;
  const b0 = bias ? i32x4.splat(load<i32>(bias + (<usize>c << 2))) : i32x4.splat(0);
  const sc = v128.load64_splat(scale + (<usize>c << 3));
  const w00 = <i32>load<i16>(wc); const w01 = <i32>load<i16>(wc, 2); const w02 = <i32>load<i16>(wc, 4);
  const w10 = <i32>load<i16>(wc, 6); const w11 = <i32>load<i16>(wc, 8); const w12 = <i32>load<i16>(wc, 10);
  const w20 = <i32>load<i16>(wc, 12); const w21 = <i32>load<i16>(wc, 14); const w22 = <i32>load<i16>(wc, 16);
  // Top pair (rows 0, 1 of the kernel) and bottom (row 2, 0) for the first output row; for the
  // second row at stride 1 the pairs shift by one row: (0, row 0) and (row 1, row 2).
  const ta0 = pair(w00, w10); const ta1 = pair(w01, w11); const ta2 = pair(w02, w12);
  const tb0 = pair(w20, 0); const tb1 = pair(w21, 0); const tb2 = pair(w22, 0);
  const tc0 = pair(0, w00); const tc1 = pair(0, w01); const tc2 = pair(0, w02);
  const td0 = pair(w10, w20); const td1 = pair(w11, w21); const td2 = pair(w12, w22);
  const out = y + <usize>c * <usize>oh * <usize>ow;
  for (let oy = 0; oy < oh; oy += 2) {
    const ra = src + <usize>(s2 ? oy : oy >> 1) * prow;
    const rb = ra + prow;
    const rc = rb + prow;
    const o0 = out + <usize>oy * <usize>ow;
    const two = oy + 1 < oh;
    for (let ox0 = 0; ox0 < ow; ox0 += 8) {
      // A last group that would be partial restarts at ow − 8 instead (recomputing a few columns
      // with identical results) so that every store is a whole 8 bytes when OW ≥ 8.
      const ox = ox0 + 8 > ow && ow >= 8 ? ow - 8 : ox0;
      // p: first output row (columns ox..ox+3 in p0, ox+4..ox+7 in p1), q: second row.
      let p0 = b0; let p1 = b0; let q0 = b0; let q1 = b0;
      if (s2) {
        const o = <usize>ox << 3;
        let v0 = taps(ra + o); let v1 = taps(rb + o);
        p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v0, ta0)); p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v1, tb0)); q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v1, ta0));
        v0 = taps(ra + o + 4); v1 = taps(rb + o + 4);
        p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v0, ta1)); p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v1, tb1)); q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v1, ta1));
        v0 = taps(ra + o + 8); v1 = taps(rb + o + 8);
        p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v0, ta2)); p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v1, tb2)); q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v1, ta2));
        v0 = taps(ra + o + 32); v1 = taps(rb + o + 32);
        p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v0, ta0)); p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v1, tb0)); q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v1, ta0));
        v0 = taps(ra + o + 36); v1 = taps(rb + o + 36);
        p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v0, ta1)); p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v1, tb1)); q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v1, ta1));
        v0 = taps(ra + o + 40); v1 = taps(rb + o + 40);
        p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v0, ta2)); p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v1, tb2)); q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v1, ta2));
        if (two) {
          q0 = i32x4.add(q0, i32x4.dot_i16x8_s(taps(rc + o), tb0));
          q0 = i32x4.add(q0, i32x4.dot_i16x8_s(taps(rc + o + 4), tb1));
          q0 = i32x4.add(q0, i32x4.dot_i16x8_s(taps(rc + o + 8), tb2));
          q1 = i32x4.add(q1, i32x4.dot_i16x8_s(taps(rc + o + 32), tb0));
          q1 = i32x4.add(q1, i32x4.dot_i16x8_s(taps(rc + o + 36), tb1));
          q1 = i32x4.add(q1, i32x4.dot_i16x8_s(taps(rc + o + 40), tb2));
        }
      } else {
        const pa = ra + (<usize>ox << 2); const pb = rb + (<usize>ox << 2);
        let v0 = v128.load(pa); let v1 = v128.load(pb);
        p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v0, ta0)); p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v1, tb0));
        q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v0, tc0)); q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v1, td0));
        v0 = v128.load(pa, 4); v1 = v128.load(pb, 4);
        p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v0, ta1)); p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v1, tb1));
        q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v0, tc1)); q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v1, td1));
        v0 = v128.load(pa, 8); v1 = v128.load(pb, 8);
        p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v0, ta2)); p0 = i32x4.add(p0, i32x4.dot_i16x8_s(v1, tb2));
        q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v0, tc2)); q0 = i32x4.add(q0, i32x4.dot_i16x8_s(v1, td2));
        v0 = v128.load(pa, 16); v1 = v128.load(pb, 16);
        p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v0, ta0)); p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v1, tb0));
        q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v0, tc0)); q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v1, td0));
        v0 = v128.load(pa, 20); v1 = v128.load(pb, 20);
        p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v0, ta1)); p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v1, tb1));
        q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v0, tc1)); q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v1, td1));
        v0 = v128.load(pa, 24); v1 = v128.load(pb, 24);
        p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v0, ta2)); p1 = i32x4.add(p1, i32x4.dot_i16x8_s(v1, tb2));
        q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v0, tc2)); q1 = i32x4.add(q1, i32x4.dot_i16x8_s(v1, td2));
      }
      const n = ow - ox;
      finish8(o0 + <usize>ox, p0, p1, sc, vz, outSigned, n);
      if (two) finish8(o0 + <usize>ow + <usize>ox, q0, q1, sc, vz, outSigned, n);
    }
  }
}
