/**
 * `InferenceSession`, shaped like onnxruntime's JavaScript API: create from a path or bytes, read
 * input/output names and metadata, `await run(feeds, fetches?)`.
 * @module
 */
import { isGpuBufferValue, type Backend, type BackendFactory } from '../backends/backend.js';
import type { DType } from '../ir/dtype.js';
import { OptiflowError } from '../ir/errors.js';
import type { Dim, Graph, ValueInfo } from '../ir/graph.js';
import { isTensorValue, type RuntimeValue, type TensorData } from '../ir/tensor-data.js';
import type { Placement } from '../partition/placement.js';
import { Plan, type SegmentInfo, type ValueLocation } from './executor.js';
import { Tensor } from './tensor.js';
import { loadGraph, optimizeLoaded, startBackends } from './prepare.js';

/** Session options; names follow onnxruntime's `InferenceSession.SessionOptions`. */
export interface SessionOptions {
  /**
   * Backends in priority order: `'onednn'` (native oneDNN segments, Linux x86-64 with libdnnl),
   * `'webgpu'` (GPU segments), `'wasm'` (WebAssembly SIMD kernels), `'js'` (reference kernels, runs
   * every op). Nodes a backend declines fall back to the next. Default (the package entry point):
   * `['onednn', 'wasm', 'js']`, where an unavailable `onednn` is skipped.
   */
  executionProviders?: (string | { name: string })[];
  /** Threads inside one op (intra-op parallelism), the calling thread included; 0 or undefined = one per core. */
  intraOpNumThreads?: number;
  /**
   * Independent steps in flight at once (inter-op parallelism): above 1, segments (`onednn` on its
   * native threads, `webgpu` on the device) start as soon as their inputs exist and run while the
   * JavaScript thread runs other ready nodes; keep intra-op × inter-op within the cores. 0 or
   * undefined = 1: one step at a time, in plan order.
   */
  interOpNumThreads?: number;
  /** `'disabled' | 'basic' | 'extended' | 'all'` (default `'all'`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * onnxruntime's `enableProfiling`: time every node; read the totals with
   * {@link InferenceSession.profilingSummary}. Default false.
   */
  enableProfiling?: boolean;
  /**
   * Precision of segment backends (`onednn`, `webgpu`), TF-TRT's precision mode: `fp32` (default),
   * `bf16` (oneDNN), `fp16` (WebGPU with `shader-f16`). Other backends run fp32.
   */
  precision?: 'fp32' | 'fp16' | 'bf16';
  /**
   * Segments (maximal groups of nodes one segment backend runs as one engine) with fewer nodes
   * run on the next backends instead; TF-TRT's `minimum_segment_size`. Default: the backend's (3).
   */
  minSegmentSize?: number;
  /**
   * Device backends (`webgpu`) leave a segment on the CPU when its estimated work per byte copied
   * to and from the device is below this (FLOP/byte; default 10; 0 sends every segment).
   */
  minFlopsPerByte?: number;
  /**
   * onnxruntime-web's `preferredOutputLocation`: where outputs are returned, for all outputs or
   * per output name. `gpu-buffer` leaves an output produced by a GPU segment (`webgpu`) in its GPU
   * buffer: the returned tensor has `location: 'gpu-buffer'` and `await tensor.getData()` reads
   * it (call `tensor.dispose()` when done; release the session after the tensors, whose buffers
   * belong to its device). Outputs produced on the CPU are returned on the CPU whatever is asked;
   * with `precision: 'fp16'` a float32 output is stored in its buffer as float16 (`getData()`
   * converts). Values passed between two GPU segments stay on the GPU whatever this says. Default
   * `cpu`.
   */
  preferredOutputLocation?: ValueLocation | Readonly<Record<string, ValueLocation>>;
  /** onnxruntime's `logSeverityLevel`, accepted for compatibility (0..4). */
  logSeverityLevel?: number;
}

/** Metadata of one graph input or output (onnxruntime 1.22+'s `inputMetadata` shape). */
export interface ValueMetadata {
  /** Value name. */
  name: string;
  /** True for tensors (always true for values optiflow runs). */
  isTensor: boolean;
  /** Element type; `undefined` when the model does not declare it. */
  type?: DType;
  /** Dims: numbers for fixed dims, strings for symbolic ones; `undefined` when rank is unknown. */
  shape?: Dim[];
}

/** Feeds: input name to tensor. */
export type FeedsType = Record<string, Tensor | TensorData>;
/** Results: output name to tensor. */
export type ReturnType = Record<string, Tensor>;
/**
 * A value of any kind for {@link InferenceSession.runValues}: a tensor, a sequence (array of
 * tensors), or for optional inputs/outputs `null` (empty optional).
 */
export type SessionValue = Tensor | TensorData | readonly (Tensor | TensorData)[] | null;

/** An ONNX model loaded, checked, placed on backends and ready to run. */
export class InferenceSession {
  /** Names of the graph inputs (initializers excluded), in declared order. */
  readonly inputNames: readonly string[];
  /** Names of the graph outputs, in declared order. */
  readonly outputNames: readonly string[];
  /** Dtype and shape of each input. */
  readonly inputMetadata: readonly ValueMetadata[];
  /** Dtype and shape of each output (inferred where the model leaves them out). */
  readonly outputMetadata: readonly ValueMetadata[];

  private constructor(readonly graph: Graph, private readonly plan: Plan, private readonly source: string,
    private readonly backends: Backend[]) {
    this.inputNames = graph.inputs.map((v) => v.name);
    this.outputNames = graph.outputs.map((v) => v.name);
    this.inputMetadata = graph.inputs.map(meta);
    this.outputMetadata = graph.outputs.map((v) => meta({ ...graph.valueInfo.get(v.name), ...definedOnly(v) }));
  }

  /**
   * Loads a model and prepares it to run.
   * @param model a file path (Node.js), or the bytes of an `.onnx` file
   * @param options session options
   * @param backendFactories the backends that `executionProviders` may name
   * @param defaultProviders the providers used when `executionProviders` is not given (those that
   *   fail to start are skipped)
   * @throws OptiflowError `io_error` (unreadable path), `invalid_model`, `unsupported_op`,
   *   `opset_out_of_range`, `invalid_argument` (unknown execution provider).
   */
  static async create(model: string | Uint8Array | ArrayBuffer, options: SessionOptions = {},
    backendFactories: Readonly<Record<string, BackendFactory>> = {}, defaultProviders: readonly string[] = ['js']): Promise<InferenceSession> {
    const threads = options.intraOpNumThreads ?? 0;
    if (!Number.isInteger(threads) || threads < 0) {
      throw new OptiflowError('invalid_argument', `intraOpNumThreads must be a non-negative integer, got ${String(options.intraOpNumThreads)}`);
    }
    if (options.precision !== undefined && !['fp32', 'fp16', 'bf16'].includes(options.precision)) {
      throw new OptiflowError('invalid_argument', `precision must be fp32, fp16 or bf16, got '${String(options.precision)}'`);
    }
    const fpb = options.minFlopsPerByte;
    if (fpb !== undefined && !(fpb >= 0)) {
      throw new OptiflowError('invalid_argument', `minFlopsPerByte must be a non-negative number, got ${String(fpb)}`);
    }
    const inter = options.interOpNumThreads ?? 0;
    if (!Number.isInteger(inter) || inter < 0) {
      throw new OptiflowError('invalid_argument', `interOpNumThreads must be a non-negative integer, got ${String(options.interOpNumThreads)}`);
    }
    const seg = options.minSegmentSize;
    if (seg !== undefined && (!Number.isInteger(seg) || seg < 1)) {
      throw new OptiflowError('invalid_argument', `minSegmentSize must be a positive integer, got ${String(seg)}`);
    }
    const loaded = await loadGraph(model);
    const { graph, source } = loaded;
    const locations = outputLocations(options.preferredOutputLocation, graph, source);
    const backends = await startBackends(options.executionProviders, defaultProviders, backendFactories,
      { intraOpNumThreads: threads, interOpNumThreads: options.interOpNumThreads ?? 0, precision: options.precision, minSegmentSize: options.minSegmentSize,
        minFlopsPerByte: options.minFlopsPerByte, graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' });
    let plan: Plan;
    try {
      const { schemas } = optimizeLoaded(loaded, options.graphOptimizationLevel ?? 'all', backends);
      plan = await Plan.create(graph, backends, schemas, graph.opsets, { outputLocations: locations, interOpNumThreads: Math.max(1, inter) });
    } catch (e) {
      for (const b of backends) await b.dispose?.();
      throw e instanceof OptiflowError ? e.within(source) : e;
    }
    if (options.enableProfiling) plan.profile = new Map();
    return new InferenceSession(graph, plan, source, backends);
  }

  /**
   * Per-op-type totals since the session was created (needs `enableProfiling`), slowest first.
   * @returns rows of op type (`domain::opType` outside ai.onnx), total ms, node runs, share of the total
   * @throws OptiflowError `invalid_argument` when profiling was not enabled.
   */
  profilingSummary(): { opType: string; ms: number; count: number; share: number }[] {
    const p = this.plan.profile;
    if (!p) throw new OptiflowError('invalid_argument', 'profiling is off; create the session with enableProfiling: true');
    const total = [...p.values()].reduce((a, e) => a + e.ms, 0) || 1;
    return [...p].map(([opType, e]) => ({ opType, ms: e.ms, count: e.count, share: e.ms / total }))
      .sort((a, b) => b.ms - a.ms);
  }

  /** Where each node runs and why. */
  get placements(): readonly Placement[] { return this.plan.placements; }

  /**
   * The segments compiled by segment backends (`onednn`, `webgpu`), in run order: nodes, inputs,
   * outputs, where outputs are left, and the copy counters of engines that keep them.
   */
  get segments(): readonly SegmentInfo[] { return this.plan.segments; }

  /**
   * The `GPUDevice` of the first GPU-resident backend (`webgpu`), on which GPU buffers given as
   * inputs (`Tensor.fromGpuBuffer`) must be created; `undefined` without one.
   */
  get gpuDevice(): unknown { return this.backends.find((b) => b.gpuResident)?.gpuDevice; }

  /**
   * Runs the model.
   * @param feeds every graph input by name; dtypes and dims must match the declared ones (symbolic
   *   dims accept any size)
   * @param fetches output names to return (default: all outputs)
   * @returns the requested outputs by name
   * @throws OptiflowError `invalid_argument` (missing or unknown input, unknown fetch),
   *   `dtype_mismatch`, `shape_mismatch` (wrong rank, a dim contradicting a fixed one) naming the
   *   input with expected vs got; `runtime_error` and others located at the failing node.
   */
  async run(feeds: FeedsType, fetches?: readonly string[] | Record<string, unknown>): Promise<ReturnType> {
    const out = await this.runValues(feeds, fetches);
    const res: ReturnType = {};
    for (const [k, v] of Object.entries(out)) {
      if (!(v instanceof Tensor)) {
        throw new OptiflowError('invalid_argument', `output '${k}' is a sequence or optional; use runValues()`, [this.source]);
      }
      res[k] = v;
    }
    return res;
  }

  /**
   * Like {@link InferenceSession.run}, for models whose inputs or outputs include sequences
   * (passed and returned as arrays of tensors) or optionals (`null` when empty).
   * @throws as {@link InferenceSession.run}
   */
  async runValues(feeds: Record<string, SessionValue>, fetches?: readonly string[] | Record<string, unknown>): Promise<Record<string, Tensor | Tensor[] | null>> {
    if (!feeds || typeof feeds !== 'object') throw new OptiflowError('invalid_argument', 'feeds must be an object of input name to Tensor');
    const inputs = new Map<string, RuntimeValue>();
    for (const v of this.graph.inputs) {
      const t = feeds[v.name];
      if (t === undefined || (t === null && v.kind !== 'optional')) {
        throw new OptiflowError('invalid_argument', `missing input '${v.name}' (expected ${describe(v)})`, [this.source, `input ${v.name}`]);
      }
      inputs.set(v.name, toRuntime(v, t, this.source));
    }
    for (const k of Object.keys(feeds)) {
      if (!this.inputNames.includes(k)) {
        throw new OptiflowError('invalid_argument', `unknown input '${k}'; the model's inputs are ${this.inputNames.join(', ')}`, [this.source]);
      }
    }
    const wanted = fetches === undefined ? this.outputNames : Array.isArray(fetches) ? fetches : Object.keys(fetches);
    for (const f of wanted) {
      if (!this.outputNames.includes(f)) throw new OptiflowError('invalid_argument', `unknown output '${f}'; outputs are ${this.outputNames.join(', ')}`, [this.source]);
    }
    if (this.released) throw new OptiflowError('invalid_argument', 'the session was released; create a new one', [this.source]);
    let out: Map<string, RuntimeValue>;
    const running = this.plan.run(inputs);
    this.inflight.add(running);
    try {
      out = await running;
    } catch (e) {
      throw e instanceof OptiflowError ? e.within(this.source) : e;
    } finally {
      this.inflight.delete(running);
    }
    const res: Record<string, Tensor | Tensor[] | null> = {};
    for (const f of wanted) res[f] = fromRuntime(out.get(f)!);
    // GPU-resident outputs nobody asked for go back to their pool.
    for (const [k, v] of out) if (!wanted.includes(k) && isGpuBufferValue(v)) v.dispose();
    return res;
  }

  /**
   * Releases the session's resources: backend memory, worker threads, after waiting for runs in
   * flight. Later `run` calls throw `invalid_argument`. Safe to call twice.
   */
  async release(): Promise<void> {
    this.released = true;
    // Runs already in flight finish on the memory they started with.
    await Promise.allSettled([...this.inflight]);
    const bs = this.backends.splice(0);
    if (bs.length) await this.plan.dispose();
    for (const b of bs) await b.dispose?.();
  }

  private released = false;
  private readonly inflight = new Set<Promise<unknown>>();
}

function definedOnly(v: ValueInfo): Partial<ValueInfo> {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as Partial<ValueInfo>;
}

function meta(v: Partial<ValueInfo>): ValueMetadata {
  return { name: v.name ?? '', isTensor: (v.kind ?? 'tensor') === 'tensor', type: v.dtype, shape: v.shape };
}

function describe(v: ValueInfo): string {
  return `${v.dtype ?? 'any dtype'} with dims ${v.shape ? `[${v.shape.join(',')}]` : 'of any rank'}`;
}

function toRuntime(v: ValueInfo, t: SessionValue, source: string): RuntimeValue {
  const where = [source, `input ${v.name}`];
  const seq = (items: readonly (Tensor | TensorData)[]): RuntimeValue => {
    for (const x of items) checkFeed({ name: v.name, dtype: v.dtype }, x, source);
    return { kind: 'sequence', elemType: v.dtype ?? items[0]?.type, items };
  };
  if (v.kind === 'optional') {
    if (t === null) return { kind: 'optional', value: undefined };
    const inner = Array.isArray(t) ? seq(t) : t as TensorData;
    return { kind: 'optional', value: inner as TensorData };
  }
  if (v.kind === 'sequence') {
    if (!Array.isArray(t)) throw new OptiflowError('invalid_argument', 'expected a sequence (an array of tensors)', where);
    return seq(t);
  }
  if (Array.isArray(t) || t === null) throw new OptiflowError('invalid_argument', `expected a tensor, got ${t === null ? 'null' : 'an array'}`, where);
  checkFeed(v, t as TensorData, source);
  return t as TensorData;
}

function fromRuntime(v: RuntimeValue): Tensor | Tensor[] | null {
  if (isTensorValue(v)) return Tensor.from(v);
  if (v.kind === 'sequence') return v.items.map((x) => Tensor.from(x));
  return v.value === undefined ? null : fromRuntime(v.value) as Tensor | Tensor[];
}

function checkFeed(v: ValueInfo, t: TensorData, source: string): void {
  const where = [source, `input ${v.name}`];
  if (!t.dims || !t.type || (!isGpuBufferValue(t) && !t.data)) throw new OptiflowError('invalid_argument', 'feed is not a Tensor (needs type, data, dims)', where);
  if (v.dtype && t.type !== v.dtype) {
    throw new OptiflowError('dtype_mismatch', `expected dtype ${v.dtype}, got ${t.type}`, where);
  }
  if (!v.shape) return;
  if (t.dims.length !== v.shape.length) {
    throw new OptiflowError('shape_mismatch', `expected rank ${v.shape.length} [${v.shape.join(',')}], got rank ${t.dims.length} [${t.dims.join(',')}]`, where);
  }
  v.shape.forEach((d, i) => {
    if (typeof d === 'number' && d !== t.dims[i]) {
      throw new OptiflowError('shape_mismatch', `dim ${i} must be ${d} (expected [${v.shape!.join(',')}]), got [${t.dims.join(',')}]`, where);
    }
  });
}

/**
 * The preferred location of each graph output from the session option.
 * @throws OptiflowError `invalid_argument` for an unknown location or output name
 */
function outputLocations(opt: SessionOptions['preferredOutputLocation'], graph: Graph, source: string): Map<string, ValueLocation> {
  const out = new Map<string, ValueLocation>();
  if (opt === undefined) return out;
  const check = (v: unknown, what: string): ValueLocation => {
    if (v !== 'cpu' && v !== 'gpu-buffer') {
      throw new OptiflowError('invalid_argument', `preferredOutputLocation${what} must be 'cpu' or 'gpu-buffer', got '${String(v)}'`, [source]);
    }
    return v;
  };
  if (typeof opt === 'string') {
    const loc = check(opt, '');
    for (const o of graph.outputs) out.set(o.name, loc);
    return out;
  }
  const names = graph.outputs.map((o) => o.name);
  for (const [k, v] of Object.entries(opt)) {
    if (!names.includes(k)) throw new OptiflowError('invalid_argument', `preferredOutputLocation names '${k}', not an output; outputs are ${names.join(', ')}`, [source]);
    out.set(k, check(v, `['${k}']`));
  }
  return out;
}
