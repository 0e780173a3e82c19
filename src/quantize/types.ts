/**
 * Types shared by the quantization modes (post-training quantization: dynamic-range int8, static
 * int8 with calibration in QDQ format, float16).
 * Sources: onnxruntime `quantize_dynamic`/`quantize_static`; TensorFlow Lite post-training
 * quantization; TensorRT INT8 calibration.
 * @module
 */
import type { Graph } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';

/** `dynamic` (int8 weights, activations quantized on the fly), `static` (QDQ, calibrated), `fp16`. */
export type QuantMode = 'dynamic' | 'static' | 'fp16';

/** Range estimators, as TensorRT and onnxruntime name them. */
export type CalibrationMethod = 'minmax' | 'entropy' | 'percentile';

/** Options of a quantization run. */
export interface QuantizeOptions {
  mode: QuantMode;
  /** Static mode: activation dtype (default `uint8`). */
  activationType?: 'uint8' | 'int8';
  /** Static mode: range estimator (default `minmax`). */
  method?: CalibrationMethod;
  /** `percentile` method: the percentile kept, e.g. 99.999 (default 99.999). */
  percentile?: number;
  /** `entropy` method: leave exact zeros out of the histograms (default true; false runs the KL
   * search over the raw histogram, as TensorRT's paper describes it). A ReLU output is often half
   * zeros, and that spike otherwise clips it to at most a quarter of its observed maximum: on the
   * built-in MobileNet v1, output SNR 5.6 dB (top-1 = float on 0 of 8 inputs) instead of 18.1 dB
   * (8 of 8). NVIDIA's pytorch-quantization handles the same spike (`skip_zeros`, and its entropy
   * search overwrites the zero bin's count). Only with `method: 'entropy'`. */
  skipZeros?: boolean;
  /** Static mode: representative inputs, one feed record per example. */
  calibration?: readonly Record<string, TensorData>[];
  /** Static mode: file of saved ranges; read when it exists, written after calibrating otherwise. */
  calibrationCache?: string;
  /** Node names never quantized. */
  exclude?: readonly string[];
  /** Only these op types are quantized (default: every supported one). */
  opTypes?: readonly string[];
  /** fp16 mode: op types kept in float32 (default: reductions, Softmax, normalization and the like). */
  keepFp32?: readonly string[];
  /** Show a progress bar while calibrating (default false). */
  progress?: boolean;
}

/** One line of the report: a node and what happened to it. */
export interface QuantizeEntry {
  node: string;
  opType: string;
  /** For quantized nodes: how (e.g. `int8 per-channel weights, dynamic uint8 activations`); else why not. */
  detail: string;
}

/** What was and was not quantized, and why. */
export interface QuantizeReport {
  mode: QuantMode;
  quantized: QuantizeEntry[];
  skipped: QuantizeEntry[];
}

/** A quantized model. */
export interface QuantizeResult {
  /** The quantized graph (standard ONNX ops only). */
  graph: Graph;
  report: QuantizeReport;
  /** The model as ONNX bytes. */
  bytes(): Uint8Array;
}
