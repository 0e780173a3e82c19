/**
 * Accuracy of a quantized model against its float reference: both run in the ordinary runtime on
 * the same inputs; per output, top-1 / top-5 agreement (2-D `[N, classes]` outputs), max and mean
 * absolute error, and SNR in dB = 10·log10(Σref² / Σ(ref − q)²) (∞ when equal); optionally per
 * layer, where the error grows most (see `compare-layers.ts`).
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InferenceSession } from '../index.js';
import type { InferenceSession as Session } from '../runtime/session.js';
import { OptiflowError } from '../ir/errors.js';
import { halfArrayToFloat32 } from '../ir/float16.js';
import type { TensorData } from '../ir/tensor-data.js';
import { randomInput, readTensorFile } from '../cli/run.js';
import { Rng } from '../zoo/random.js';
import { compareLayers, formatLayers, type LayerReport } from './compare-layers.js';

export { compareLayers, formatLayers, matchLayers, rankLayers, type CompareLayersOptions, type LayerComparison, type LayerReport } from './compare-layers.js';

/** Error statistics of one output over all examples. */
export interface OutputComparison {
  name: string;
  /** Elements compared. */
  count: number;
  maxAbsError: number;
  meanAbsError: number;
  /** 10·log10(Σref² / Σ(ref − q)²), dB; `Infinity` when identical. */
  snrDb: number;
  /** Rows whose argmax agrees, fraction (2-D `[N, C]` outputs only). */
  top1?: number;
  /** Rows whose reference top-1 class is in the other model's top 5, fraction (2-D, C ≥ 5). */
  top5?: number;
  /** Rows compared for top-k. */
  rows?: number;
}

/** Result of {@link compareModels}. */
export interface CompareResult {
  examples: number;
  outputs: OutputComparison[];
  /**
   * Per-layer error (the float tensors both models have, in graph order) and the nodes to exclude
   * from quantization first; present when requested (`layers: true` in {@link CompareOptions}).
   */
  layers?: LayerReport;
}

/** Options of {@link compareModels}. */
export interface CompareOptions {
  /** Also compare every float tensor both models have (needs paths or bytes, not sessions). */
  layers?: boolean;
  /** Execution providers of the sessions created here (default: the runtime's defaults). */
  executionProviders?: string[];
}

/** Float view of a float tensor (float16 bits widened); throws for other dtypes. */
function floats(t: TensorData, name: string): ArrayLike<number> {
  if (t.type === 'float32' || t.type === 'float64') return t.data as Float32Array;
  if (t.type === 'float16') return halfArrayToFloat32(t.data as Uint16Array);
  if (t.type === 'int8' || t.type === 'uint8' || t.type === 'int32' || t.type === 'int16' || t.type === 'uint16') return t.data as Int32Array;
  throw new OptiflowError('invalid_argument', `output '${name}' is ${t.type}; only numeric outputs are compared`, [name]);
}

function argTop(v: ArrayLike<number>, off: number, n: number, k: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => (v[off + b]! - v[off + a]!) || a - b);
  return idx.slice(0, k);
}

/** Running sums of one output. */
class Acc {
  count = 0; maxAbs = 0; sumAbs = 0; sumRef2 = 0; sumErr2 = 0; rows = 0; top1 = 0; top5 = 0; topk = false; top5ok = false;
  add(ref: TensorData, q: TensorData, name: string): void {
    if (ref.dims.join() !== q.dims.join()) {
      throw new OptiflowError('shape_mismatch', `output '${name}' has shape [${ref.dims.join(', ')}] in the reference and [${q.dims.join(', ')}] in the other model`, [name]);
    }
    const a = floats(ref, name); const b = floats(q, name);
    for (let i = 0; i < a.length; i++) {
      const e = Math.abs(a[i]! - b[i]!);
      if (!(e <= this.maxAbs)) this.maxAbs = Number.isNaN(e) ? NaN : Math.max(this.maxAbs, e);
      this.sumAbs += e; this.sumRef2 += a[i]! * a[i]!; this.sumErr2 += e * e;
    }
    this.count += a.length;
    if (ref.dims.length === 2 && ref.dims[1]! > 1) {
      const [n, c] = ref.dims as [number, number];
      this.topk = true; this.top5ok = c >= 5;
      for (let r = 0; r < n; r++) {
        const ra = argTop(a, r * c, c, 1)[0]!;
        const qb = argTop(b, r * c, c, 5);
        if (qb[0] === ra) this.top1++;
        if (qb.includes(ra)) this.top5++;
      }
      this.rows += n;
    }
  }
  result(name: string): OutputComparison {
    const r: OutputComparison = {
      name, count: this.count, maxAbsError: this.maxAbs, meanAbsError: this.count ? this.sumAbs / this.count : 0,
      snrDb: this.sumErr2 === 0 ? Infinity : 10 * Math.log10(this.sumRef2 / this.sumErr2),
    };
    if (this.topk) { r.rows = this.rows; r.top1 = this.top1 / this.rows; if (this.top5ok) r.top5 = this.top5 / this.rows; }
    return r;
  }
}

/**
 * Runs `reference` and `other` (paths, bytes, or sessions) on every feed record and compares
 * each output of the reference with the same-named output of the other; with `layers`, also each
 * float tensor both models have (see `compareLayers`).
 * @throws OptiflowError `invalid_argument` when there are no examples, an output is missing
 *   from `other`, or `layers` is asked with sessions; `shape_mismatch`; as `InferenceSession.create`/`run`
 *   and `compareLayers`.
 */
export async function compareModels(reference: string | Uint8Array | Session, other: string | Uint8Array | Session,
  examples: readonly Record<string, TensorData>[], o: CompareOptions = {}): Promise<CompareResult> {
  if (examples.length === 0) throw new OptiflowError('invalid_argument', 'no inputs to compare on');
  const isModel = (m: string | Uint8Array | Session): m is string | Uint8Array => typeof m === 'string' || m instanceof Uint8Array;
  if (o.layers && (!isModel(reference) || !isModel(other))) throw new OptiflowError('invalid_argument', 'per-layer comparison needs model paths or bytes, not sessions');
  const sa = isModel(reference) ? await InferenceSession.create(reference, { executionProviders: o.executionProviders }) : reference;
  const sb = isModel(other) ? await InferenceSession.create(other, { executionProviders: o.executionProviders }) : other;
  for (const name of sa.outputNames) {
    if (!sb.outputNames.includes(name)) throw new OptiflowError('invalid_argument', `output '${name}' of the reference is missing from the other model`, [name]);
  }
  const accs = new Map(sa.outputNames.map((n) => [n, new Acc()]));
  for (const feeds of examples) {
    const ra = await sa.run(feeds);
    const rb = await sb.run(feeds);
    for (const [name, acc] of accs) acc.add(ra[name]!, rb[name]!, name);
  }
  if (isModel(reference)) await sa.release();
  if (isModel(other)) await sb.release();
  const r: CompareResult = { examples: examples.length, outputs: [...accs].map(([n, a]) => a.result(n)) };
  if (o.layers && isModel(reference) && isModel(other)) {
    r.layers = await compareLayers(reference, other, examples, o.executionProviders ? { executionProviders: o.executionProviders } : {});
  }
  return r;
}

/**
 * Reads example inputs from `dir`: each subfolder (sorted) is one example, or `dir` itself when it
 * has no subfolders. In an example folder, a `.npy`/`.pb` file named after an input
 * (`<input>.npy`) feeds that input; otherwise files are taken in sorted order by input position
 * (`input_0.pb`, `input_1.pb`, ... as in ONNX test data sets).
 * @throws OptiflowError `io_error` when `dir` is missing, `invalid_argument` when an example has
 *   no usable file or not one per input.
 */
export function readExamples(dir: string, inputNames: readonly string[]): Record<string, TensorData>[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new OptiflowError('io_error', 'inputs folder not found', [dir]);
  const entries = readdirSync(dir).sort();
  const subs = entries.filter((e) => statSync(join(dir, e)).isDirectory());
  const folders = subs.length ? subs.map((s) => join(dir, s)) : [dir];
  return folders.map((f) => {
    const files = readdirSync(f).filter((e) => ['.npy', '.pb'].includes(extname(e))).sort();
    if (files.length === 0) throw new OptiflowError('invalid_argument', 'no .npy or .pb input file', [f]);
    const feeds: Record<string, TensorData> = {};
    const byName = new Map(files.map((e) => [basename(e, extname(e)), e]));
    if (inputNames.every((n) => byName.has(n))) {
      for (const n of inputNames) feeds[n] = readTensorFile(join(f, byName.get(n)!));
    } else if (files.length === inputNames.length) {
      inputNames.forEach((n, i) => { feeds[n] = readTensorFile(join(f, files[i]!)); });
    } else {
      throw new OptiflowError('invalid_argument', `expected one file per input (${inputNames.join(', ')}), found ${files.join(', ')}`, [f]);
    }
    return feeds;
  });
}

/** `count` seeded random feed records for a session's inputs (see `randomInput`). */
export function randomExamples(session: Session, count: number, seed = 0): Record<string, TensorData>[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Object.fromEntries(session.inputMetadata.map((m) => [m.name, randomInput(m, rng, 1)])));
}

/**
 * Formats a comparison as a table; with per-layer results, then the `layers` worst layers
 * (default 5; `Infinity` for all) and, with `allLayers`, every layer in graph order.
 */
export function formatCompare(r: CompareResult, layers = 5, allLayers = false): string {
  const pct = (v: number | undefined): string => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);
  const lines = [`${r.examples} example(s)`, 'output\ttop-1\ttop-5\tmax abs err\tmean abs err\tSNR dB'];
  for (const o of r.outputs) {
    lines.push(`${o.name}\t${pct(o.top1)}\t${pct(o.top5)}\t${o.maxAbsError.toPrecision(4)}\t${o.meanAbsError.toPrecision(4)}\t${Number.isFinite(o.snrDb) ? o.snrDb.toFixed(2) : 'inf'}`);
  }
  if (r.layers) lines.push(formatLayers(r.layers, layers, allLayers));
  return lines.join('\n');
}
