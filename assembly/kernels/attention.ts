// Scaled dot-product attention of 4-D float32 Q [B, Hq, S, D], K [B, Hk, T, D], V [B, Hk, T, Dv]
// with an optional additive mask: Y = softmax(scale·Q·Kᵀ + mask)·V per (batch, head), through the
// GEMM of gemm.ts (packed operands, 3×12 micro-kernel): scale·Q packed as A, Kᵀ packed as B, the
// mask added by the GEMM's residual epilogue (its rows read with any row stride, 0 included),
// a row softmax in place, then P packed as A and V as B, written straight into Y. Query rows go
// in blocks whose scores stay in L2 (all of them for short sequences), so the workspace does not
// grow with S·T.
// Heads of K/V are shared by Hq/Hk query heads (grouped-query attention); K and V are packed once
// per shared head.
//
// Source: ONNX operator spec (Attention-23); Vaswani et al., "Attention Is All You Need" (2017).
import { gemm_f32, gemm_mr, gemm_nr, gemm_pack_a_f32, gemm_pack_b_f32 } from './gemm';
import { exp4 } from './gemm-epilogue';
import { MAX, reduceRow } from './reduce-row';

// Parameter block (int32) offsets (word 0 holds B, unused here).
const P_HQ = 1; const P_HK = 2; const P_S = 3; const P_T = 4; const P_D = 5; const P_DV = 6;
const P_MB = 7; const P_MH = 8; const P_MR = 9; const P_ZERO = 10; const P_PER = 11; const P_UNITS = 12;

// @ts-ignore: decorator
@inline function splat(x: f32): v128 { return f32x4.splat(x); }

// @ts-ignore: decorator
@inline function param(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }

/** Floats of a packed A (M×K) and of a packed B (K×N). */
// @ts-ignore: decorator
@inline function packedA(m: i32, k: i32): usize { const mr = gemm_mr(); return <usize>((m + mr - 1) / mr * mr) * <usize>k; }
// @ts-ignore: decorator
@inline function packedB(k: i32, n: i32): usize { const nr = gemm_nr(); return <usize>((n + nr - 1) / nr * nr) * <usize>k; }

/** Rounds a float count up to a multiple of 16 (64-byte alignment of the regions). */
// @ts-ignore: decorator
@inline function up16(n: usize): usize { return (n + 15) & ~(<usize>15); }

/** Scores per query-row block: the block's scores and packed probabilities stay in L2. */
const BLOCK_SCORES: i32 = 32768;

/** Query rows per block for T keys: a multiple of MR, at least MR, at most S rounded up to MR. */
// @ts-ignore: decorator
@inline function blockRows(S: i32, T: i32): i32 {
  const mr = gemm_mr();
  const all = (S + mr - 1) / mr * mr;
  return min(all, max(mr, BLOCK_SCORES / max(T, 1) / mr * mr));
}

/** Floats of workspace one slot of {@link attention_f32} needs for these sizes. */
export function attention_workspace_f32(S: i32, T: i32, D: i32, Dv: i32): i32 {
  const sb = blockRows(S, T);
  return <i32>(up16(packedA(sb, D)) + up16(packedB(D, T)) + up16(<usize>sb * <usize>T) + up16(packedA(sb, T)) + up16(packedB(T, Dv)));
}

/**
 * Softmax of `rows` rows of `t` floats at `p`, in place. A row whose maximum is -∞ (every score
 * masked) becomes zeros when `zero` is set (ONNX Attention-23's kernels), NaN otherwise (its
 * reference softmax).
 */
function softmaxRows(p: usize, rows: i32, t: i32, zero: bool): void {
  for (let r = 0; r < rows; r++) {
    const row = p + (<usize>r * <usize>t << 2);
    const m = reduceRow(MAX, row, t);
    if (zero && m == -Infinity) { memory.fill(row, 0, <usize>t << 2); continue; }
    const vm = splat(m);
    let s0 = splat(0); let s1 = splat(0);
    let j = 0;
    for (; j + 8 <= t; j += 8) {
      const q = row + (<usize>j << 2);
      const e0 = exp4(f32x4.sub(v128.load(q), vm)); const e1 = exp4(f32x4.sub(v128.load(q, 16), vm));
      v128.store(q, e0); v128.store(q, e1, 16);
      s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1);
    }
    for (; j + 4 <= t; j += 4) {
      const q = row + (<usize>j << 2);
      const e0 = exp4(f32x4.sub(v128.load(q), vm));
      v128.store(q, e0); s0 = f32x4.add(s0, e0);
    }
    const sv = f32x4.add(s0, s1);
    let sum = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
    for (; j < t; j++) {
      const q = row + (<usize>j << 2);
      const e = f32x4.extract_lane(exp4(splat(load<f32>(q) - m)), 0);
      store<f32>(q, e); sum += e;
    }
    const inv = splat(1 / sum);
    j = 0;
    for (; j + 4 <= t; j += 4) { const q = row + (<usize>j << 2); v128.store(q, f32x4.mul(v128.load(q), inv)); }
    for (; j < t; j++) { const q = row + (<usize>j << 2); store<f32>(q, load<f32>(q) * f32x4.extract_lane(inv, 0)); }
  }
}

/**
 * Attention over (batch, head) units: slot u of [start, end) runs units [u·per, (u+1)·per) with
 * its own workspace at ws + u·wsFloats·4 (wsFloats from {@link attention_workspace_f32}).
 * `params`: int32 [B, Hq, Hk, S, T, D, Dv, maskB, maskH, maskRow, zeroMasked, per, units] (mask
 * element strides per batch, head and query row; its key stride is 1). `mask` 0 = none. Y is
 * [B, Hq, S, Dv] at `out`.
 */
export function attention_f32(params: usize, scale: f32, q: usize, k: usize, v: usize, mask: usize, out: usize,
  ws: usize, wsFloats: i32, start: i32, end: i32): void {
  const Hq = param(params, P_HQ); const Hk = param(params, P_HK);
  const S = param(params, P_S); const T = param(params, P_T); const D = param(params, P_D); const Dv = param(params, P_DV);
  const mB = param(params, P_MB); const mH = param(params, P_MH); const mR = param(params, P_MR);
  const zero = param(params, P_ZERO) != 0; const per = param(params, P_PER); const units = param(params, P_UNITS);
  const reps = Hq / Hk;
  const mr = gemm_mr(); const nr = gemm_nr();
  const sb = blockRows(S, T);
  for (let u = start; u < end; u++) {
    const qa = ws + (<usize>u * <usize>wsFloats << 2);
    const kb = qa + (up16(packedA(sb, D)) << 2);
    const sc = kb + (up16(packedB(D, T)) << 2);
    const pa = sc + (up16(<usize>sb * <usize>T) << 2);
    const vb = pa + (up16(packedA(sb, T)) << 2);
    let packedKV = -1;
    const last = min(units, (u + 1) * per);
    for (let unit = u * per; unit < last; unit++) {
      const b = unit / Hq; const h = unit - b * Hq;
      const kvHead = b * Hk + h / reps;
      if (kvHead != packedKV) {
        const kh = k + (<usize>kvHead * <usize>T * <usize>D << 2);
        const vh = v + (<usize>kvHead * <usize>T * <usize>Dv << 2);
        gemm_pack_b_f32(kh, 1, D, D, T, kb, 0, (T + nr - 1) / nr); // Kᵀ: element (p, j) = K[j, p]
        gemm_pack_b_f32(vh, Dv, 1, T, Dv, vb, 0, (Dv + nr - 1) / nr);
        packedKV = kvHead;
      }
      const mp = mask ? mask + (<usize>(b * mB + h * mH) << 2) : 0;
      for (let r0 = 0; r0 < S; r0 += sb) {
        const rows = min(sb, S - r0);
        const strips = (rows + mr - 1) / mr;
        const row = <usize>unit * <usize>S + <usize>r0;
        gemm_pack_a_f32(q + (row * <usize>D << 2), D, 1, rows, D, scale, qa, 0, strips);
        const mrow = mp ? mp + (<usize>(r0 * mR) << 2) : 0;
        gemm_f32(qa, kb, sc, T, rows, T, D, 0, 0, 0, 0, 0, mrow, mR, 0, 0, strips);
        softmaxRows(sc, rows, T, zero);
        gemm_pack_a_f32(sc, T, 1, rows, T, 1, pa, 0, strips);
        gemm_f32(pa, vb, out + (row * <usize>Dv << 2), Dv, rows, Dv, T, 0, 0, 0, 0, 0, 0, 0, 0, 0, strips);
      }
    }
  }
}
