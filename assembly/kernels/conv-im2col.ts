// im2col straight into the GEMM's packed B layout (assembly/kernels/gemm.ts): for one image and
// one group, the K×N matrix with K = C·KH·KW rows (channel-major, then kernel row, then kernel
// column, matching the weights [M, C, KH, KW]) and N = OH·OW columns, written as NR-column strips
// of K×NR floats. Zero where a tap falls into the padding or past N.
//
// Strategy per strip and kernel tap (ki, kj): the input offsets of the strip's 12 columns are the
// same for every channel, so they are computed once (three i32x4 vectors) and the channels are
// then copied with a fixed stride: three vector loads when the 12 taps are contiguous and in
// bounds (stride 1), an even-lane shuffle for stride 2, a masked gather otherwise.
//
// Geometry block (int32 at `geo`): [C, H, W, KH, KW, SH, SW, DH, DW, PH, PW, OH, OW].
// Source: Chellapilla et al., "High performance convolutional neural networks for document
// processing" (2006) for im2col; the packing follows Goto & van de Geijn (TOMS 2008).

const NR: i32 = 12;

// @ts-ignore: decorator
@inline function gather4(base: usize, off: v128): v128 {
  // Lanes with a negative offset are padding: load from offset 0 (in bounds) and zero them.
  const safe = i32x4.max_s(off, i32x4.splat(0));
  let v = v128.load32_zero(base + (<usize>i32x4.extract_lane(safe, 0) << 2));
  v = f32x4.replace_lane(v, 1, f32.load(base + (<usize>i32x4.extract_lane(safe, 1) << 2)));
  v = f32x4.replace_lane(v, 2, f32.load(base + (<usize>i32x4.extract_lane(safe, 2) << 2)));
  v = f32x4.replace_lane(v, 3, f32.load(base + (<usize>i32x4.extract_lane(safe, 3) << 2)));
  return v128.and(v, i32x4.ge_s(off, i32x4.splat(0)));
}

/**
 * Writes packed strips [start, end) of the im2col matrix of image `x` (C×H×W floats) to `dst`
 * (ceil(OH·OW/NR) strips of K×NR floats).
 */
export function conv_im2col_packed_f32(x: usize, geo: usize, dst: usize, start: i32, end: i32): void {
  const c = i32.load(geo); const h = i32.load(geo, 4); const w = i32.load(geo, 8);
  const kh = i32.load(geo, 12); const kw = i32.load(geo, 16);
  const sh = i32.load(geo, 20); const sw = i32.load(geo, 24);
  const dh = i32.load(geo, 28); const dw = i32.load(geo, 32);
  const ph = i32.load(geo, 36); const pw = i32.load(geo, 40);
  const oh = i32.load(geo, 44); const ow = i32.load(geo, 48);
  const n = oh * ow;
  const k = c * kh * kw;
  const planeB = <usize>(h * w) << 2;
  const rowStep = <usize>(kh * kw * NR) << 2; // dst bytes from one channel's row to the next
  for (let t = start; t < end; t++) {
    const n0 = t * NR;
    const oy0 = n0 / ow; const ox0 = n0 - oy0 * ow;
    const oneRow = ox0 + NR <= ow;
    const strip = dst + (<usize>t * <usize>k * NR << 2);
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        let out = strip + (<usize>(ki * kw + kj) * NR << 2);
        const iy0 = oy0 * sh - ph + ki * dh;
        const ix0 = ox0 * sw - pw + kj * dw;
        if (oneRow && (iy0 < 0 || iy0 >= h)) {
          // The whole strip reads a padding row.
          const z = f32x4.splat(0);
          for (let ci = 0; ci < c; ci++) { v128.store(out, z); v128.store(out, z, 16); v128.store(out, z, 32); out += rowStep; }
          continue;
        }
        if (oneRow && ix0 >= 0 && ((sw == 1 && ix0 + NR <= w) || (sw == 2 && ix0 + 2 * NR <= w))) {
          let src = x + (<usize>(iy0 * w + ix0) << 2);
          if (sw == 1) {
            for (let ci = 0; ci < c; ci++) {
              v128.store(out, v128.load(src)); v128.store(out, v128.load(src, 16), 16); v128.store(out, v128.load(src, 32), 32);
              out += rowStep; src += planeB;
            }
          } else {
            // Stride 2: the even lanes of 24 consecutive floats of the row.
            for (let ci = 0; ci < c; ci++) {
              const a0 = v128.load(src); const a1 = v128.load(src, 16); const a2 = v128.load(src, 32);
              const a3 = v128.load(src, 48); const a4 = v128.load(src, 64); const a5 = v128.load(src, 80);
              v128.store(out, v128.shuffle<f32>(a0, a1, 0, 2, 4, 6));
              v128.store(out, v128.shuffle<f32>(a2, a3, 0, 2, 4, 6), 16);
              v128.store(out, v128.shuffle<f32>(a4, a5, 0, 2, 4, 6), 32);
              out += rowStep; src += planeB;
            }
          }
          continue;
        }
        // General case: per-column offsets (-1 = padding or past N), then a masked gather.
        let o0 = i32x4.splat(-1); let o1 = i32x4.splat(-1); let o2 = i32x4.splat(-1);
        let oy = oy0; let ox = ox0;
        for (let j = 0; j < NR; j++) {
          let off = -1;
          if (n0 + j < n) {
            const iy = oy * sh - ph + ki * dh; const ix = ox * sw - pw + kj * dw;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) off = iy * w + ix;
          }
          if (j < 4) o0 = setLane(o0, j, off);
          else if (j < 8) o1 = setLane(o1, j - 4, off);
          else o2 = setLane(o2, j - 8, off);
          if (++ox == ow) { ox = 0; oy++; }
        }
        let src = x;
        for (let ci = 0; ci < c; ci++) {
          v128.store(out, gather4(src, o0)); v128.store(out, gather4(src, o1), 16); v128.store(out, gather4(src, o2), 32);
          out += rowStep; src += planeB;
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function setLane(v: v128, lane: i32, x: i32): v128 {
  if (lane == 0) return i32x4.replace_lane(v, 0, x);
  if (lane == 1) return i32x4.replace_lane(v, 1, x);
  if (lane == 2) return i32x4.replace_lane(v, 2, x);
  return i32x4.replace_lane(v, 3, x);
}

/** Rows of the GEMM micro-tile (see gemm.ts): 3 in the relaxed-SIMD build, 2 in the baseline. */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 2;

/**
 * The transposed im2col matrix (N×K: one row per output pixel) written as the GEMM's packed A:
 * strips [start, end) of MR pixels, each K×MR floats (k-major; zero for padding taps and for
 * pixels past N). Used when the output has few pixels and many channels, so that the GEMM runs
 * pixels as rows and channels as columns and stores C transposed (NCHW).
 */
export function conv_im2col_packed_a_f32(x: usize, geo: usize, dst: usize, start: i32, end: i32): void {
  const c = i32.load(geo); const h = i32.load(geo, 4); const w = i32.load(geo, 8);
  const kh = i32.load(geo, 12); const kw = i32.load(geo, 16);
  const sh = i32.load(geo, 20); const sw = i32.load(geo, 24);
  const dh = i32.load(geo, 28); const dw = i32.load(geo, 32);
  const ph = i32.load(geo, 36); const pw = i32.load(geo, 40);
  const oh = i32.load(geo, 44); const ow = i32.load(geo, 48);
  const n = oh * ow;
  const k = c * kh * kw;
  const planeB = <usize>(h * w) << 2;
  const rowStep = <usize>(kh * kw * MR) << 2;
  for (let s = start; s < end; s++) {
    const n0 = s * MR;
    const strip = dst + (<usize>s * <usize>k * MR << 2);
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        // Input offsets of the strip's pixels for this tap (-1: padding or past N).
        let o0 = -1; let o1 = -1; let o2 = -1;
        for (let l = 0; l < MR; l++) {
          const px = n0 + l;
          if (px >= n) continue;
          const oy = px / ow; const ox = px - oy * ow;
          const iy = oy * sh - ph + ki * dh; const ix = ox * sw - pw + kj * dw;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
          if (l == 0) o0 = iy * w + ix; else if (l == 1) o1 = iy * w + ix; else o2 = iy * w + ix;
        }
        let out = strip + (<usize>(ki * kw + kj) * MR << 2);
        let src = x;
        for (let ci = 0; ci < c; ci++) {
          f32.store(out, o0 >= 0 ? f32.load(src + (<usize>o0 << 2)) : 0);
          f32.store(out, o1 >= 0 ? f32.load(src + (<usize>o1 << 2)) : 0, 4);
          if (MR > 2) f32.store(out, o2 >= 0 ? f32.load(src + (<usize>o2 << 2)) : 0, 8);
          out += rowStep; src += planeB;
        }
      }
    }
  }
}
