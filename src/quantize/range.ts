/**
 * Range estimators for static quantization: `minmax`, `percentile` and `entropy` (TensorRT's
 * KL-divergence calibration), over a per-tensor {@link RangeCollector} that keeps the running
 * min/max and a histogram of |x| which widens (by merging bin pairs) as larger values arrive.
 *
 * Both `percentile` and `entropy` work on the histogram of absolute values and give a threshold
 * `T`; the calibrated range is then `[max(min, -T), min(max, T)]` (so a non-negative tensor such
 * as a ReLU output keeps `min = 0` and uses the full uint8 range).
 * Sources: TensorRT INT8 calibration (Migacz, "8-bit Inference with TensorRT", GTC 2017);
 * onnxruntime `calibrate.py` (HistogramCollector); NVIDIA pytorch-quantization `_compute_amax_entropy`.
 * @module
 */
import { OptiflowError } from '../ir/errors.js';

/** Default number of histogram bins (TensorRT and onnxruntime use 2048). */
export const DEFAULT_BINS = 2048;
/** Default number of quantized levels the entropy method compares against (128: int8 magnitudes). */
export const DEFAULT_QUANT_LEVELS = 128;

/** A calibrated range, in the tensor's units. */
export interface Range { min: number; max: number }

/**
 * Histogram of |x| over `[0, bins·width)`, with the running min and max of x.
 * The width is set by the first batch with a non-zero value (max|x| / bins) and doubles (adjacent
 * bins merged) whenever a larger |x| arrives, so collecting never loses counts.
 */
export class RangeCollector {
  min = Infinity;
  max = -Infinity;
  /** Bin width (0 until a non-zero value has been seen). */
  width = 0;
  /** Counts per bin; bin k holds |x| in `[k·width, (k+1)·width)` (the top bin also its upper edge). */
  readonly counts: Float64Array;
  /** How many of the values were exactly 0 (counted in bin 0 too); see {@link entropyThreshold}'s `skipZeros`. */
  zeros = 0;
  /** @throws OptiflowError `invalid_argument` for an odd or too small bin count. */
  constructor(readonly bins = DEFAULT_BINS) {
    if (!Number.isInteger(bins) || bins < 2 || bins % 2 !== 0) throw new OptiflowError('invalid_argument', `histogram bins must be an even integer ≥ 2, got ${bins}`);
    this.counts = new Float64Array(bins);
  }

  /** Adds values (NaN ignored). */
  add(values: ArrayLike<number>): void {
    let mn = this.min; let mx = this.max; let amax = 0; let zeros = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) continue;
      if (v === 0) zeros++;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      const a = Math.abs(v);
      if (a > amax) amax = a;
    }
    this.min = mn; this.max = mx; this.zeros += zeros;
    if (this.width === 0 && amax > 0 && Number.isFinite(amax)) this.width = amax / this.bins;
    if (this.width > 0) while (amax > this.width * this.bins && Number.isFinite(amax)) this.widen();
    const w = this.width; const n = this.bins;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) continue;
      const k = w === 0 ? 0 : Math.min(n - 1, Math.floor(Math.abs(v) / w));
      this.counts[k]! += 1;
    }
  }

  /** Doubles the bin width, merging bin pairs. */
  private widen(): void {
    const c = this.counts; const h = this.bins / 2;
    for (let k = 0; k < h; k++) c[k] = c[2 * k]! + c[2 * k + 1]!;
    c.fill(0, h);
    this.width *= 2;
  }

  /** The number of values seen. */
  get total(): number { let s = 0; for (const v of this.counts) s += v; return s; }
}

/** Clips the observed range to the symmetric threshold `t`. */
function clipTo(c: RangeCollector, t: number): Range {
  return { min: Math.max(c.min, -t), max: Math.min(c.max, t) };
}

/** `minmax`: the observed range. @throws OptiflowError `invalid_argument` when nothing was collected. */
export function minmaxRange(c: RangeCollector): Range {
  if (!(c.min <= c.max)) throw new OptiflowError('invalid_argument', 'no values were collected for this tensor');
  return { min: c.min, max: c.max };
}

/**
 * `percentile` threshold on the |x| histogram: the upper edge of the first bin at which the
 * cumulative count reaches `pct`% of all values.
 * @param pct in (0, 100]
 * @throws OptiflowError `invalid_argument` for a bad percentile.
 */
export function percentileThreshold(c: RangeCollector, pct: number): number {
  if (!(pct > 0 && pct <= 100)) throw new OptiflowError('invalid_argument', `percentile must be in (0, 100], got ${pct}`);
  const total = c.total;
  if (total === 0 || c.width === 0) return 0;
  const want = (total * pct) / 100;
  let acc = 0;
  for (let k = 0; k < c.bins; k++) {
    acc += c.counts[k]!;
    if (acc >= want - 1e-9 * total) return (k + 1) * c.width;
  }
  return c.bins * c.width;
}

/**
 * KL(P ‖ Q) of two unnormalized histograms (each normalized here): Σ p·ln(p/q) over bins with
 * p > 0; `Infinity` where q = 0 < p (as scipy's `entropy`, used by NVIDIA pytorch-quantization).
 */
export function klDivergence(pIn: ArrayLike<number>, qIn: ArrayLike<number>): number {
  let sp = 0; let sq = 0;
  for (let i = 0; i < pIn.length; i++) { sp += pIn[i]!; sq += qIn[i]!; }
  if (sp <= 0 || sq <= 0) return Infinity;
  let kl = 0;
  for (let i = 0; i < pIn.length; i++) {
    const p = pIn[i]! / sp; const q = qIn[i]! / sq;
    if (p === 0) continue;
    if (q === 0) return Infinity;
    kl += p * Math.log(p / q);
  }
  return kl;
}

/**
 * `entropy` threshold (TensorRT): for each candidate `i` from `levels` bins up to all bins, the
 * reference distribution P is the first `i` bins with the counts beyond added to bin `i-1`; the
 * candidate Q merges those `i` bins into `levels` groups (`floor(i/levels)` bins each, the last
 * group taking the remainder) and spreads each group's count evenly over its non-empty bins.
 * The `i` minimizing KL(P‖Q) (the first on ties) gives the threshold `i · width`; a candidate whose
 * last bin is empty while outliers were folded into it has KL = ∞ (Q is 0 where P is not).
 * When no candidate is finite the threshold is the whole histogram.
 *
 * `skipZeros` leaves the exact zeros out of the histogram (NVIDIA pytorch-quantization's
 * `skip_zeros`). A ReLU output is often half zeros: that spike in bin 0 is merged with bin 1 in
 * every candidate of `2·levels` bins or more, at a KL cost of about p₀·ln 2, which outweighs the
 * cost of clipping a thin tail; the search then keeps a candidate below `2·levels` bins, a
 * threshold under `2·levels/bins` of the maximum (1/4 with 256 levels and 2048 bins), unless a
 * large share of the values lies beyond it. Zero is exactly representable at any threshold, so
 * leaving the zeros out changes nothing else.
 * @param levels quantized levels (128 for int8 magnitudes)
 * @param skipZeros leave exact zeros out of the histogram (default false: TensorRT's algorithm as published)
 */
export function entropyThreshold(c: RangeCollector, levels = DEFAULT_QUANT_LEVELS, skipZeros = false): number {
  if (c.width === 0) return 0;
  const n = c.bins;
  const h = skipZeros && c.zeros > 0 ? Float64Array.from(c.counts) : c.counts;
  if (h !== c.counts) h[0] = Math.max(0, h[0]! - c.zeros);
  if (levels >= n) return n * c.width;
  let best = n; let bestKl = Infinity;
  const suffix = new Float64Array(n + 1);
  for (let k = n - 1; k >= 0; k--) suffix[k] = suffix[k + 1]! + h[k]!;
  for (let i = levels; i <= n; i++) {
    const p = Float64Array.from(h.subarray(0, i));
    p[i - 1] = p[i - 1]! + suffix[i]!;
    const q = new Float64Array(i);
    const merged = Math.floor(i / levels);
    for (let j = 0; j < levels; j++) {
      const start = j * merged;
      const stop = j === levels - 1 ? i : start + merged;
      let sum = 0; let nonzero = 0;
      for (let k = start; k < stop; k++) { sum += h[k]!; if (p[k] !== 0) nonzero++; }
      if (nonzero > 0) for (let k = start; k < stop; k++) if (p[k] !== 0) q[k] = sum / nonzero;
    }
    const kl = klDivergence(p, q);
    if (kl < bestKl - 1e-12) { bestKl = kl; best = i; }
  }
  return best * c.width;
}

/**
 * The calibrated range of one tensor by `method`.
 * @param percentile for `percentile` (default 99.999)
 * @param levels for `entropy`: the quantized magnitudes (default 128; use 256 for a non-negative
 *   tensor quantized to uint8, whose whole range maps to 256 levels)
 * @param skipZeros for `entropy`: leave exact zeros out of the histogram (see {@link entropyThreshold})
 * @throws OptiflowError `invalid_argument` when nothing was collected or the percentile is bad.
 */
export function computeRange(c: RangeCollector, method: 'minmax' | 'entropy' | 'percentile', percentile = 99.999,
  levels = DEFAULT_QUANT_LEVELS, skipZeros = false): Range {
  const mm = minmaxRange(c);
  if (method === 'minmax' || c.width === 0) return mm;
  const t = method === 'entropy' ? entropyThreshold(c, levels, skipZeros) : percentileThreshold(c, percentile);
  return clipTo(c, t);
}
