/**
 * The contract between the TypeScript side of the `onednn` backend and its Node-API addon
 * (`native/onednn/`). TypeScript makes every graph decision and describes one segment as an
 * {@link EngineSpec}: a list of oneDNN primitives over numbered tensors with fixed dims. The
 * addon builds the primitives once (letting oneDNN pick blocked layouts such as nChw16c inside the
 * segment, reordering weights once, reordering only at the segment's edges) and runs the whole
 * chain in one native call on a libuv worker thread.
 *
 * All dims are concrete (an engine is specialized per input shape; the TypeScript side caches
 * engines by shape). Tensors at the engine's edges are plain row-major ("abcd") float32.
 *
 * Sources: oneDNN 2.6 developer guide (primitives, post-ops, memory format propagation with
 * `format_tag::any`); TF-TRT segments.
 * @module
 */

/**
 * Numeric precision of an engine: TF-TRT's names. `bf16` computes convolutions and matmuls in
 * bfloat16 (bf16 src and weights, f32 accumulation); a convolution's output stays bf16 inside the
 * engine (eltwise, pooling, batchnorm and binary primitives then read and write bf16, computing in
 * f32) and is converted back to f32 at the engine's outputs; matmul outputs, softmax, layer
 * normalization and reductions stay f32.
 */
export type Precision = 'fp32' | 'bf16';

/** Element type of an engine tensor at its edges (inside, the addon may choose bf16 when precision is bf16). */
export type EngineDType = 'f32' | 's32';

/** A tensor of the engine, referenced by its index in {@link EngineSpec.tensors}. */
export interface EngineTensor {
  /** Concrete dims, outermost first (NCHW for images). */
  readonly dims: readonly number[];
  readonly dtype: EngineDType;
}

/** oneDNN eltwise algorithms used by optiflow (`dnnl::algorithm::eltwise_*`). */
export type EltwiseAlg =
  | 'relu' // alpha = negative slope (LeakyRelu); 0 for Relu
  | 'clip' // alpha = min, beta = max
  | 'logistic' | 'tanh' | 'gelu_erf' | 'gelu_tanh' | 'elu' // elu: alpha
  | 'exp' | 'log' | 'sqrt' | 'abs' | 'square' | 'soft_relu'
  | 'hardswish' // onnx HardSwish: x * max(0, min(1, x/6 + 1/2)) (alpha=1/6, beta=1/2)
  | 'hardsigmoid' // max(0, min(1, alpha*x + beta)) (oneDNN 2.6 has no hardsigmoid: the addon may compose it as linear + clip)
  | 'linear' // alpha * x + beta
  | 'pow'; // alpha * x^beta

/** Convolution algorithm of an {@link EngineOp} `conv` (oneDNN `convolution_direct` / `convolution_winograd`). */
export type ConvAlgorithm = 'direct' | 'winograd';

/** Activation layout of an {@link EngineOp} `conv` inside the engine. */
export type ConvLayout = 'any' | 'blocked16';

/** A fused epilogue step after a convolution or matmul (`dnnl::post_ops`). */
export type PostOp =
  | { readonly kind: 'eltwise'; readonly alg: EltwiseAlg; readonly alpha: number; readonly beta: number }
  /** dst += scale * tensor (a residual add; the tensor has dst's dims). */
  | { readonly kind: 'sum'; readonly tensor: number; readonly scale: number }
  /** dst = dst (op) tensor, broadcast over dims of size 1 (oneDNN binary post-op). */
  | { readonly kind: 'binary'; readonly alg: 'add' | 'mul' | 'sub' | 'div' | 'max' | 'min'; readonly tensor: number };

/** A constant (weights, bias, scale), copied by the addon at engine creation. */
export interface EngineConst {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** One primitive of the chain. `src`/`dst` are tensor indices. */
export type EngineOp =
  /**
   * Convolution, NCHW src [N,C,H,W] (also 1-D [N,C,W] and 3-D), weights OIHW [O, C/groups, kH, kW]
   * (groups > 1: grouped; groups = C = O: depthwise), ONNX pads split into begin/end, ONNX
   * dilations (1 = dense; the addon subtracts 1 for oneDNN).
   */
  | { readonly kind: 'conv'; readonly src: number; readonly dst: number; readonly weights: EngineConst;
      readonly bias?: EngineConst; readonly strides: readonly number[]; readonly padsBegin: readonly number[];
      readonly padsEnd: readonly number[]; readonly dilations: readonly number[]; readonly groups: number;
      readonly postOps: readonly PostOp[];
      /**
       * `direct` (default) or `winograd`: Winograd minimal filtering F(2x2,3x3)/F(4x4,3x3) (Lavin &
       * Gray 2016), fewer multiplications for 3x3 stride-1 convolutions, at a small fp32 rounding cost
       * (about 1e-6 relative here). The addon falls back to `direct` where oneDNN has no Winograd
       * implementation for the shape or CPU.
       */
      readonly algorithm?: ConvAlgorithm;
      /**
       * `any` (default): oneDNN picks the activation layout (NHWC `acdb` for fp32 on AVX-512).
       * `blocked16`: src and dst use channel blocks of 16 (nChw16c; nCw16c, nCdhw16c) where their
       * channel count divides by 16 (measured here: ResNet-50 batch 8 12% faster, batch 1 equal).
       */
      readonly layout?: ConvLayout }
  /**
   * MatMul with numpy batch broadcasting: a [..., M, K] × b [..., K, N] → dst [..., M, N]; `b` is a
   * tensor index or a constant (weights). Gemm's transposes are resolved by the TypeScript side
   * (constants transposed; `transB` for tensors via `bTransposed`). Bias [N] broadcast over rows.
   */
  | { readonly kind: 'matmul'; readonly a: number; readonly b: number | EngineConst; readonly bTransposed?: boolean;
      readonly dst: number; readonly bias?: EngineConst; readonly postOps: readonly PostOp[] }
  /** Pooling over the spatial dims of NCHW; `avg_exclude` = ONNX count_include_pad 0. */
  | { readonly kind: 'pool'; readonly alg: 'max' | 'avg_include' | 'avg_exclude'; readonly src: number; readonly dst: number;
      readonly kernel: readonly number[]; readonly strides: readonly number[];
      readonly padsBegin: readonly number[]; readonly padsEnd: readonly number[] }
  | { readonly kind: 'eltwise'; readonly alg: EltwiseAlg; readonly alpha: number; readonly beta: number;
      readonly src: number; readonly dst: number }
  /** Elementwise binary with numpy broadcasting (ranks equalized by the TypeScript side). */
  | { readonly kind: 'binary'; readonly alg: 'add' | 'mul' | 'sub' | 'div' | 'max' | 'min';
      readonly a: number | EngineConst; readonly b: number | EngineConst; readonly dst: number;
      readonly postOps: readonly PostOp[] }
  /** Softmax (or LogSoftmax) along `axis` (non-negative). */
  | { readonly kind: 'softmax'; readonly src: number; readonly dst: number; readonly axis: number; readonly log: boolean }
  /** Layer normalization over the last dim with scale and shift [C]. */
  | { readonly kind: 'layernorm'; readonly src: number; readonly dst: number; readonly scale: EngineConst;
      readonly shift: EngineConst; readonly epsilon: number; readonly postOps: readonly PostOp[] }
  /** Batch normalization (inference) over dim 1, with constant statistics [C]. */
  | { readonly kind: 'batchnorm'; readonly src: number; readonly dst: number; readonly mean: EngineConst;
      readonly variance: EngineConst; readonly scale: EngineConst; readonly shift: EngineConst;
      readonly epsilon: number; readonly postOps: readonly PostOp[] }
  | { readonly kind: 'concat'; readonly srcs: readonly number[]; readonly dst: number; readonly axis: number }
  /**
   * dst = src with dims permuted (dst.dims[i] = src.dims[perm[i]]). The addon makes dst a view of
   * src's bytes with permuted strides: a batched matmul reads it as is, and a matmul whose only
   * reader is this transpose writes its dst in the strides that make the view plain (attention's
   * head split and merge cost no copy); other readers and engine outputs get a reorder.
   */
  | { readonly kind: 'transpose'; readonly src: number; readonly dst: number; readonly perm: readonly number[] }
  /** dst = src's elements, row-major, with dst's dims (Reshape, Flatten, Squeeze, Unsqueeze, Identity). */
  | { readonly kind: 'reshape'; readonly src: number; readonly dst: number }
  /** Reductions over `axes` (dst keeps the reduced dims as 1). */
  | { readonly kind: 'reduce'; readonly alg: 'sum' | 'mean' | 'max' | 'min'; readonly src: number; readonly dst: number };

/** One segment's engine description. */
export interface EngineSpec {
  readonly tensors: readonly EngineTensor[];
  /** Tensor indices fed by {@link NativeEngine.run}'s inputs, in order. */
  readonly inputs: readonly number[];
  /** Tensor indices written to {@link NativeEngine.run}'s outputs, in order. */
  readonly outputs: readonly number[];
  /** Primitives in execution order. */
  readonly ops: readonly EngineOp[];
  readonly precision: Precision;
  /**
   * OpenMP threads oneDNN uses inside each primitive (intra-op); 0 = the library default
   * (`omp_get_max_threads()` when the addon loaded: OMP_NUM_THREADS, else the CPUs available).
   * Debian's libdnnl2 is built with GNU OpenMP (libgomp). All OpenMP work (building the
   * primitives, whose jit kernels are tuned for the thread count they are created with, and every
   * run) happens on a few long-lived native executor threads, not on the libuv worker that awaits
   * the run: libgomp keeps one thread team per master thread, and once it manages more threads
   * than there are CPUs its idle team threads sleep instead of spinning (a futex wake per
   * primitive). A task goes to the first idle executor (at most 4), so a single session always
   * reuses one warm team, whose threads spin between the primitives of a run (for about
   * GOMP_SPINCOUNT iterations, then sleep; OMP_WAIT_POLICY=passive makes them sleep at once), while
   * concurrent runs (several sessions) still proceed in parallel on further executors.
   */
  readonly threads: number;
}

/** What the addon reports about the CPU and library. */
export interface NativeInfo {
  /** oneDNN version, e.g. "2.6.3". */
  readonly version: string;
  /** Best ISA oneDNN dispatches to, e.g. "avx512_core_amx". */
  readonly isa: string;
  /** Whether bf16 primitives run in hardware (AVX-512 BF16 or AMX). */
  readonly bf16: boolean;
  /**
   * OpenMP threads an engine uses when {@link EngineSpec.threads} is 0: `omp_get_max_threads()`
   * when the addon loaded (OMP_NUM_THREADS, else the CPUs available).
   */
  readonly defaultThreads?: number;
  /** Engines alive now (created, not yet freed by dispose() or the garbage collector); for leak checks. */
  readonly liveEngines?: number;
}

/** A compiled engine (native handle). */
export interface NativeEngine {
  /**
   * Runs the chain on a libuv worker thread. Never blocks the event loop.
   * @param inputs plain row-major data of {@link EngineSpec.inputs}, in order (not modified)
   * @param outputs buffers to write {@link EngineSpec.outputs} into, in order (caller-allocated)
   * @returns resolves when the outputs are written
   * @throws (rejects) Error with oneDNN's status message
   */
  run(inputs: readonly (Float32Array | Int32Array)[], outputs: readonly (Float32Array | Int32Array)[]): Promise<void>;
  /** Frees the primitives and their memory now (also done by the garbage collector). */
  dispose(): void;
}

/** The addon module (`build/Release/optiflow_onednn.node`). */
export interface NativeAddon {
  info(): NativeInfo;
  /**
   * Builds an engine.
   * @throws Error naming the op index and oneDNN's reason when a primitive cannot be created
   */
  createEngine(spec: EngineSpec): NativeEngine;
}
