// int8 GEMM on packed int16 operands: C[M, N] = requant((A - zA) · (B - zB) + bias).
//
// Both operands are stored widened to int16 with their zero points already subtracted (exact:
// uint8/int8 minus a zero point fits int16), K grouped in pairs: the micro-kernel multiplies one
// broadcast (a[i,2p], a[i,2p+1]) pair against four columns' (b[2p,j], b[2p+1,j]) pairs with
// `i32x4.dot_i16x8_s` (exact; products and pair sums fit int32) and accumulates in int32.
// Subtracting the zero points while packing replaces the row/column-sum correction terms.
// Packed layouts (K2 = ceil(K/2), an odd K padded with a zero):
//   A: ceil(M/MR) strips of MR rows, each K2 × MR int16 pairs (MR·4 bytes per k-pair);
//   B: ceil(N/NR) strips of NR columns, each K2 × NR int16 pairs (NR·4 bytes per k-pair).
// The epilogue adds an int32 bias per channel (row or column), then either stores int32
// (MatMulInteger/ConvInteger) or requantizes: float64 (acc · scale + zY), round half to even,
// saturate to uint8/int8 while narrowing. int32 accumulation is exact for K up to 33,000
// (|pair sum| ≤ 2·255²). Tile 4×8: eight i32x4 accumulators + two B vectors + the broadcast pair
// and the product fit V8's 15 xmm registers. Measured (Node 20, 1 thread, M=256 N=784 K=1152):
// 114 GOP/s against 63 GFLOP/s for the float32 3×12 FMA kernel (1.8×); at K = 32 the epilogue
// dominates and the gain shrinks to ~1.1×.
//
// Source: ONNX QLinearMatMul/QLinearConv spec; the widening int16 dot-product kernel design of
// XNNPACK's QS8 GEMM micro-kernels for WebAssembly SIMD (`*-wasmsimd-dot16x2`).

import { requant4, storePart8 } from './int8-requant';

const MR: i32 = 4;
const NR: i32 = 8;
/** Row strips per block: a block of packed A stays in L2 while B strips stream. */
const MCS: i32 = 16;

/** Output modes of {@link int8_gemm}. */
export const I8_OUT_U8: i32 = 0;
export const I8_OUT_I8: i32 = 1;
export const I8_OUT_I32: i32 = 2;

/** Rows of the int8 micro-tile. */
export function int8_mr(): i32 { return MR; }
/** Columns of the int8 micro-tile. */
export function int8_nr(): i32 { return NR; }

// @ts-ignore: decorator
@inline function ld8(p: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(p) : <i32>load<u8>(p);
}

/**
 * Packs A (element (i, p) at byte src + i·rs + p·cs; uint8, or int8 when `signed`) into MR-row
 * strips [start, end), subtracting the zero point zp[i] (zpPtr, int32 per row) or `zp`.
 */
export function int8_pack_a(src: usize, rs: i32, cs: i32, m: i32, k: i32, signed: bool, zpPtr: usize, zp: i32,
  dst: usize, start: i32, end: i32): void {
  const k2 = (k + 1) >> 1;
  for (let s = start; s < end; s++) {
    let out = dst + (<usize>s * <usize>k2 * MR << 2);
    for (let p = 0; p < k2; p++) {
      for (let r = 0; r < MR; r++) {
        const i = s * MR + r;
        let v0 = 0; let v1 = 0;
        if (i < m) {
          const z = zpPtr ? load<i32>(zpPtr + (<usize>i << 2)) : zp;
          const q = src + <usize>i * <usize>rs + <usize>(2 * p) * <usize>cs;
          v0 = ld8(q, signed) - z;
          if (2 * p + 1 < k) v1 = ld8(q + <usize>cs, signed) - z;
        }
        store<i16>(out, <i16>v0); store<i16>(out, <i16>v1, 2);
        out += 4;
      }
    }
  }
}

/**
 * Packs B (element (p, j) at byte src + p·rs + j·cs) into NR-column strips [start, end),
 * subtracting zp[j] (zpPtr, int32 per column) or `zp`.
 */
export function int8_pack_b(src: usize, rs: i32, cs: i32, k: i32, n: i32, signed: bool, zpPtr: usize, zp: i32,
  dst: usize, start: i32, end: i32): void {
  const k2 = (k + 1) >> 1;
  const z = i16x8.splat(<i16>zp);
  for (let t = start; t < end; t++) {
    let out = dst + (<usize>t * <usize>k2 * NR << 2);
    const c0 = t * NR;
    const nc = min(NR, n - c0);
    if (nc == NR && cs == 1 && zpPtr == 0) {
      let q = src + <usize>c0;
      for (let p = 0; p < k2; p++) {
        const r0 = v128.load64_zero(q);
        const r1 = 2 * p + 1 < k ? v128.load64_zero(q + <usize>rs) : v128.splat<i8>(<i8>zp);
        const w0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r0) : i16x8.extend_low_i8x16_u(r0), z);
        const w1 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r1) : i16x8.extend_low_i8x16_u(r1), z);
        v128.store(out, v128.shuffle<i16>(w0, w1, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(out, v128.shuffle<i16>(w0, w1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
        out += NR << 2; q += <usize>(2 * rs);
      }
      continue;
    }
    for (let p = 0; p < k2; p++) {
      for (let j = 0; j < NR; j++) {
        const c = c0 + j;
        let v0 = 0; let v1 = 0;
        if (c < n) {
          const zz = zpPtr ? load<i32>(zpPtr + (<usize>c << 2)) : zp;
          const q = src + <usize>(2 * p) * <usize>rs + <usize>c * <usize>cs;
          v0 = ld8(q, signed) - zz;
          if (2 * p + 1 < k) v1 = ld8(q + <usize>rs, signed) - zz;
        }
        store<i16>(out, <i16>v0); store<i16>(out, <i16>v1, 2);
        out += 4;
      }
    }
  }
}

/**
 * im2col straight into packed B strips [start, end) from int16 planes padded by `int8_dw_pad`
 * (zero point already subtracted, padding 0): B[p, (oy, ox)] = the int16 at byte
 * xp + 2·(oy·sh·wp + ox·sw) + tab[p], where tab (int32, K entries, built once per convolution)
 * holds each tap's byte offset 2·(c·Hp·Wp + ky·dh·Wp + kx·dw) — no divisions in the loop. Strips
 * of 8 columns inside one output row with stride 1 or 2 are gathered with vector loads; strips
 * crossing a row (or the end) column by column.
 */
export function int8_im2col_padded(xp: usize, tab: usize, k: i32, wp: i32, ow: i32, n: i32, sh: i32, sw: i32,
  dst: usize, start: i32, end: i32): void {
  const k2 = (k + 1) >> 1;
  for (let t = start; t < end; t++) {
    let out = dst + (<usize>t * <usize>k2 * NR << 2);
    const j0 = t * NR;
    const oy = j0 / ow; const ox = j0 % ow;
    if (ox + NR <= ow && sw <= 2) {
      const base = xp + ((<usize>(oy * sh) * <usize>wp + <usize>(ox * sw)) << 1);
      const kp = k >> 1;
      for (let p = 0; p < kp; p++) {
        const q0 = base + <usize>load<i32>(tab + (<usize>p << 3));
        const q1 = base + <usize>load<i32>(tab + (<usize>p << 3), 4);
        let v0: v128; let v1: v128;
        if (sw == 1) { v0 = v128.load(q0); v1 = v128.load(q1); } else {
          v0 = v128.shuffle<i16>(v128.load(q0), v128.load(q0, 16), 0, 2, 4, 6, 8, 10, 12, 14);
          v1 = v128.shuffle<i16>(v128.load(q1), v128.load(q1, 16), 0, 2, 4, 6, 8, 10, 12, 14);
        }
        v128.store(out, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(out, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
        out += NR << 2;
      }
      if (k & 1) {
        const q0 = base + <usize>load<i32>(tab + (<usize>(k - 1) << 2));
        const v0 = sw == 1 ? v128.load(q0) : v128.shuffle<i16>(v128.load(q0), v128.load(q0, 16), 0, 2, 4, 6, 8, 10, 12, 14);
        const v1 = i16x8.splat(0);
        v128.store(out, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(out, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      }
      continue;
    }
    for (let j = 0; j < NR; j++) {
      const col = j0 + j;
      const o = out + (<usize>j << 2);
      if (col >= n) {
        for (let p = 0; p < k2; p++) store<i32>(o + (<usize>p * NR << 2), 0);
        continue;
      }
      const base = xp + ((<usize>((col / ow) * sh) * <usize>wp + <usize>((col % ow) * sw)) << 1);
      for (let p = 0; p < k; p++) {
        store<i16>(o + ((<usize>(p >> 1) * NR) << 2) + (<usize>(p & 1) << 1), load<i16>(base + <usize>load<i32>(tab + (<usize>p << 2))));
      }
      if (k & 1) store<i16>(o + ((<usize>(k >> 1) * NR) << 2) + 2, 0);
    }
  }
}

/**
 * Finishes one tile row of 8 int32 accumulators at cp: bias, then int32 store or requantization.
 * Channel data (bias int32, scale float64) is per row (`byRow`: rowIdx) or per column.
 */
// @ts-ignore: decorator
@inline function finishRow(cp: usize, v0: v128, v1: v128, nc: i32, mode: i32, byRow: bool, row: i32, col: i32,
  bias: usize, scale: usize, zy: v128): void {
  if (bias) {
    if (byRow) { const b = v128.load32_splat(bias + (<usize>row << 2)); v0 = i32x4.add(v0, b); v1 = i32x4.add(v1, b); }
    else if (nc == NR) { const bp = bias + (<usize>col << 2); v0 = i32x4.add(v0, v128.load(bp)); v1 = i32x4.add(v1, v128.load(bp, 16)); }
    else { const bp = bias + (<usize>col << 2); v0 = i32x4.add(v0, loadPart32(bp, nc)); v1 = i32x4.add(v1, loadPart32(bp + 16, nc - 4)); }
  }
  if (mode == I8_OUT_I32) {
    if (nc == NR) { v128.store(cp, v0); v128.store(cp, v1, 16); return; }
    storePart32(cp, v0, nc); storePart32(cp + 16, v1, nc - 4);
    return;
  }
  let s0: v128; let s1: v128; let s2: v128; let s3: v128;
  if (byRow) { s0 = v128.load64_splat(scale + (<usize>row << 3)); s1 = s0; s2 = s0; s3 = s0; }
  else {
    // Padding columns read past N: the scale array is allocated to a multiple of NR.
    const sp = scale + (<usize>col << 3);
    s0 = v128.load(sp); s1 = v128.load(sp, 16); s2 = v128.load(sp, 32); s3 = v128.load(sp, 48);
  }
  const q0 = requant4(v0, s0, s1, zy);
  const q1 = requant4(v1, s2, s3, zy);
  const h = i16x8.narrow_i32x4_s(q0, q1);
  const b8 = mode == I8_OUT_I8 ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
  if (nc == NR) { v128.store64_lane(cp, b8, 0); return; }
  storePart8(cp, b8, nc);
}

/** `lanes` (clamped to 0..4) int32 at p into a vector, the rest zero. */
// @ts-ignore: decorator
@inline function loadPart32(p: usize, lanes: i32): v128 {
  let v = i32x4.splat(0);
  if (lanes > 0) v = i32x4.replace_lane(v, 0, load<i32>(p));
  if (lanes > 1) v = i32x4.replace_lane(v, 1, load<i32>(p, 4));
  if (lanes > 2) v = i32x4.replace_lane(v, 2, load<i32>(p, 8));
  if (lanes > 3) v = i32x4.replace_lane(v, 3, load<i32>(p, 12));
  return v;
}

/** Stores the first `lanes` (clamped to 0..4) int32 of v at p. */
// @ts-ignore: decorator
@inline function storePart32(p: usize, v: v128, lanes: i32): void {
  if (lanes > 0) store<i32>(p, i32x4.extract_lane(v, 0));
  if (lanes > 1) store<i32>(p, i32x4.extract_lane(v, 1), 4);
  if (lanes > 2) store<i32>(p, i32x4.extract_lane(v, 2), 8);
  if (lanes > 3) store<i32>(p, i32x4.extract_lane(v, 3), 12);
}

/**
 * C = epilogue(packedA · packedB), C row-major with row stride ldc elements (bytes for 8-bit
 * output, int32 for I8_OUT_I32). bias: int32 per channel or 0; scale: float64 per channel
 * (allocated to a multiple of NR when per column); channels are rows when flags bit 1 is set,
 * columns otherwise. zy: output zero point; 8-bit results saturate to the type's range.
 * Splits over row strips [start, end) when flags bit 0 is 0, over column strips when 1.
 */
export function int8_gemm(ap: usize, bp: usize, c: usize, ldc: i32, m: i32, n: i32, k: i32, mode: i32,
  bias: usize, scale: usize, zy: f64, flags: i32, start: i32, end: i32): void {
  let i0 = start; let i1 = end; let j0 = 0; let j1 = (n + NR - 1) / NR;
  if (flags & 1) { i0 = 0; i1 = (m + MR - 1) / MR; j0 = start; j1 = end; }
  const byRow = (flags & 2) != 0;
  const k2 = (k + 1) >> 1;
  const esz: usize = mode == I8_OUT_I32 ? 4 : 1;
  const rsb = <usize>ldc * esz;
  const vz = f64x2.splat(zy);
  for (let ib = i0; ib < i1; ib += MCS) {
    const ie = min(ib + MCS, i1);
    for (let j = j0; j < j1; j++) {
      const col = j * NR;
      const nc = min(NR, n - col);
      const bpan = bp + (<usize>j * <usize>k2 * NR << 2);
      for (let i = ib; i < ie; i++) {
        const row = i * MR;
        let a = ap + (<usize>i * <usize>k2 * MR << 2);
        let b = bpan;
        let c00 = i32x4.splat(0); let c01 = i32x4.splat(0);
        let c10 = i32x4.splat(0); let c11 = i32x4.splat(0);
        let c20 = i32x4.splat(0); let c21 = i32x4.splat(0);
        let c30 = i32x4.splat(0); let c31 = i32x4.splat(0);
        for (let p = 0; p < k2; p++) {
          const b0 = v128.load(b); const b1 = v128.load(b, 16);
          let av = v128.load32_splat(a);
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(av, b0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(av, b1));
          av = v128.load32_splat(a, 4);
          c10 = i32x4.add(c10, i32x4.dot_i16x8_s(av, b0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(av, b1));
          av = v128.load32_splat(a, 8);
          c20 = i32x4.add(c20, i32x4.dot_i16x8_s(av, b0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(av, b1));
          av = v128.load32_splat(a, 12);
          c30 = i32x4.add(c30, i32x4.dot_i16x8_s(av, b0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(av, b1));
          a += MR << 2; b += NR << 2;
        }
        const mr = min(MR, m - row);
        const cp = c + <usize>row * rsb + <usize>col * esz;
        finishRow(cp, c00, c01, nc, mode, byRow, row, col, bias, scale, vz);
        if (mr > 1) finishRow(cp + rsb, c10, c11, nc, mode, byRow, row + 1, col, bias, scale, vz);
        if (mr > 2) finishRow(cp + 2 * rsb, c20, c21, nc, mode, byRow, row + 2, col, bias, scale, vz);
        if (mr > 3) finishRow(cp + 3 * rsb, c30, c31, nc, mode, byRow, row + 3, col, bias, scale, vz);
      }
    }
  }
}
