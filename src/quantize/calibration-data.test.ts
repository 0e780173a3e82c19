import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { PNG } from 'pngjs';
import { encodeNpy } from '../cli/npy.js';
import type { ValueInfo } from '../ir/graph.js';
import { imageTensor, loadCalibrationDir, resizeBilinear } from './calibration-data.js';

const X: ValueInfo = { name: 'x', dtype: 'float32', shape: ['N', 3, 2, 2], kind: 'tensor' };

function withDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-caldata-'));
  try { f(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** A 2×2 RGBA PNG whose pixel i has R = 10+i, G = 20+i, B = 30+i. */
function png(w = 2, h = 2): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) { p.data[i * 4] = 10 + i; p.data[i * 4 + 1] = 20 + i; p.data[i * 4 + 2] = 30 + i; p.data[i * 4 + 3] = 255; }
  return PNG.sync.write(p);
}

test('npy files: one example each, symbolic batch accepted; wrong shapes name file, expected and got', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'a.npy'), encodeNpy({ type: 'float32', dims: [1, 3, 2, 2], data: new Float32Array(12).fill(1) }));
    writeFileSync(join(dir, 'b.npy'), encodeNpy({ type: 'float32', dims: [2, 3, 2, 2], data: new Float32Array(24) }));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const ex = loadCalibrationDir(dir, [X]);
    assert.equal(ex.length, 2);
    assert.deepEqual(ex[0]!.x!.dims, [1, 3, 2, 2]);
    writeFileSync(join(dir, 'c.npy'), encodeNpy({ type: 'float32', dims: [1, 2, 2, 3], data: new Float32Array(12) }));
    assert.throws(() => loadCalibrationDir(dir, [X]), (e: Error) => /c\.npy/.test(e.message) && /expected shape \[N, 3, 2, 2\], got \[1, 2, 2, 3\]/.test(e.message));
  });
});

test('a directory with no usable file, or a missing one, is a clear error', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'readme.txt'), 'x');
    assert.throws(() => loadCalibrationDir(dir, [X]), /no usable calibration file/);
    assert.throws(() => loadCalibrationDir(join(dir, 'missing'), [X]), /cannot read calibration directory/);
  });
});

test('subdirectories in the ONNX test-data layout give multi-input examples', () => {
  withDir((dir) => {
    const inputs: ValueInfo[] = [{ name: 'a', dtype: 'float32', shape: [2] }, { name: 'b', dtype: 'int64', shape: [1] }];
    mkdirSync(join(dir, 'test_data_set_0'));
    writeFileSync(join(dir, 'test_data_set_0', 'input_0.npy'), encodeNpy({ type: 'float32', dims: [2], data: Float32Array.of(1, 2) }));
    writeFileSync(join(dir, 'test_data_set_0', 'b.npy'), encodeNpy({ type: 'int64', dims: [1], data: BigInt64Array.of(7n) }));
    const ex = loadCalibrationDir(dir, inputs);
    assert.deepEqual(Array.from(ex[0]!.a!.data as Float32Array), [1, 2]);
    assert.deepEqual(Array.from(ex[0]!.b!.data as BigInt64Array), [7n]);
    writeFileSync(join(dir, 'flat.npy'), encodeNpy({ type: 'float32', dims: [2], data: Float32Array.of(1, 2) }));
    assert.throws(() => loadCalibrationDir(dir, inputs), /has 2 inputs/);
  });
});

test('PNG images: mean/std, NCHW vs NHWC, RGB vs BGR, gray from RGB', () => {
  const bytes = png();
  const nchw = imageTensor(bytes, X, { mean: [10], std: [2] }, 'p.png');
  assert.deepEqual(nchw.dims, [1, 3, 2, 2]);
  assert.deepEqual(Array.from(nchw.data as Float32Array), [0, 0.5, 1, 1.5, 5, 5.5, 6, 6.5, 10, 10.5, 11, 11.5]);
  const nhwc = imageTensor(bytes, { ...X, shape: [1, 2, 2, 3] }, { layout: 'NHWC', channelOrder: 'BGR' }, 'p.png');
  assert.deepEqual(Array.from((nhwc.data as Float32Array).slice(0, 6)), [30, 20, 10, 31, 21, 11]);
  const gray = imageTensor(bytes, { ...X, shape: [1, 1, 2, 2] }, { scale: 1 / 255 }, 'p.png');
  assert.ok(Math.abs((gray.data as Float32Array)[0]! - 20 / 255) < 1e-6);
});

test('bilinear resize (half-pixel centers) and the image directory path', () => {
  // 1×2 → 1×4: sample x = (j+0.5)/2 - 0.5 → [-0.25→0, 0.25, 0.75, 1.25→1] → [0, 2.5, 7.5, 10]
  assert.deepEqual(Array.from(resizeBilinear(Float32Array.of(0, 10), 1, 2, 1, 1, 4)), [0, 2.5, 7.5, 10]);
  withDir((dir) => {
    writeFileSync(join(dir, 'img.png'), png(4, 4));
    const ex = loadCalibrationDir(dir, [X]); // resized 4×4 → 2×2 (the input's H, W)
    assert.deepEqual(ex[0]!.x!.dims, [1, 3, 2, 2]);
    writeFileSync(join(dir, 'bad.png'), 'not a png');
    assert.throws(() => loadCalibrationDir(dir, [X]), /bad\.png.*not a readable PNG|not a readable PNG/);
  });
});
