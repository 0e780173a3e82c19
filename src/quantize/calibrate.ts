/**
 * Calibration: runs the ordinary runtime on representative inputs with observers on chosen
 * tensors and returns their ranges. The observers are extra graph outputs: a copy of the model
 * whose outputs also list every observed tensor is loaded in an `InferenceSession`, and each
 * example's observed values feed a per-tensor {@link RangeCollector}.
 * The calibration cache (TensorRT's idea) is a JSON file of tensor name → `[min, max]`, written
 * atomically (temporary file + rename) after calibrating and read instead of calibrating when present.
 * @module
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { OptiflowError } from '../ir/errors.js';
import type { TensorData } from '../ir/tensor-data.js';
import { exportOnnx } from '../exporters/onnx/export.js';
import { importOnnx } from '../importers/onnx/import.js';
import { InferenceSession, Tensor } from '../index.js';
import { computeRange, RangeCollector, type Range } from './range.js';
import type { CalibrationMethod } from './types.js';

/** Options of {@link calibrate}. */
export interface CalibrateOptions {
  method?: CalibrationMethod;
  percentile?: number;
  progress?: boolean;
  /** Histogram bins per tensor (default 2048). */
  bins?: number;
  /** Activation type the ranges are for (default uint8): `entropy` compares against 256 levels for
   * a non-negative tensor quantized to uint8, 128 otherwise (int8 magnitudes). */
  activationType?: 'uint8' | 'int8';
  /** `entropy`: leave exact zeros out of each histogram (see `entropyThreshold`; default true). */
  skipZeros?: boolean;
}

/**
 * Observes `tensors` of the model while running `examples` and collects their statistics.
 * @param modelBytes the float ONNX model
 * @param tensors names of float tensors (graph inputs or node outputs) to observe
 * @param examples one feed per example, every graph input by name
 * @returns a collector per tensor
 * @throws OptiflowError `invalid_argument` with no examples; the session's errors (naming the
 *   input, expected vs got) for feeds of the wrong dtype or shape.
 */
export async function collectStatistics(modelBytes: Uint8Array, tensors: readonly string[],
  examples: readonly Record<string, TensorData>[], o: CalibrateOptions = {}): Promise<Map<string, RangeCollector>> {
  if (examples.length === 0) throw new OptiflowError('invalid_argument', 'static quantization needs at least one calibration example');
  const g = importOnnx(modelBytes);
  const inputs = new Set(g.inputs.map((v) => v.name));
  const outputs = new Set(g.outputs.map((v) => v.name));
  for (const t of tensors) {
    if (inputs.has(t) || outputs.has(t)) continue;
    g.outputs.push({ name: t, kind: 'tensor', dtype: 'float32' });
    outputs.add(t);
  }
  const session = await InferenceSession.create(exportOnnx(g));
  const fetch = tensors.filter((t) => !inputs.has(t));
  const collectors = new Map<string, RangeCollector>(tensors.map((t) => [t, new RangeCollector(o.bins)]));
  const bar = o.progress ? new SingleBar({ format: 'calibrating [{bar}] {value}/{total} examples', hideCursor: true }, Presets.shades_classic) : undefined;
  bar?.start(examples.length, 0);
  try {
    for (const ex of examples) {
      const feeds: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(ex)) feeds[k] = v instanceof Tensor ? v : new Tensor(v.type, v.data, v.dims);
      const out = await session.run(feeds, fetch);
      for (const t of tensors) {
        const v = inputs.has(t) ? ex[t] : out[t];
        if (v) collectors.get(t)!.add(v.data as ArrayLike<number>);
      }
      bar?.increment();
    }
  } finally {
    bar?.stop();
    await session.release();
  }
  return collectors;
}

/** Reads a calibration cache. @throws OptiflowError `invalid_argument` for a malformed file. */
export function readCalibrationCache(file: string): Map<string, Range> {
  let json: unknown;
  try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
    throw new OptiflowError('invalid_argument', `calibration cache is not valid JSON: ${(e as Error).message}`, [file]);
  }
  const ranges = new Map<string, Range>();
  const obj = (json as { ranges?: unknown } | null)?.ranges;
  if (!obj || typeof obj !== 'object') throw new OptiflowError('invalid_argument', 'calibration cache has no "ranges" object', [file]);
  for (const [k, v] of Object.entries(obj)) {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || v[0] > v[1]) {
      throw new OptiflowError('invalid_argument', `calibration cache entry '${k}' must be [min, max] with min ≤ max`, [file]);
    }
    ranges.set(k, { min: v[0] as number, max: v[1] as number });
  }
  return ranges;
}

/** Writes a calibration cache atomically (temporary file, then rename). */
export function writeCalibrationCache(file: string, ranges: ReadonlyMap<string, Range>, method: string): void {
  const body = { format: 'optiflow-calibration-cache', version: 1, method, ranges: Object.fromEntries([...ranges].map(([k, r]) => [k, [r.min, r.max]])) };
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(body, null, 1)}\n`);
  renameSync(tmp, file);
}

/**
 * Calibrated ranges of `tensors`: from `cache` when that file exists and covers every tensor,
 * otherwise by running the examples (and then written to `cache` when given).
 * @throws OptiflowError as {@link collectStatistics} and {@link readCalibrationCache}; `invalid_argument`
 *   when neither a usable cache nor examples are given.
 */
export async function calibrate(modelBytes: Uint8Array, tensors: readonly string[],
  examples: readonly Record<string, TensorData>[] | undefined, cache: string | undefined, o: CalibrateOptions = {}): Promise<Map<string, Range>> {
  if (cache && existsSync(cache)) {
    const ranges = readCalibrationCache(cache);
    const missing = tensors.filter((t) => !ranges.has(t));
    if (missing.length === 0) return ranges;
    if (!examples?.length) throw new OptiflowError('invalid_argument', `calibration cache lacks ${missing.length} tensor(s) (e.g. '${missing[0]}') and no calibration data was given`, [cache]);
  }
  if (!examples?.length) throw new OptiflowError('invalid_argument', 'static quantization needs calibration data (--calibration DIR) or a calibration cache');
  const stats = await collectStatistics(modelBytes, tensors, examples, o);
  const ranges = new Map<string, Range>();
  for (const [t, c] of stats) {
    if (c.total === 0) continue;
    const levels = (o.activationType ?? 'uint8') === 'uint8' && c.min >= 0 ? 256 : 128;
    ranges.set(t, computeRange(c, o.method ?? 'minmax', o.percentile, levels, o.skipZeros ?? true));
  }
  if (cache) writeCalibrationCache(cache, ranges, `${o.method ?? 'minmax'}${o.method === 'entropy' && o.skipZeros === false ? ' (zeros kept)' : ''}`);
  return ranges;
}
