// f32 GEMM on packed operands: C[M, N] = act(Apacked · Bpacked + rowBias + colBias + R).
//
// Packed layouts (written by the pack kernels below, by conv im2col, or once at session creation
// for constant weights):
//   A: ceil(M/MR) strips of MR rows, each strip K×MR floats, k-major (rows past M are zero);
//   B: ceil(N/NR) strips of NR columns, each strip K×NR floats, k-major (columns past N zero).
// The micro-kernel keeps an MR×NR tile of C in f32x4 accumulators: 3×12 (nine accumulators) in
// the relaxed-SIMD build, 2×12 in the baseline build. Measured in V8 on x64, which allocates 15
// xmm registers: with fused multiply-add, 9 accumulators + 3 B vectors + 1 broadcast fit without
// spills and 3×12 ran fastest (4×8, 2×16 within 5%; 6×8, 4×12, 4×16 spilled, at half speed);
// with separate mul + add each product needs a register too, 3×12 spilled (26 GFLOP/s) and 2×12
// ran at the speed of the fused kernel (~60). Loop order as in BLIS: K blocks of KC, row-strip
// blocks of MCS strips (the A block in L2), then column strips (one B micro-panel reused across
// the block's row strips). The epilogue (bias, residual, activation) runs on the accumulators of
// the last K block before they are stored; C may be stored transposed (column-major).
//
// Source: Goto & van de Geijn, "Anatomy of high-performance matrix multiplication" (TOMS 2008);
// the BLIS micro-kernel design (Van Zee & van de Geijn, TOMS 2015).
import { fmadd } from '../simd';
import {
  activate, ACT_CLIP, ACT_GELU_ERF, ACT_GELU_TANH, ACT_HARD_SIGMOID, ACT_HARD_SWISH, ACT_LEAKY_RELU, ACT_RELU,
  ACT_SIGMOID, ACT_TANH, Clip, GeluErf, GeluTanh, HardSigmoid, HardSwish, Identity, isIdentity, LeakyRelu, Relu,
  Sigmoid, Tanh,
} from './gemm-epilogue';

const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 2;
const NR: i32 = 12;
/**
 * K block. Measured: 256 (micro-panels in L1) ran ~8% slower than 1024 or no blocking at all,
 * from the extra passes over C and the per-tile prologue; 1024 keeps the working set bounded.
 */
const KC: i32 = 1024;
/** Row strips per M block: MCS·MR·KC floats of A (192 KiB) stay in L2. */
const MCS: i32 = 16;

/** Rows of the micro-tile (the packed A strip height). */
export function gemm_mr(): i32 { return MR; }
/** Columns of the micro-tile (the packed B strip width). */
export function gemm_nr(): i32 { return NR; }

/**
 * Packs op(A) (element (i, p) at src + (i·rs + p·cs)·4) into MR-row strips [start, end), scaling
 * by `alpha`. dst holds ceil(m/MR)·MR·k floats.
 */
export function gemm_pack_a_f32(src: usize, rs: i32, cs: i32, m: i32, k: i32, alpha: f32, dst: usize, start: i32, end: i32): void {
  for (let s = start; s < end; s++) {
    let out = dst + (<usize>s * <usize>k * MR << 2);
    const r0 = s * MR;
    const mr = min(MR, m - r0);
    const row0 = src + (<usize>r0 * <usize>rs << 2);
    const rsb = <usize>rs << 2;
    const csb = <usize>cs << 2;
    if (mr == MR && cs == 1) {
      // Row-major A: four k-steps of the rows per iteration, interleaved by shuffles.
      const al = f32x4.splat(alpha);
      let q = row0;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const v0 = f32x4.mul(v128.load(q), al);             // a0 a1 a2 a3
        const v1 = f32x4.mul(v128.load(q + rsb), al);       // b0 b1 b2 b3
        if (MR == 2) {
          v128.store(out, v128.shuffle<f32>(v0, v1, 0, 4, 1, 5));      // a0 b0 a1 b1
          v128.store(out, v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), 16);  // a2 b2 a3 b3
        } else {
          const v2 = f32x4.mul(v128.load(q + 2 * rsb), al); // c0 c1 c2 c3
          const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);   // a0 b0 a1 b1
          const t1 = v128.shuffle<f32>(v1, v2, 1, 5, 2, 6);   // b1 c1 b2 c2
          const t2 = v128.shuffle<f32>(v0, v1, 3, 7, 3, 7);   // a3 b3 . .
          v128.store(out, v128.shuffle<f32>(t0, v2, 0, 1, 4, 2));        // a0 b0 c0 a1
          v128.store(out, v128.shuffle<f32>(t1, v0, 0, 1, 6, 2), 16);    // b1 c1 a2 b2
          v128.store(out, v128.shuffle<f32>(v2, t2, 2, 4, 5, 3), 32);    // c2 a3 b3 c3
        }
        out += MR << 4; q += 16;
      }
      for (; p < k; p++) {
        for (let r = 0; r < MR; r++) f32.store(out + (<usize>r << 2), f32.load(q + <usize>r * rsb) * alpha);
        out += MR << 2; q += 4;
      }
    } else {
      let q = row0;
      for (let p = 0; p < k; p++) {
        for (let r = 0; r < MR; r++) {
          f32.store(out + (<usize>r << 2), r < mr ? f32.load(q + <usize>r * rsb) * alpha : 0);
        }
        out += MR << 2; q += csb;
      }
    }
  }
}

/**
 * Packs op(B) (element (p, j) at src + (p·rs + j·cs)·4) into NR-column strips [start, end).
 * dst holds ceil(n/NR)·NR·k floats.
 */
export function gemm_pack_b_f32(src: usize, rs: i32, cs: i32, k: i32, n: i32, dst: usize, start: i32, end: i32): void {
  const rsb = <usize>rs << 2;
  const csb = <usize>cs << 2;
  for (let t = start; t < end; t++) {
    let out = dst + (<usize>t * <usize>k * NR << 2);
    const c0 = t * NR;
    const nc = min(NR, n - c0);
    let q = src + (<usize>c0 * csb);
    if (nc == NR && cs == 1) {
      for (let p = 0; p < k; p++) {
        v128.store(out, v128.load(q));
        v128.store(out, v128.load(q, 16), 16);
        v128.store(out, v128.load(q, 32), 32);
        out += NR << 2; q += rsb;
      }
    } else {
      for (let p = 0; p < k; p++) {
        let j = 0;
        for (; j < nc; j++) f32.store(out + (<usize>j << 2), f32.load(q + <usize>j * csb));
        for (; j < NR; j++) f32.store(out + (<usize>j << 2), 0);
        out += NR << 2; q += rsb;
      }
    }
  }
}

/** `lanes` (0..4, clamped) floats at p, p + sb, p + 2sb, ... (sb in bytes) into a vector, the rest zero. */
// @ts-ignore: decorator
@inline function loadS(p: usize, sb: usize, lanes: i32): v128 {
  if (lanes >= 4 && sb == 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (lanes > 0) v = f32x4.replace_lane(v, 0, f32.load(p));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, f32.load(p + sb));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, f32.load(p + 2 * sb));
  if (lanes > 3) v = f32x4.replace_lane(v, 3, f32.load(p + 3 * sb));
  return v;
}

/** Stores the first `lanes` (0..4, clamped) floats of v at p, p + sb, ... (sb in bytes). */
// @ts-ignore: decorator
@inline function storeS(p: usize, sb: usize, v: v128, lanes: i32): void {
  if (lanes >= 4 && sb == 4) { v128.store(p, v); return; }
  if (lanes > 0) f32.store(p, f32x4.extract_lane(v, 0));
  if (lanes > 1) f32.store(p + sb, f32x4.extract_lane(v, 1));
  if (lanes > 2) f32.store(p + 2 * sb, f32x4.extract_lane(v, 2));
  if (lanes > 3) f32.store(p + 3 * sb, f32x4.extract_lane(v, 3));
}

/**
 * Finishes one row of a tile: adds C's current contents (later K blocks), then in the last K
 * block the row bias, column bias, residual row and activation; stores the first `nc` columns.
 * C's and the residual's columns are `csb` bytes apart (4, or the row length when C is stored
 * transposed). Pointers are 0 when absent; `cb` and `res` point at the tile's first column.
 */
// @ts-ignore: decorator
@inline function finishRow<A>(cp: usize, csb: usize, v0: v128, v1: v128, v2: v128, nc: i32, accumulate: bool, last: bool,
  rb: usize, cb: usize, res: usize, p0: f32, p1: f32): void {
  if (nc == NR && csb == 4) {
    if (accumulate) {
      v0 = f32x4.add(v0, v128.load(cp)); v1 = f32x4.add(v1, v128.load(cp, 16)); v2 = f32x4.add(v2, v128.load(cp, 32));
    }
    if (last) {
      if (rb) { const b = v128.load32_splat(rb); v0 = f32x4.add(v0, b); v1 = f32x4.add(v1, b); v2 = f32x4.add(v2, b); }
      if (cb) { v0 = f32x4.add(v0, v128.load(cb)); v1 = f32x4.add(v1, v128.load(cb, 16)); v2 = f32x4.add(v2, v128.load(cb, 32)); }
      if (res) { v0 = f32x4.add(v0, v128.load(res)); v1 = f32x4.add(v1, v128.load(res, 16)); v2 = f32x4.add(v2, v128.load(res, 32)); }
      if (!isIdentity<A>()) { v0 = activate<A>(v0, p0, p1); v1 = activate<A>(v1, p0, p1); v2 = activate<A>(v2, p0, p1); }
    }
    v128.store(cp, v0); v128.store(cp, v1, 16); v128.store(cp, v2, 32);
    return;
  }
  const c4 = csb << 2;
  if (accumulate) {
    v0 = f32x4.add(v0, loadS(cp, csb, nc)); v1 = f32x4.add(v1, loadS(cp + c4, csb, nc - 4));
    v2 = f32x4.add(v2, loadS(cp + 2 * c4, csb, nc - 8));
  }
  if (last) {
    if (rb) { const b = v128.load32_splat(rb); v0 = f32x4.add(v0, b); v1 = f32x4.add(v1, b); v2 = f32x4.add(v2, b); }
    if (cb) { v0 = f32x4.add(v0, loadS(cb, 4, nc)); v1 = f32x4.add(v1, loadS(cb + 16, 4, nc - 4)); v2 = f32x4.add(v2, loadS(cb + 32, 4, nc - 8)); }
    if (res) {
      v0 = f32x4.add(v0, loadS(res, csb, nc)); v1 = f32x4.add(v1, loadS(res + c4, csb, nc - 4));
      v2 = f32x4.add(v2, loadS(res + 2 * c4, csb, nc - 8));
    }
    if (!isIdentity<A>()) { v0 = activate<A>(v0, p0, p1); v1 = activate<A>(v1, p0, p1); v2 = activate<A>(v2, p0, p1); }
  }
  storeS(cp, csb, v0, nc); storeS(cp + c4, csb, v1, nc - 4); storeS(cp + 2 * c4, csb, v2, nc - 8);
}

/**
 * One MR×NR tile over kc steps of packed A (a) and B (b), stored at cp with rows rsb and columns
 * csb bytes apart, only the first mr rows and nc columns. rb/cb/res already point at the tile
 * (0 = absent); the residual has C's layout.
 */
// @ts-ignore: decorator
@inline function tile<A>(a: usize, b: usize, kc: i32, cp: usize, rsb: usize, csb: usize, mr: i32, nc: i32,
  accumulate: bool, last: bool, rb: usize, cb: usize, res: usize, resRsb: usize, p0: f32, p1: f32): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0); let c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0); let c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0); let c22 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b); const b1 = v128.load(b, 16); const b2 = v128.load(b, 32);
    let av = v128.load32_splat(a);
    c00 = fmadd(av, b0, c00); c01 = fmadd(av, b1, c01); c02 = fmadd(av, b2, c02);
    av = v128.load32_splat(a, 4);
    c10 = fmadd(av, b0, c10); c11 = fmadd(av, b1, c11); c12 = fmadd(av, b2, c12);
    if (MR > 2) {
      av = v128.load32_splat(a, 8);
      c20 = fmadd(av, b0, c20); c21 = fmadd(av, b1, c21); c22 = fmadd(av, b2, c22);
    }
    a += MR << 2; b += NR << 2;
  }
  finishRow<A>(cp, csb, c00, c01, c02, nc, accumulate, last, rb, cb, res, p0, p1);
  if (mr > 1) finishRow<A>(cp + rsb, csb, c10, c11, c12, nc, accumulate, last, rb ? rb + 4 : 0, cb, res ? res + resRsb : 0, p0, p1);
  if (MR > 2 && mr > 2) finishRow<A>(cp + 2 * rsb, csb, c20, c21, c22, nc, accumulate, last, rb ? rb + 8 : 0, cb, res ? res + 2 * resRsb : 0, p0, p1);
}

/**
 * The blocked loop nest over row strips [i0, i1) and column strips [j0, j1), one instance per
 * activation A. C (and the residual) element (i, j) is at i·ld + j, or j·ld + i when `transC`.
 */
function gemmLoop<A>(ap: usize, bp: usize, c: usize, ldc: i32, m: i32, n: i32, k: i32, p0: f32, p1: f32,
  rowBias: usize, colBias: usize, res: usize, resLd: i32, transC: bool, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const ldb = <usize>ldc << 2;
  const resb = <usize>resLd << 2;
  // Byte strides of rows and columns of C and of the residual.
  const rsb: usize = transC ? 4 : ldb; const csb: usize = transC ? ldb : 4;
  const resRsb: usize = transC ? 4 : resb; const resCsb: usize = transC ? resb : 4;
  let pc = 0;
  do { // at least once, so that K = 0 still writes the epilogue of a zero product
    const kc = min(KC, k - pc);
    const accumulate = pc > 0;
    const last = pc + kc >= k;
    for (let ib = i0; ib < i1; ib += MCS) {
      const ie = min(ib + MCS, i1);
      for (let j = j0; j < j1; j++) {
        const col = j * NR;
        const nc = min(NR, n - col);
        const bpan = bp + ((<usize>j * <usize>k + <usize>pc) * NR << 2);
        const cb = colBias ? colBias + (<usize>col << 2) : 0;
        for (let i = ib; i < ie; i++) {
          const row = i * MR;
          const apan = ap + ((<usize>i * <usize>k + <usize>pc) * MR << 2);
          const cp = c + <usize>row * rsb + <usize>col * csb;
          const rb = rowBias ? rowBias + (<usize>row << 2) : 0;
          const rp = res ? res + <usize>row * resRsb + <usize>col * resCsb : 0;
          tile<A>(apan, bpan, kc, cp, rsb, csb, min(MR, m - row), nc, accumulate, last, rb, cb, rp, resRsb, p0, p1);
        }
      }
    }
    pc += KC;
  } while (pc < k);
}

/**
 * C = act(A·B + rowBias + colBias + R) on packed A (ap) and B (bp); C row-major with row stride
 * ldc (floats), or column-major (element (i, j) at j·ldc + i) when flags bit 1 is set.
 * rowBias: m floats or 0; colBias: n floats or 0; res: M×N laid out as C with stride resLd, or 0.
 * act/p0/p1: see gemm-epilogue.ts. Splits over row strips [start, end) when flags bit 0 is 0,
 * over column strips when 1.
 */
export function gemm_f32(ap: usize, bp: usize, c: usize, ldc: i32, m: i32, n: i32, k: i32, act: i32, p0: f32, p1: f32,
  rowBias: usize, colBias: usize, res: usize, resLd: i32, flags: i32, start: i32, end: i32): void {
  let i0 = start; let i1 = end; let j0 = 0; let j1 = (n + NR - 1) / NR;
  if (flags & 1) { i0 = 0; i1 = (m + MR - 1) / MR; j0 = start; j1 = end; }
  const transC = (flags & 2) != 0;
  switch (act) {
    case ACT_RELU: gemmLoop<Relu>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    case ACT_CLIP: gemmLoop<Clip>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    case ACT_SIGMOID: gemmLoop<Sigmoid>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    case ACT_HARD_SIGMOID: gemmLoop<HardSigmoid>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    case ACT_HARD_SWISH: gemmLoop<HardSwish>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    case ACT_LEAKY_RELU: gemmLoop<LeakyRelu>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    case ACT_TANH: gemmLoop<Tanh>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    case ACT_GELU_ERF: gemmLoop<GeluErf>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    case ACT_GELU_TANH: gemmLoop<GeluTanh>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
    default: gemmLoop<Identity>(ap, bp, c, ldc, m, n, k, p0, p1, rowBias, colBias, res, resLd, transC, i0, i1, j0, j1); break;
  }
}
