/**
 * Calibration data from a directory: `.npy` or `.pb` (ONNX TensorProto) tensors, PNG images with
 * preprocessing, or subdirectories in the ONNX test-data layout (`input_0.pb`, `input_1.pb`, ... or
 * files named after the inputs), one example per file (single-input models) or per subdirectory.
 * @module
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { PNG } from 'pngjs';
import { decodeNpy } from '../cli/npy.js';
import { OptiflowError } from '../ir/errors.js';
import type { ValueInfo } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { decodeTensorProto } from '../importers/onnx/tensor-proto.js';

/** Image preprocessing (PNG inputs). */
export interface Preprocess {
  /** Target `[height, width]` (bilinear, half-pixel centers); default: the model input's H and W. */
  resize?: [number, number];
  /** Per-channel mean subtracted after scaling (default 0). */
  mean?: number[];
  /** Per-channel std divided by (default 1). */
  std?: number[];
  /** Multiplier applied to 0..255 pixels first (default 1: raw pixels; 1/255 for 0..1). */
  scale?: number;
  /** Tensor layout (default NCHW). */
  layout?: 'NCHW' | 'NHWC';
  /** Channel order for 3-channel inputs (default RGB). */
  channelOrder?: 'RGB' | 'BGR';
}

const TENSOR_EXT = new Set(['.npy', '.pb']);

function bad(message: string, file: string): OptiflowError { return new OptiflowError('invalid_argument', message, [file]); }

function readTensor(file: string): TensorData {
  const bytes = readFileSync(file);
  return extname(file) === '.npy' ? decodeNpy(bytes, file) : decodeTensorProto(bytes, [file]);
}

/** Checks a tensor against an input's declared dtype and shape (symbolic dims accept any size). */
function checkFits(t: TensorData, v: ValueInfo, file: string): void {
  if (v.dtype && t.type !== v.dtype) throw bad(`input '${v.name}': expected dtype ${v.dtype}, got ${t.type}`, file);
  const want = v.shape;
  if (!want) return;
  const fits = want.length === t.dims.length && want.every((d, i) => typeof d !== 'number' || d === t.dims[i]);
  if (!fits) throw bad(`input '${v.name}': expected shape [${want.join(', ')}], got [${t.dims.join(', ')}]`, file);
}

/** Bilinear resize (half-pixel centers) of an interleaved `h×w×c` float image. */
export function resizeBilinear(src: Float32Array, h: number, w: number, c: number, oh: number, ow: number): Float32Array {
  if (oh === h && ow === w) return src;
  const out = new Float32Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (h / oh) - 0.5, 0), h - 1);
    const y0 = Math.floor(sy); const y1 = Math.min(y0 + 1, h - 1); const fy = sy - y0;
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (w / ow) - 0.5, 0), w - 1);
      const x0 = Math.floor(sx); const x1 = Math.min(x0 + 1, w - 1); const fx = sx - x0;
      for (let k = 0; k < c; k++) {
        const a = src[(y0 * w + x0) * c + k]!; const b = src[(y0 * w + x1) * c + k]!;
        const d = src[(y1 * w + x0) * c + k]!; const e = src[(y1 * w + x1) * c + k]!;
        out[(y * ow + x) * c + k] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
      }
    }
  }
  return out;
}

/**
 * Decodes a PNG and turns it into a `[1, C, H, W]` (or NHWC) float32 tensor for input `v`.
 * C comes from the input's channel dim (1: gray as the mean of R, G, B; 3: RGB or BGR).
 * @throws OptiflowError `invalid_argument` for an input that is not a rank-4 float32 image tensor.
 */
export function imageTensor(bytes: Uint8Array, v: ValueInfo, p: Preprocess, file: string): TensorData {
  const layout = p.layout ?? 'NCHW';
  const shape = v.shape;
  if (!shape || shape.length !== 4 || (v.dtype && v.dtype !== 'float32')) {
    throw bad(`input '${v.name}' is not a float32 rank-4 image tensor (shape [${shape?.join(', ') ?? '?'}]); images need one`, file);
  }
  const cDim = shape[layout === 'NCHW' ? 1 : 3];
  const c = typeof cDim === 'number' ? cDim : 3;
  if (c !== 1 && c !== 3) throw bad(`input '${v.name}' has ${c} channels; images give 1 or 3`, file);
  const hDim = shape[layout === 'NCHW' ? 2 : 1]; const wDim = shape[layout === 'NCHW' ? 3 : 2];
  let png: PNG;
  try { png = PNG.sync.read(Buffer.from(bytes)); } catch (e) { throw bad(`not a readable PNG: ${(e as Error).message}`, file); }
  const { width: w, height: h } = png;
  const [oh, ow] = p.resize ?? [typeof hDim === 'number' ? hDim : h, typeof wDim === 'number' ? wDim : w];
  const scale = p.scale ?? 1;
  const px = new Float32Array(h * w * c);
  for (let i = 0; i < h * w; i++) {
    const r = png.data[i * 4]!; const g = png.data[i * 4 + 1]!; const b = png.data[i * 4 + 2]!;
    if (c === 1) px[i] = ((r + g + b) / 3) * scale;
    else {
      const ch = (p.channelOrder ?? 'RGB') === 'RGB' ? [r, g, b] : [b, g, r];
      for (let k = 0; k < 3; k++) px[i * 3 + k] = ch[k]! * scale;
    }
  }
  const img = resizeBilinear(px, h, w, c, oh, ow);
  const out = new Float32Array(oh * ow * c);
  for (let i = 0; i < oh * ow; i++) {
    for (let k = 0; k < c; k++) {
      const val = (img[i * c + k]! - (p.mean?.[k] ?? p.mean?.[0] ?? 0)) / (p.std?.[k] ?? p.std?.[0] ?? 1);
      out[layout === 'NCHW' ? k * oh * ow + i : i * c + k] = val;
    }
  }
  return { type: 'float32', dims: layout === 'NCHW' ? [1, c, oh, ow] : [1, oh, ow, c], data: out };
}

/** One example from a subdirectory: `input_<i>.{pb,npy}` or `<input name>.{pb,npy}` per input. */
function readExampleDir(dir: string, inputs: readonly ValueInfo[]): Record<string, TensorData> {
  const files = readdirSync(dir).filter((f) => TENSOR_EXT.has(extname(f)));
  const ex: Record<string, TensorData> = {};
  inputs.forEach((v, i) => {
    const f = files.find((n) => basename(n, extname(n)) === `input_${i}`) ?? files.find((n) => basename(n, extname(n)) === v.name);
    if (!f) throw bad(`no file for input '${v.name}' (expected input_${i}.pb/.npy or ${v.name}.pb/.npy)`, dir);
    const t = readTensor(join(dir, f));
    checkFits(t, v, join(dir, f));
    ex[v.name] = t;
  });
  return ex;
}

/**
 * Loads calibration examples from `dir`, in file-name order.
 * @param inputs the model's graph inputs (name, dtype, shape)
 * @param preprocess how PNG files become input tensors
 * @returns one feed per example
 * @throws OptiflowError `io_error` when `dir` cannot be read; `invalid_argument` for a directory
 *   with no usable file, a tensor or image that does not fit its input (naming the file, expected
 *   vs got), or flat files for a model with several inputs.
 */
export function loadCalibrationDir(dir: string, inputs: readonly ValueInfo[], preprocess: Preprocess = {}): Record<string, TensorData>[] {
  let entries: string[];
  try { entries = readdirSync(dir).sort(); } catch (e) {
    throw new OptiflowError('io_error', `cannot read calibration directory: ${(e as Error).message}`, [dir]);
  }
  const examples: Record<string, TensorData>[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    const ext = extname(name).toLowerCase();
    if (statSync(path).isDirectory()) {
      if (readdirSync(path).some((f) => TENSOR_EXT.has(extname(f)))) examples.push(readExampleDir(path, inputs));
      continue;
    }
    if (!TENSOR_EXT.has(ext) && ext !== '.png') continue;
    if (inputs.length !== 1) throw bad(`the model has ${inputs.length} inputs; put each example's files in its own subdirectory (input_0.pb, ...)`, path);
    const v = inputs[0]!;
    const t = ext === '.png' ? imageTensor(readFileSync(path), v, preprocess, path) : readTensor(path);
    checkFits(t, v, path);
    examples.push({ [v.name]: t });
  }
  if (examples.length === 0) throw bad('no usable calibration file (.npy, .pb, .png, or subdirectories of them)', dir);
  return examples;
}
