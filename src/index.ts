/**
 * optiflow's public API, shaped like onnxruntime's JavaScript API.
 *
 * ```ts
 * import { InferenceSession, Tensor } from 'optiflow';
 * const session = await InferenceSession.create('model.onnx', { executionProviders: ['js'] });
 * const out = await session.run({ input: new Tensor('float32', data, [1, 3, 224, 224]) });
 * ```
 * @module
 */
import type { BackendFactory } from './backends/backend.js';
import { createJsBackend } from './backends/js/index.js';
import { createWasmBackend } from './backends/wasm/index.js';
import { InferenceSession as CoreSession, type SessionOptions } from './runtime/session.js';
import { optimize as coreOptimize, type OptimizeOptions, type OptimizeResult } from './runtime/optimize.js';

/**
 * `onednn`: oneDNN segments through the optional native addon (Node on x86-64 Linux with
 * libdnnl; rejects, saying why, elsewhere). Loaded on first use so that browsers never see it.
 */
const onednn: BackendFactory = async (o) => (await import('./backends/onednn/index.js')).onednnBackendFactory(o);

/** `webgpu`: WebGPU segments (`navigator.gpu` in browsers, the npm `webgpu` package in Node). */
const webgpu: BackendFactory = async (o) => (await import('./backends/webgpu/index.js')).createWebgpuBackend(o);

/** Backends `executionProviders` can name. */
export const BUILTIN_BACKENDS: Readonly<Record<string, BackendFactory>> = { onednn, webgpu, wasm: createWasmBackend, js: createJsBackend };

/**
 * The providers used when `executionProviders` is not given, in priority order. Those that cannot
 * start here are skipped: `onednn` needs the native addon (Node with libdnnl), `wasm` needs
 * WebAssembly SIMD. `webgpu` is opt-in (a software adapter would be slower than the CPU).
 */
export const DEFAULT_PROVIDERS: readonly string[] = ['onednn', 'wasm', 'js'];

/** onnxruntime-compatible session; see {@link CoreSession} for the full contract. */
export const InferenceSession = {
  /**
   * Loads a model (path or bytes) and prepares it on the requested backends.
   * @throws OptiflowError `io_error`, `invalid_model`, `unsupported_op`, `opset_out_of_range`, `invalid_argument`.
   */
  create(model: string | Uint8Array | ArrayBuffer, options?: SessionOptions): Promise<CoreSession> {
    return CoreSession.create(model, options, BUILTIN_BACKENDS, DEFAULT_PROVIDERS);
  },
};
/**
 * Optimizes a model without preparing it to run: the graph passes of `options.level` (default
 * `all`) for the given execution providers, with the result as a graph, the applied passes, the
 * placements and the optimized ONNX file's bytes. See the core `optimize` for the full contract.
 * @throws OptiflowError as {@link InferenceSession.create}.
 */
export function optimize(model: string | Uint8Array | ArrayBuffer, options?: OptimizeOptions): Promise<OptimizeResult> {
  return coreOptimize(model, options, BUILTIN_BACKENDS, DEFAULT_PROVIDERS);
}
export type { OptimizeOptions, OptimizeResult } from './runtime/optimize.js';

/** The session type returned by `InferenceSession.create`. */
export type InferenceSession = CoreSession;

export { Tensor, type GpuBufferTensorOptions, type TensorLocation } from './runtime/tensor.js';
export type { SegmentInfo, ValueLocation } from './runtime/executor.js';
export { isGpuBufferValue, type GpuBufferValue } from './backends/backend.js';
export type { SessionOptions, ValueMetadata, FeedsType, ReturnType } from './runtime/session.js';
export { OptiflowError, isOptiflowError, type ErrorCode } from './ir/errors.js';
export type { DType } from './ir/dtype.js';
export type { TensorData } from './ir/tensor-data.js';
export type { Placement } from './partition/placement.js';
export { decodeTensorProto } from './importers/onnx/tensor-proto.js';
export { importOnnx } from './importers/onnx/import.js';
export { exportOnnx, exportOnnxModel, type ExportOptions, type ExportedModel } from './exporters/onnx/export.js';
export { ZOO, zooNames, type ZooModel } from './zoo/index.js';
export type { Graph } from './ir/graph.js';
