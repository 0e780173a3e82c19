import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import type { TensorData } from '../ir/tensor-data.js';
import { GraphBuilder } from '../zoo/builder.js';
import { calibrate, collectStatistics, readCalibrationCache } from './calibrate.js';

/** x [2,3] → Mul by 2 → Relu → Sub 1 → y: observing 'm' (x·2) and 'r' (relu). */
function model(): Uint8Array {
  const b = new GraphBuilder('cal', { '': 13 });
  const x = b.input('x', 'float32', [2, 3]);
  const m = b.op('Mul', [x, b.scalar('two', 2)], {}, { output: 'm' });
  const r = b.op('Relu', [m], {}, { output: 'r' });
  b.output(b.op('Sub', [r, b.scalar('one', 1)], {}, { output: 'y' }), 'float32', [2, 3]);
  return exportOnnx(b.build());
}

const ex = (v: number[]): Record<string, TensorData> => ({ x: { type: 'float32', dims: [2, 3], data: Float32Array.from(v) } });
const EXAMPLES = [ex([-1, 0, 1, 2, 3, 0.5]), ex([-4, 0, 0, 0, 1, 0])];

test('observers: intermediate tensors and inputs are collected through the ordinary runtime', async () => {
  const stats = await collectStatistics(model(), ['x', 'm', 'r'], EXAMPLES);
  assert.deepEqual([stats.get('x')!.min, stats.get('x')!.max], [-4, 3]);
  assert.deepEqual([stats.get('m')!.min, stats.get('m')!.max], [-8, 6]);
  assert.deepEqual([stats.get('r')!.min, stats.get('r')!.max], [0, 6]);
  assert.equal(stats.get('r')!.total, 12);
});

test('calibration cache: written atomically after calibrating, then reused without data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-cal-'));
  try {
    const cache = join(dir, 'ranges.json');
    const r1 = await calibrate(model(), ['m', 'r'], EXAMPLES, cache, { method: 'minmax' });
    assert.deepEqual(r1.get('m'), { min: -8, max: 6 });
    assert.deepEqual(readdirSync(dir), ['ranges.json'], 'no temporary file left');
    assert.deepEqual(JSON.parse(readFileSync(cache, 'utf8')).ranges, { m: [-8, 6], r: [0, 6] });
    const r2 = await calibrate(model(), ['m', 'r'], undefined, cache);
    assert.deepEqual([...r2], [...r1]);
    await assert.rejects(calibrate(model(), ['m', 'x'], undefined, cache), /lacks 1 tensor/);
    writeFileSync(cache, '{"ranges": {"m": [3, 1]}}');
    assert.throws(() => readCalibrationCache(cache), /\[min, max\] with min ≤ max/);
    writeFileSync(cache, 'not json');
    await assert.rejects(calibrate(model(), ['m'], undefined, cache), /not valid JSON/);
    assert.ok(existsSync(cache));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('calibration errors: no examples, and feeds of the wrong shape name the input', async () => {
  await assert.rejects(calibrate(model(), ['m'], [], undefined), /needs calibration data/);
  const bad = { x: { type: 'float32' as const, dims: [3, 2], data: new Float32Array(6) } };
  await assert.rejects(collectStatistics(model(), ['m'], [bad]), /input x.*expected \[2,3\].*got \[3,2\]/);
});

test('entropy calibration leaves the exact zeros of a ReLU output out by default (skipZeros: false keeps them and clips)', async () => {
  // x [1, 4096] → Relu → r, 25 examples. The first holds one value per histogram bin,
  // (k + 0.5) / 2048 for k < 2048, and 2048 negatives; the other 24 only negatives: r has 100,352
  // exact zeros and 2,048 values uniform over the 2048 bins (uint8: 256 levels).
  // Zeros left out: every candidate below 2048 bins folds outliers into its last bin (KL > 0), the
  // whole range has P = Q (KL 0), so the threshold is the maximum, 4095/4096.
  // Zeros kept (p0 = 0.98): every candidate from 512 bins up merges the zero spike with bin 1
  // (KL ≈ p0·ln 2 ≈ 0.68), while clipping below 512 bins folds only 1.5% of the values
  // (KL ≈ 0.015·ln(0.015·100k) ≈ 0.11): the threshold stays below a quarter of the maximum.
  const b = new GraphBuilder('relu', { '': 13 });
  const x = b.input('x', 'float32', [1, 4096]);
  b.output(b.op('Relu', [x], {}, { output: 'r' }), 'float32', [1, 4096]);
  const bytes = exportOnnx(b.build());
  const feed = (data: Float32Array): Record<string, TensorData> => ({ x: { type: 'float32', dims: [1, 4096], data } });
  const first = Float32Array.from({ length: 4096 }, (_, i) => (i % 2 ? -1 - i : ((i >> 1) + 0.5) / 2048));
  const examples = [feed(first), ...Array.from({ length: 24 }, () => feed(new Float32Array(4096).fill(-1)))];
  const max = 4095 / 4096;
  assert.deepEqual((await calibrate(bytes, ['r'], examples, undefined, { method: 'entropy' })).get('r'), { min: 0, max });
  const kept = (await calibrate(bytes, ['r'], examples, undefined, { method: 'entropy', skipZeros: false })).get('r')!;
  assert.equal(kept.min, 0);
  assert.ok(kept.max > 0 && kept.max < max / 4, `zeros kept: max ${kept.max}`);
  // minmax ignores the option.
  assert.deepEqual((await calibrate(bytes, ['r'], examples, undefined, { method: 'minmax' })).get('r'), { min: 0, max });
});
