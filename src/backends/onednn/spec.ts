/**
 * The contract between the TypeScript side of the `onednn` backend and its Node-API addon
 * (`native/onednn/`). TypeScript makes every graph decision and describes one segment as an
 * {@link EngineSpec}: a list of oneDNN primitives over numbered tensors with fixed dims. The
 * addon builds the primitives once (letting oneDNN pick blocked layouts such as nChw16c inside the
 * segment, reordering weights once, reordering only at the segment's edges) and runs the whole
 * chain in one native call on a libuv worker thread.
 *
 * All dims are concrete (an engine is specialized per input shape; the TypeScript side caches
 * engines by shape). Tensors at the engine's edges are plain row-major ("abcd"), float32 or (int8 engines) u8/s8.
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

/**
 * Element type of an engine tensor (inside, the addon may choose bf16 for f32 tensors when
 * precision is bf16). `u8` / `s8` are quantized activations (ONNX uint8 / int8): written by
 * `quantize` and int8 `conv` / `matmul`, read by `dequantize`, int8 `conv` / `matmul` and
 * `reshape`; at the engine's edges they are passed as `Uint8Array` / `Int8Array`.
 */
export type EngineDType = 'f32' | 's32' | 'u8' | 's8';

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
  | 'pow' // alpha * x^beta
  | 'round'; // round half to even (alpha, beta unused; the int8 residual fold's requantization)

/** Convolution algorithm of an {@link EngineOp} `conv` (oneDNN `convolution_direct` / `convolution_winograd`). */
export type ConvAlgorithm = 'direct' | 'winograd';

/** Activation layout of an {@link EngineOp} `conv` inside the engine. */
export type ConvLayout = 'any' | 'blocked16';

/** A fused epilogue step after a convolution or matmul (`dnnl::post_ops`). */
export type PostOp =
  /** `scale` (default 1): the eltwise result times scale (oneDNN 2.6 eltwise post-op scale; single-primitive algs only). */
  | { readonly kind: 'eltwise'; readonly alg: EltwiseAlg; readonly alpha: number; readonly beta: number; readonly scale?: number }
  /**
   * dst += scale * (tensor − zeroPoint) (a residual add; the tensor has dst's dims). `zeroPoint`
   * (int8 only: an integer, the u8/s8 tensor's zero point; default 0) needs an int8 `conv` / `matmul`
   * whose dst has the tensor's dtype (oneDNN 2.6 `append_sum(scale, zero_point)`).
   */
  | { readonly kind: 'sum'; readonly tensor: number; readonly scale: number; readonly zeroPoint?: number }
  /** dst = dst (op) tensor, broadcast over dims of size 1 (oneDNN binary post-op). */
  | { readonly kind: 'binary'; readonly alg: 'add' | 'mul' | 'sub' | 'div' | 'max' | 'min'; readonly tensor: number };

/**
 * The depthwise half of a fused 1x1 → depthwise 3x3 convolution pair ({@link EngineOp} `conv`
 * `depthwise`): weights [O, 1, 3, 3] (O = the 1x1 conv's output channels), padding 1 on each
 * side, stride 1 or 2, dilation 1; `postOps` (eltwise only) apply to its output. Source: oneDNN
 * 2.6 `post_ops::append_dw` (kernel 3, padding 1, stride 1 or 2; fused with a 1x1 convolution).
 */
export interface DepthwiseFusion {
  readonly weights: EngineConst;
  /** [O] (absent: zero). */
  readonly bias?: EngineConst;
  readonly stride: 1 | 2;
  readonly postOps: readonly PostOp[];
}

/** A constant (weights, bias, scale), copied by the addon at engine creation. */
export interface EngineConst {
  readonly dims: readonly number[];
  /** Float32 values; the weights of an int8 conv / matmul may also be an Int8Array (or Float32Array holding integers -128..127). */
  readonly data: Float32Array | Int8Array;
}

/**
 * The int8 form of a `conv` / `matmul` ({@link EngineOp}): present `outputScales` makes the op run
 * oneDNN's int8 primitive (VNNI/AMX where the CPU has them) with a u8 or s8 src, s8 weights
 * (`weights` / `b` constant, integers -128..127: a nonzero weight zero point is subtracted by the
 * TypeScript side) and a u8, s8 or f32 dst (the dst tensor's dtype). oneDNN 2.6 computes
 *
 *   dst[c] = saturate(round_half_even(post_ops(outputScales[c] · (Σ (src − srcZeroPoint) · w + bias[c])) + dstZeroPoint))
 *
 * with `bias` (f32) in the accumulation domain, i.e. ONNX QLinearConv's int32 B as is, and
 * outputScales[c] = x_scale · w_scale[c] / y_scale (one value, or one per output channel: conv
 * dim 1, matmul last dim). Padding reads the real zero (src = srcZeroPoint), as ONNX QLinearConv.
 * Zero points are runtime s32 values (`DNNL_ARG_ATTR_ZERO_POINTS`), supported by the VNNI
 * kernels of oneDNN 2.6. Source: oneDNN 2.6 developer guide, "Int8 computation" and "Primitive
 * attributes: quantization"; ONNX QLinearConv / QLinearMatMul.
 */
export interface Int8Fields {
  /** Per-tensor (length 1) or per-output-channel output scales, each > 0. */
  readonly outputScales?: Float32Array;
  /** Zero point of src (u8: 0..255, s8: -128..127); default 0. */
  readonly srcZeroPoint?: number;
  /** Zero point of dst (u8/s8 dst only); default 0. */
  readonly dstZeroPoint?: number;
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
      readonly layout?: ConvLayout;
      /**
       * When true, the convolution's result is reordered into the model's layout (NCHW; NCW,
       * NCDHW) right after it, so the next primitive reads NCHW, as without layout optimization
       * (graph optimization levels below `all`). Default false: the layout the primitive wrote
       * (NHWC, nChw16c) stays until a reader needs another one. int8 convolutions ignore it.
       */
      readonly plainOutput?: boolean;
      /**
       * A depthwise 3x3 convolution fused after this one (oneDNN's depthwise post-op): this conv
       * must be 2-D 1x1, stride 1, no padding, one group, float32 (not int8), with eltwise post-ops
       * only; `dst` is then the depthwise conv's output [N, O, ceil(H/stride), ceil(W/stride)] and
       * the 1x1 output never reaches memory (rows of it live in a per-thread buffer).
       */
      readonly depthwise?: DepthwiseFusion } & Int8Fields
  /**
   * MatMul with numpy batch broadcasting: a [..., M, K] × b [..., K, N] → dst [..., M, N]; `b` is a
   * tensor index or a constant (weights). Gemm's transposes are resolved by the TypeScript side
   * (constants transposed; `transB` for tensors via `bTransposed`). Bias [N] broadcast over rows.
   */
  | { readonly kind: 'matmul'; readonly a: number; readonly b: number | EngineConst; readonly bTransposed?: boolean;
      readonly dst: number; readonly bias?: EngineConst; readonly postOps: readonly PostOp[] } & Int8Fields
  /**
   * ONNX QuantizeLinear (src f32 → dst u8/s8): dst = saturate(round_half_even(src / scale) + zeroPoint),
   * a oneDNN reorder with output scales 1/scale (so a value exactly halfway between two steps after
   * the division may round to the other neighbour: within one quantization step of ONNX). `scales`
   * has one value (per tensor) or dims[axis] values (per axis); one zero point for all.
   */
  | { readonly kind: 'quantize'; readonly src: number; readonly dst: number; readonly scales: Float32Array;
      readonly zeroPoint: number; readonly axis?: number }
  /**
   * ONNX DequantizeLinear (src u8/s8 → dst f32): dst = (src − zeroPoint) · scale (exact in f32),
   * a oneDNN reorder; dst keeps src's layout (NHWC stays NHWC). Scales as for `quantize`.
   */
  | { readonly kind: 'dequantize'; readonly src: number; readonly dst: number; readonly scales: Float32Array;
      readonly zeroPoint: number; readonly axis?: number }
  /** Pooling over the spatial dims of NCHW; `avg_exclude` = ONNX count_include_pad 0. */
  | { readonly kind: 'pool'; readonly alg: 'max' | 'avg_include' | 'avg_exclude'; readonly src: number; readonly dst: number;
      readonly kernel: readonly number[]; readonly strides: readonly number[];
      readonly padsBegin: readonly number[]; readonly padsEnd: readonly number[] }
  | { readonly kind: 'eltwise'; readonly alg: EltwiseAlg; readonly alpha: number; readonly beta: number;
      readonly src: number; readonly dst: number }
  /**
   * Elementwise binary with numpy broadcasting (ranks equalized by the TypeScript side).
   * `srcScales` (int8): a and b are full-size u8 (or both s8) tensors multiplied by these scales
   * before the op (oneDNN binary scales attribute), computed in f32, the post-ops applied, and
   * the dst (of a's dtype) rounded half to even and saturated: an int8 residual Add
   * (DequantizeLinear → Add → [Relu] → QuantizeLinear) is one primitive, its zero points and the
   * output quantization expressed as eltwise post-ops (linear, then clip for the Relu).
   */
  | { readonly kind: 'binary'; readonly alg: 'add' | 'mul' | 'sub' | 'div' | 'max' | 'min';
      readonly a: number | EngineConst; readonly b: number | EngineConst; readonly dst: number;
      readonly postOps: readonly PostOp[]; readonly srcScales?: readonly [number, number] }
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

/** The typed array of an engine edge tensor by {@link EngineDType}: f32 Float32Array, s32 Int32Array, u8 Uint8Array, s8 Int8Array. */
export type EngineArray = Float32Array | Int32Array | Uint8Array | Int8Array;

/** A compiled engine (native handle). */
export interface NativeEngine {
  /**
   * Runs the chain on a libuv worker thread. Never blocks the event loop.
   * @param inputs plain row-major data of {@link EngineSpec.inputs}, in order (not modified)
   * @param outputs buffers to write {@link EngineSpec.outputs} into, in order (caller-allocated)
   * @returns resolves when the outputs are written
   * @throws (rejects) Error with oneDNN's status message
   */
  run(inputs: readonly EngineArray[], outputs: readonly EngineArray[]): Promise<void>;
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
