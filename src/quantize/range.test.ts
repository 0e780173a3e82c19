import assert from 'node:assert/strict';
import test from 'node:test';
import { computeRange, entropyThreshold, klDivergence, minmaxRange, percentileThreshold, RangeCollector } from './range.js';

/** A collector whose |x| histogram has exactly `counts[k]` values in bin k (bin width 1). */
function fromCounts(counts: number[]): RangeCollector {
  const c = new RangeCollector(counts.length);
  c.width = 1;
  counts.forEach((n, k) => { c.counts[k] = n; });
  c.min = 0; c.max = counts.length;
  return c;
}

test('collector: running min/max, histogram of |x|, widening keeps counts', () => {
  const c = new RangeCollector(4);
  c.add([1, -2, 4]); // width 1: bins [0,1) [1,2) [2,3) [3,4]
  assert.deepEqual([c.min, c.max, c.width], [-2, 4, 1]);
  assert.deepEqual([...c.counts], [0, 1, 1, 1]);
  c.add([-7.5]); // 7.5 > 4: width doubles to 2 (bins merge pairwise)
  assert.equal(c.width, 2);
  assert.deepEqual([...c.counts], [1, 2, 0, 1]); // [0+1, 1+1, 0, 0] then 7.5 → bin 3
  assert.equal(c.total, 4);
  assert.equal(c.min, -7.5);
  c.add([Number.NaN, 0]);
  assert.equal(c.total, 5);
});

test('minmax: the observed range; nothing collected throws', () => {
  const c = new RangeCollector(8);
  c.add([-3, 5, 1]);
  assert.deepEqual(minmaxRange(c), { min: -3, max: 5 });
  assert.throws(() => minmaxRange(new RangeCollector(8)), /no values/);
});

test('percentile: upper edge of the first bin reaching the percentile', () => {
  // 1000 values: 990 in bin 0, 9 in bin 1, 1 in bin 9.
  const c = fromCounts([990, 9, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(percentileThreshold(c, 99), 1); // 990 ≥ 990
  assert.equal(percentileThreshold(c, 99.9), 2); // 999 ≥ 999
  assert.equal(percentileThreshold(c, 100), 10);
  assert.throws(() => percentileThreshold(c, 0), /percentile/);
});

test('entropy: exact threshold when all mass fits the first `levels` bins', () => {
  // Non-uniform mass in bins 0..127 of 256: the 128-bin candidate reproduces P exactly (KL 0);
  // wider candidates merge unequal neighbours (KL > 0), so the threshold is 128 bins.
  const counts = Array.from({ length: 256 }, (_, k) => (k < 128 ? k + 1 : 0));
  assert.equal(entropyThreshold(fromCounts(counts), 128), 128);
  // With 4 levels over 8 bins: mass only in bins 0..3 → threshold 4 bins.
  assert.equal(entropyThreshold(fromCounts([5, 1, 3, 2, 0, 0, 0, 0]), 4), 4);
});

test('entropy: hand-computed KL per candidate picks the minimum', () => {
  // levels 2 over 4 bins [1, 1, 2, 2]:
  //  i=2: P=[1, 1+4] (outliers into the last bin), Q=[1, 1] → KL = 1/6·ln(1/3) + 5/6·ln(5/3) ≈ 0.243
  //  i=3: P=[1, 1, 2+2], Q=[1, 1.5, 1.5] → KL ≈ 0.181
  //  i=4: P=[1, 1, 2, 2], Q=[(1+1)/2, (1+1)/2, (2+2)/2, (2+2)/2] = P → KL 0 → threshold 4 bins.
  assert.equal(entropyThreshold(fromCounts([1, 1, 2, 2]), 2), 4);
  assert.ok(Math.abs(klDivergence([1, 5], [1, 1]) - (Math.log(1 / 3) / 6 + (5 / 6) * Math.log(5 / 3))) < 1e-3);
  // [4, 1, 0, 4] with 2 levels: i=2: P=[4, 1+4], Q=[4, 1] → KL = 4/9·ln(1) + 5/9·ln((5/9)/(1/5)) ≈ 0.568;
  // i=3: P=[4, 1, 0+4], Q: group [4] then [1, 0] → 1 on its one non-empty bin, and bin 2 gets 0 < p → ∞;
  // i=4: P=[4, 1, 0, 4], groups [4, 1] → 2.5 each, [0, 4] → 4 on bin 3: KL = 4/9·ln(4/2.5) + 1/9·ln(1/2.5) ≈ 0.107.
  assert.equal(entropyThreshold(fromCounts([4, 1, 0, 4]), 2), 4);
  assert.equal(klDivergence([4, 1, 0, 4], [2.5, 2.5, 0, 4]).toFixed(4), ((4 / 9) * Math.log(4 / 2.5) + (1 / 9) * Math.log(1 / 2.5)).toFixed(4));
  assert.equal(klDivergence([4, 1, 4], [4, 1, 0]), Infinity);
  // With 1 (dense) bulk and a far, empty-bin outlier the first candidate wins: [3, 2, 1, 0, 0, 0, 0, 1], 2 levels.
  // i=2: P=[3, 2+1+1], Q=[3, 2] → KL = 3/7·ln((3/7)/(3/5)) + 4/7·ln((4/7)/(2/5)) ≈ 0.0596;
  // i=3: P=[3, 2, 1+1], Q=[3, 1.5, 1.5] → ≈ 0.0102, the minimum (i=4: Q is 0 under the outlier → ∞;
  // i=5: ≈ 0.058; i=8: Q=[2, 2, 2, 0, 0, 0, 0, 1] → ≈ 0.075).
  assert.equal(entropyThreshold(fromCounts([3, 2, 1, 0, 0, 0, 0, 1]), 2), 3);
  const kl3 = (3 / 7) * Math.log((3 / 7) / 0.5) + 2 * (2 / 7) * Math.log((2 / 7) / 0.25);
  assert.ok(Math.abs(klDivergence([3, 2, 2], [3, 1.5, 1.5]) - kl3) < 1e-12);
});

test('entropy skipZeros: a spike of exact zeros no longer clips a ReLU-like tensor', () => {
  // 100 exact zeros plus one value in each of 8 bins: x = 0.5, 1.5, …, 7.5, so the width is
  // max|x| / 8 = 0.9375 and value k+0.5 lands in bin k. 2 levels.
  const c = new RangeCollector(8);
  c.add(new Float32Array(100));
  c.add(Float32Array.from({ length: 8 }, (_, k) => k + 0.5));
  assert.equal(c.zeros, 100);
  assert.equal(c.width, 0.9375);
  assert.deepEqual([...c.counts], [101, 1, 1, 1, 1, 1, 1, 1]);
  // Zeros kept, P over 108 values (Q normalized by its own sum):
  //  i=2: P=[101, 1+6], Q=[101, 1] → 0.935·ln(0.935/0.990) + 0.0648·ln(0.0648/0.0098) ≈ 0.069
  //  i=3: P=[101, 1, 1+5], Q=[101, 1, 1] (last group [1, 2]: 2 over 2 bins) → ≈ 0.052, the minimum
  //  i=4: groups [0, 1] → 51 each: the zero spike shares its bin group, 0.935·ln(0.935/0.490) alone ≈ 0.60;
  //  every i ≥ 4 merges bin 0 with bin 1 and pays about as much (i=8: ≈ 1.18).
  assert.equal(entropyThreshold(c, 2), 3 * 0.9375);
  // Zeros left out, the histogram is [1, 1, 1, 1, 1, 1, 1, 1]: every i < 8 folds outliers into its
  // last bin (P there > 1 = Q there, KL > 0); i=8 has P = Q uniform, KL 0 → the whole range.
  assert.equal(entropyThreshold(c, 2, true), 8 * 0.9375);
  // The collector itself keeps the zeros (minmax and percentile see them).
  assert.deepEqual([...c.counts], [101, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(computeRange(c, 'entropy', 99.999, 2, true), { min: 0, max: 7.5 });
  assert.deepEqual(computeRange(c, 'entropy', 99.999, 2), { min: 0, max: 3 * 0.9375 });
});

test('KL divergence: 0 for equal distributions, positive otherwise', () => {
  assert.equal(klDivergence([1, 2, 3], [2, 4, 6]), 0);
  assert.ok(klDivergence([1, 0, 3], [1, 1, 1]) > 0);
});

test('with outliers, entropy and percentile choose tighter ranges than minmax', () => {
  // 100k bell-shaped values in [-4, 4] plus a few outliers at ±20 (the bulk then spans ~256 of 2048 bins).
  const c = new RangeCollector();
  let seed = 1;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const vals = new Float32Array(100_000);
  for (let i = 0; i < vals.length; i++) vals[i] = (rand() + rand() + rand() + rand() - 2) * 2;
  c.add(vals);
  c.add([20, -20, 19]);
  const mm = computeRange(c, 'minmax');
  const en = computeRange(c, 'entropy');
  const pc = computeRange(c, 'percentile', 99.99);
  assert.deepEqual(mm, { min: -20, max: 20 });
  for (const r of [en, pc]) {
    assert.ok(r.max < 5 && r.min > -5, `range ${JSON.stringify(r)}`);
    assert.ok(r.max > 2 && r.min < -2, `range ${JSON.stringify(r)} keeps the bulk`);
  }
});

test('clipped ranges keep the sign of a non-negative tensor', () => {
  const c = new RangeCollector();
  const vals = new Float32Array(10_000);
  for (let i = 0; i < vals.length; i++) vals[i] = (i % 100) / 10;
  c.add(vals);
  c.add([1000]);
  const r = computeRange(c, 'percentile', 99.9);
  assert.equal(r.min, 0);
  assert.ok(r.max < 11 && r.max >= 9.8, JSON.stringify(r));
});
