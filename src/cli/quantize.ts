/**
 * `optiflow quantize MODEL -o OUT.onnx --mode dynamic|static|fp16 [--eval [DIR]]` and
 * `optiflow compare A.onnx B.onnx [--inputs DIR]`: post-training quantization and its accuracy
 * report (top-1/top-5 agreement, max/mean abs error, SNR per output; per layer, the nodes where the
 * error grows most and an `--exclude` line for them: `--layers N`, `--all-layers`). A model with nothing to
 * quantize prints "nothing to quantize", writes no file and exits 0. Files are written atomically.
 * @module
 */
import type { Command } from 'commander';
import { writeOnnxFile } from '../exporters/onnx/export-file.js';
import { InferenceSession } from '../index.js';
import { OptiflowError } from '../ir/errors.js';
import type { TensorData } from '../ir/tensor-data.js';
import { loadCalibrationDir, type Preprocess } from '../quantize/calibration-data.js';
import { compareModels, formatCompare, randomExamples, readExamples, type CompareResult } from '../quantize/compare.js';
import { formatReport, quantize, QUANT_MODES } from '../quantize/index.js';
import type { CalibrationMethod, QuantizeOptions, QuantizeReport, QuantMode } from '../quantize/types.js';
import { human } from './inspect.js';
import { modelBytes, resolveModel } from './model-source.js';

/** Options of {@link quantizeModel}. */
export interface QuantizeModelOptions extends Omit<QuantizeOptions, 'calibration'> {
  output: string;
  /** Folder of calibration inputs (static mode): `.npy`/`.pb` tensors or PNG images. */
  calibrationDir?: string;
  /** How PNG calibration images become input tensors (resize, mean/std, layout, channel order). */
  preprocess?: Preprocess;
  /** Compare float and quantized: a folder of inputs, or `true` for 8 seeded random examples. */
  eval?: string | true;
  /** With `eval`: also compare per layer (default true; see `compareLayers`). */
  evalLayers?: boolean;
}

/** What {@link quantizeModel} did. */
export interface QuantizeSummary {
  model: string;
  report: QuantizeReport;
  /** False when nothing was quantized (no file written). */
  written: boolean;
  output: string;
  floatBytes: number;
  bytes: number;
  evaluation?: CompareResult;
}

/** Number of random examples `--eval` uses without a folder. */
const RANDOM_EXAMPLES = 8;

/**
 * Quantizes MODEL (a file or built-in model name) and writes OUT atomically.
 * @throws OptiflowError as `quantize`, `readExamples`, `writeOnnxFile`, `compareModels`.
 */
export async function quantizeModel(model: string, o: QuantizeModelOptions): Promise<QuantizeSummary> {
  const src = resolveModel(model);
  const floatModel = modelBytes(src);
  const opts: QuantizeOptions = { ...o };
  if (o.calibrationDir) {
    const s = await InferenceSession.create(floatModel, { graphOptimizationLevel: 'disabled', executionProviders: ['js'] });
    try {
      opts.calibration = loadCalibrationDir(o.calibrationDir, s.graph.inputs, o.preprocess);
    } finally {
      await s.release();
    }
  }
  const r = await quantize(floatModel, opts);
  const summary: QuantizeSummary = { model: src.name, report: r.report, written: false, output: o.output, floatBytes: floatModel.length, bytes: 0 };
  if (r.report.quantized.length === 0) return summary;
  const w = writeOnnxFile(o.output, r.graph, { valueInfo: false });
  summary.written = true;
  summary.bytes = w.bytes + w.dataBytes;
  if (o.eval !== undefined) summary.evaluation = await compareFiles(floatModel, o.output, o.eval === true ? undefined : o.eval, 0, { layers: o.evalLayers ?? true });
  return summary;
}

/**
 * Compares two models on the inputs in `dir` (see `readExamples`) or on seeded random inputs;
 * per layer too unless `o.layers` is false (the result's `layers`, see `compareLayers`).
 * @throws OptiflowError as `readExamples`, `compareModels` and `compareLayers`.
 */
export async function compareFiles(a: string | Uint8Array, b: string | Uint8Array, dir?: string, seed = 0,
  o: { layers?: boolean; executionProviders?: string[] } = {}): Promise<CompareResult> {
  const ep = o.executionProviders ? { executionProviders: o.executionProviders } : {};
  const sa = await InferenceSession.create(a, ep);
  let examples: Record<string, TensorData>[];
  try {
    examples = dir ? readExamples(dir, sa.inputNames) : randomExamples(sa, RANDOM_EXAMPLES, seed);
  } finally {
    await sa.release();
  }
  return compareModels(a, b, examples, { ...ep, layers: o.layers ?? true });
}

/** Text form of a summary; `layers`/`allLayers` as in `formatCompare`. */
export function formatQuantize(s: QuantizeSummary, layers = 5, allLayers = false): string {
  const lines = [formatReport(s.report)];
  if (!s.written) lines.push(`nothing to quantize in ${s.model}; no file written`);
  else lines.push(`wrote ${s.output}: ${human(s.bytes)} (float ${human(s.floatBytes)}, ${(s.bytes / s.floatBytes).toFixed(3)}×)`);
  if (s.evaluation) lines.push(formatCompare(s.evaluation, layers, allLayers));
  return `${lines.join('\n')}\n`;
}

const list = (v?: string): string[] | undefined => v?.split(',').map((x) => x.trim()).filter(Boolean);

/** JSON with ±Infinity and NaN (SNRs of exact or zero tensors) written as strings. */
const json = (v: unknown): string => `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 2)}\n`;

/**
 * `--layers N` / `--all-layers` as a count of worst layers to print (`Infinity` for all; 0 skips
 * the per-layer comparison). @throws OptiflowError `invalid_argument` for a bad N.
 */
function layerCount(o: { layers?: string; allLayers?: boolean }): number {
  if (o.allLayers) return Infinity;
  if (o.layers === undefined) return 5;
  const n = Number(o.layers);
  if (!Number.isInteger(n) || n < 0) throw new OptiflowError('invalid_argument', `--layers must be an integer >= 0, got '${o.layers}'`);
  return n;
}

/** Registers `optiflow quantize`. */
export function registerQuantize(program: Command): void {
  program.command('quantize')
    .description('post-training quantization (dynamic int8, static int8 QDQ, float16) to standard ONNX')
    .argument('<model>', 'an .onnx file or a built-in model name (see `optiflow zoo`)')
    .requiredOption('-o, --output <file>', 'where to write the quantized .onnx file')
    .option('--mode <mode>', `${QUANT_MODES.join(', ')}`, 'dynamic')
    .option('--exclude <nodes>', 'node names never quantized, comma-separated')
    .option('--op-types <ops>', 'only these op types are quantized, comma-separated')
    .option('--keep-fp32 <ops>', 'fp16 mode: op types kept in float32, comma-separated')
    .option('--activation-type <t>', 'static mode: uint8 or int8')
    .option('--method <m>', 'static mode: minmax, entropy or percentile')
    .option('--percentile <p>', 'percentile method: the percentile kept (e.g. 99.999)')
    .option('--no-skip-zeros', 'entropy method: keep exact zeros in the histograms (by default they are left out, so ReLU outputs are not clipped hard)')
    .option('--calibration <dir>', 'static mode: folder of representative inputs (.npy/.pb tensors or .png images)')
    .option('--resize <h,w>', 'calibration images: resize to H,W (bilinear; default the input size)')
    .option('--scale <s>', 'calibration images: multiply 0..255 pixels by S first (e.g. 0.00392157 for 0..1)')
    .option('--mean <list>', 'calibration images: per-channel mean subtracted, comma-separated')
    .option('--std <list>', 'calibration images: per-channel std divided by, comma-separated')
    .option('--layout <l>', 'calibration images: NCHW (default) or NHWC')
    .option('--channel-order <c>', 'calibration images: RGB (default) or BGR')
    .option('--calibration-cache <file>', 'static mode: saved ranges (read if present, written otherwise)')
    .option('--eval [dir]', 'compare float and quantized on the inputs in DIR (or seeded random inputs)')
    .option('--layers <n>', 'with --eval: print the N layers where the error grows most (default 5; 0 skips the per-layer comparison)')
    .option('--all-layers', 'with --eval: rank every quantized layer and list all layers in graph order')
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, o: { output: string; mode: string; exclude?: string; opTypes?: string; keepFp32?: string; activationType?: string;
      method?: string; percentile?: string; skipZeros?: boolean; calibration?: string; calibrationCache?: string; eval?: string | true; json?: boolean; layers?: string; allLayers?: boolean;
      resize?: string; scale?: string; mean?: string; std?: string; layout?: string; channelOrder?: string }) => {
      if (!QUANT_MODES.includes(o.mode as QuantMode)) throw new OptiflowError('invalid_argument', `--mode must be one of ${QUANT_MODES.join(', ')}, got '${o.mode}'`);
      if (o.activationType !== undefined && o.activationType !== 'uint8' && o.activationType !== 'int8') throw new OptiflowError('invalid_argument', `--activation-type must be uint8 or int8, got '${o.activationType}'`);
      if (o.method !== undefined && !['minmax', 'entropy', 'percentile'].includes(o.method)) throw new OptiflowError('invalid_argument', `--method must be minmax, entropy or percentile, got '${o.method}'`);
      const top = layerCount(o);
      const percentile = o.percentile === undefined ? undefined : Number(o.percentile);
      if (percentile !== undefined && !(percentile > 0 && percentile <= 100)) throw new OptiflowError('invalid_argument', `--percentile must be in (0, 100], got '${o.percentile}'`);
      const s = await quantizeModel(model, {
        output: o.output, mode: o.mode as QuantMode, exclude: list(o.exclude), opTypes: list(o.opTypes), keepFp32: list(o.keepFp32),
        activationType: o.activationType as 'uint8' | 'int8' | undefined, method: o.method as CalibrationMethod | undefined, percentile,
        ...(o.skipZeros === false ? { skipZeros: false } : {}),
        calibrationDir: o.calibration, calibrationCache: o.calibrationCache, eval: o.eval, evalLayers: top > 0, progress: process.stderr.isTTY,
        preprocess: preprocessOptions(o),
      });
      process.stdout.write(o.json ? json(s) : formatQuantize(s, top, Boolean(o.allLayers)));
    });
}

/** The image preprocessing flags as {@link Preprocess}. @throws OptiflowError `invalid_argument` naming the flag. */
function preprocessOptions(o: { resize?: string; scale?: string; mean?: string; std?: string; layout?: string; channelOrder?: string }): Preprocess {
  const nums = (flag: string, v: string | undefined): number[] | undefined => {
    if (v === undefined) return undefined;
    const xs = v.split(',').map(Number);
    if (!xs.length || xs.some((x) => !Number.isFinite(x))) throw new OptiflowError('invalid_argument', `${flag} must be comma-separated numbers, got '${v}'`);
    return xs;
  };
  const p: Preprocess = {};
  const r = nums('--resize', o.resize);
  if (r) {
    if (r.length !== 2 || r.some((x) => !Number.isInteger(x) || x < 1)) throw new OptiflowError('invalid_argument', `--resize must be H,W (positive integers), got '${o.resize}'`);
    p.resize = [r[0]!, r[1]!];
  }
  const sc = nums('--scale', o.scale);
  if (sc) p.scale = sc[0];
  p.mean = nums('--mean', o.mean);
  p.std = nums('--std', o.std);
  if (p.std?.some((x) => x === 0)) throw new OptiflowError('invalid_argument', `--std must not contain 0, got '${o.std}'`);
  if (o.layout !== undefined) {
    if (o.layout !== 'NCHW' && o.layout !== 'NHWC') throw new OptiflowError('invalid_argument', `--layout must be NCHW or NHWC, got '${o.layout}'`);
    p.layout = o.layout;
  }
  if (o.channelOrder !== undefined) {
    if (o.channelOrder !== 'RGB' && o.channelOrder !== 'BGR') throw new OptiflowError('invalid_argument', `--channel-order must be RGB or BGR, got '${o.channelOrder}'`);
    p.channelOrder = o.channelOrder;
  }
  return p;
}

/** Registers `optiflow compare`; `print` receives the output (default: standard output). */
export function registerCompare(program: Command, print: (text: string) => void = (t) => { process.stdout.write(t); }): void {
  program.command('compare')
    .description('run two models on the same inputs and report per-output agreement and error (top-1/top-5, max/mean abs, SNR) and the layers where the error grows most')
    .argument('<reference>', 'the reference model (.onnx or built-in name)')
    .argument('<other>', 'the model compared with it (.onnx or built-in name)')
    .option('--inputs <dir>', 'folder of inputs (.npy/.pb; one subfolder per example); default: seeded random inputs')
    .option('--seed <n>', 'seed of random inputs', '0')
    .option('--layers <n>', 'print the N layers where the error grows most, with an --exclude line (default 5; 0 skips the per-layer comparison)')
    .option('--all-layers', 'rank every quantized layer and list all layers in graph order')
    .option('--json', 'print the result as JSON')
    .action(async (a: string, b: string, o: { inputs?: string; seed: string; json?: boolean; layers?: string; allLayers?: boolean }) => {
      const seed = Number(o.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new OptiflowError('invalid_argument', `--seed must be an integer >= 0, got '${o.seed}'`);
      const top = layerCount(o);
      const r = await compareFiles(modelBytes(resolveModel(a)), modelBytes(resolveModel(b)), o.inputs, seed, { layers: top > 0 });
      print(o.json ? json(r) : `${formatCompare(r, top, Boolean(o.allLayers))}\n`);
    });
}
