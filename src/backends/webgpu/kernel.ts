/**
 * The contract between the `webgpu` backend's runtime (device, buffers, pipeline cache, segment
 * runner) and its kernels. A kernel is created once per node when the session is created (constants
 * uploaded, pipelines created with the async API) and then, per run, records its dispatches into
 * an encoder for the concrete input shapes. Shapes travel as uniforms, so one pipeline serves many
 * shapes; a pipeline's cache key holds only what its WGSL text depends on.
 *
 * Source: TFLite GPU delegate (per-op shader generation, specialization); onnxruntime-web's
 * WebGPU EP (program cache keys).
 * @module
 */
/// <reference types="@webgpu/types" />
import type { DType } from '../../ir/dtype.js';
import type { Node } from '../../ir/graph.js';
import type { TensorData } from '../../ir/tensor-data.js';
import type { AttrSpecs, AttrsOf, InputInfo, OpSchema } from '../../ops/schema.js';
import type { Support, SupportQuery } from '../backend.js';

/** Storage dtypes a GPU tensor may have (int64 and bool are not GPU dtypes: they stay on the CPU). */
export type GpuDType = 'float32' | 'float16' | 'int32' | 'uint32';

/** A tensor living in a GPU storage buffer, row-major, starting at `offset` bytes. */
export interface GpuTensor {
  readonly buffer: GPUBuffer;
  /** Byte offset into `buffer` (a multiple of the device's `minStorageBufferOffsetAlignment`). */
  readonly offset: number;
  readonly dims: readonly number[];
  readonly dtype: GpuDType;
}

/** A binding of one dispatch: a tensor, or uniform data (packed by the encoder into a uniform buffer). */
export type GpuBinding = GpuTensor | { readonly uniform: Uint32Array | Int32Array | Float32Array };

/** Creates compute pipelines once per key (async creation: never blocks a page). */
export interface PipelineCache {
  /**
   * The pipeline for `key`, creating it from `wgsl()` with `createComputePipelineAsync` on a miss.
   * @param key everything the WGSL text depends on (op, attributes baked in, dtypes, workgroup size)
   * @param wgsl the shader source; entry point `main`; bindings in group 0, numbered in the order
   *   they are passed to {@link GpuEncoder.dispatch}
   * @throws (rejects) Error with the compiler's messages when the shader does not compile
   */
  get(key: string, wgsl: () => string): Promise<GPUComputePipeline>;
  /** The pipeline for `key` if already created (for choices made at encode time). */
  peek(key: string): GPUComputePipeline | undefined;
}

/** Records dispatches of one run (one command encoder for the whole segment). */
export interface GpuEncoder {
  readonly device: GPUDevice;
  /**
   * Records one dispatch.
   * @param bindings bound at `@group(0) @binding(i)` in order; uniforms become uniform buffers,
   *   tensors storage buffers (read-only or read-write as the shader declares them)
   * @param workgroups dispatch size [x, y, z] (each at most `maxComputeWorkgroupsPerDimension`)
   */
  dispatch(pipeline: GPUComputePipeline, bindings: readonly GpuBinding[], workgroups: readonly [number, number, number]): void;
  /** A temporary tensor alive until the end of the run (split-K partial sums, im2col). */
  scratch(dims: readonly number[], dtype: GpuDType): GpuTensor;
}

/** What a kernel's `create` sees, once per node. */
export interface GpuCreateCtx<A> {
  readonly device: GPUDevice;
  readonly node: Node;
  readonly attrs: A;
  readonly opset: number;
  /** Positional constant inputs (initializers); `undefined` for the others. */
  readonly constants: readonly (TensorData | undefined)[];
  /** Static input infos (dtype; shape where known). */
  readonly inputs: readonly (InputInfo | undefined)[];
  readonly pipelines: PipelineCache;
  /** `fp16` stores activations as float16 where the adapter has `shader-f16`. */
  readonly precision: 'fp32' | 'fp16';
  /** Uploads a constant once (owned by the kernel: freed by its `dispose`). */
  upload(t: TensorData, dtype?: GpuDType): GpuTensor;
  /** Tuned workgroup size / tile choice for `key` from the per-adapter cache, if any. */
  tuned(key: string): readonly number[] | undefined;
}

/** A node compiled for the GPU. */
export interface GpuKernel {
  /**
   * Records the node's dispatches. Constant inputs arrive as `undefined` here when the kernel
   * uploaded them itself in `create`.
   * @param outputs allocated by the runner with dims and dtypes from the schema's inference
   */
  encode(enc: GpuEncoder, inputs: readonly (GpuTensor | undefined)[], outputs: readonly GpuTensor[]): void;
  /**
   * Constant inputs (by index) the runner uploads and passes to {@link GpuKernel.encode}. Omitted:
   * every constant input the kernel did not itself `upload` in `create` (same TensorData object) is
   * uploaded by the runner (int64 narrowed to int32, clamped; bool as int32). `[]`: none.
   */
  readonly constantInputs?: readonly number[];
  /** Frees the kernel's buffers (uploaded constants). */
  dispose?(): void;
  /**
   * Tuning problems of this node, timed by `optiflow bench --tune` (`tuning.ts`); the winners reach
   * later sessions through {@link GpuCreateCtx.tuned}.
   * @param dims concrete input dims of the node's last run (per input; `undefined` where omitted),
   *   when the segment has run; kernels bind symbolic dims to 1 otherwise, and key the problem by
   *   the concrete shapes
   */
  tuning?(dims?: readonly (readonly number[] | undefined)[]): readonly GpuTuningProblem[];
}

/** One choice to tune: a key (as later passed to {@link GpuCreateCtx.tuned}) and its candidates. */
export interface GpuTuningProblem {
  /** Cache key: what the best choice depends on (op, shape class, dtype), never the adapter. */
  readonly key: string;
  /** Candidate choices (workgroup sizes, tile shapes), each a list of numbers. */
  readonly candidates: readonly (readonly number[])[];
  /**
   * Prepares one candidate (creating its pipelines) and returns a function that records the work
   * (allocating its tensors with {@link GpuEncoder.scratch}). Rejects when the candidate is invalid
   * on this adapter (it is then skipped).
   */
  prepare(choice: readonly number[]): Promise<(enc: GpuEncoder) => void>;
}

/** A WebGPU kernel definition, as listed in the backend's manifest. */
export interface GpuKernelDef<S extends AttrSpecs = AttrSpecs> {
  readonly schema: OpSchema<S>;
  /** Input-0 dtypes handled; omitted = float32 only. */
  readonly dtypes?: readonly DType[];
  /** Finer capability check (attributes, device limits such as `maxStorageBufferBindingSize`). */
  readonly supports?: (q: SupportQuery, limits: GPUSupportedLimits) => Support;
  create(ctx: GpuCreateCtx<AttrsOf<S>>): GpuKernel | Promise<GpuKernel>;
}

/** A type-erased kernel definition. */
export type AnyGpuKernel = GpuKernelDef<AttrSpecs>;

/**
 * Declares a kernel for `schema`; `create`'s attributes are typed from the schema.
 * @returns the definition, type-erased for a manifest array
 */
export function defineGpuKernel<S extends AttrSpecs>(schema: OpSchema<S>, impl: Omit<GpuKernelDef<S>, 'schema'>): AnyGpuKernel {
  return { schema, ...impl } as unknown as AnyGpuKernel;
}
