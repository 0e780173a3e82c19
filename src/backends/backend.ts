/**
 * The backend interface. A backend answers capability queries for nodes and compiles the nodes
 * placed on it into executables; the session never looks inside. Kernels follow a lifecycle:
 * `create` once per node (pack weights, resolve attributes), then `run` per inference with
 * resolved shapes.
 *
 * Sources: TFLite delegate `IsNodeSupportedFn`; XNNPACK create/reshape/run.
 * @module
 */
import type { DType } from '../ir/dtype.js';
import type { Graph, Node } from '../ir/graph.js';
import type { TensorStorage } from '../ir/dtype.js';
import type { RuntimeValue, TensorData } from '../ir/tensor-data.js';
import { resolveAttrs, type AttrSpecs, type AttrsOf, type InputInfo, type OpSchema } from '../ops/schema.js';

/** Capability answer: never a throw. */
export type Support = { ok: true } | { ok: false; reason: string };

/** Output dtype and resolved shape handed to a kernel (shape undefined when data-dependent). */
export interface ResolvedOutput {
  dtype: DType;
  shape?: number[];
  /** Non-tensor outputs (`sequence`, `optional`). */
  kind?: 'tensor' | 'sequence' | 'optional';
}

/** Runs a subgraph with feeds (its formal inputs by name); returns its outputs in order. */
export type SubgraphRunner = (g: Graph, feeds: ReadonlyMap<string, RuntimeValue>) => Promise<RuntimeValue[]>;

/**
 * What a kernel's `create` phase sees, once per node at session creation: attributes and the
 * constant inputs (initializers), so it can pack weights or precompute tables.
 */
export interface CreateCtx<A> {
  /** Resolved attributes (defaults applied), typed from the schema. */
  readonly attrs: A;
  /** Opset version of the node's domain. */
  readonly opset: number;
  /** The node (for error paths). */
  readonly node: Node;
  /** Positional inputs that are constants (initializers); `undefined` for the others. */
  readonly constants: readonly (TensorData | undefined)[];
}

/** Everything a kernel's `run` sees. */
export interface KernelCtx<A, St = undefined> {
  /** Resolved attributes (defaults applied), typed from the schema. */
  readonly attrs: A;
  /** Opset version of the node's domain. */
  readonly opset: number;
  /**
   * Positional inputs; `undefined` for omitted optional inputs. Sequence and optional values
   * (only for ops that take them) arrive here too; read them with a type guard.
   */
  readonly inputs: readonly (TensorData | undefined)[];
  /** Dtype and shape of each declared output, from the schema's inference. */
  readonly outputs: readonly ResolvedOutput[];
  /** The node (for error paths). */
  readonly node: Node;
  /** Executes subgraph attributes (If/Loop/Scan) with the outer scope visible. */
  readonly runSubgraph: SubgraphRunner;
  /** What the kernel's `create` returned (packed weights, tables); `undefined` without `create`. */
  readonly state: St;
}

/** Facts a capability query can use. */
export interface SupportQuery {
  readonly node: Node;
  readonly schema: OpSchema<AttrSpecs>;
  readonly opset: number;
  /** Static input infos (dtype always known when the model declares it; shape maybe). */
  readonly inputs: readonly (InputInfo | undefined)[];
}

/** A kernel of the reference-style backends: one op schema, a run function, optional checks. */
export interface KernelDef<S extends AttrSpecs = AttrSpecs, St = undefined> {
  readonly schema: OpSchema<S>;
  /** Input-0 dtypes this kernel handles; omitted = any dtype the schema allows. */
  readonly dtypes?: readonly DType[];
  /** Finer capability check (attribute values, modes). */
  readonly supports?: (q: SupportQuery) => Support;
  /**
   * The `create` phase, once per node when the session is created: pack weights, build tables.
   * Its result reaches every `run` as `ctx.state`. Must not mutate the constants.
   */
  readonly create?: (ctx: CreateCtx<AttrsOf<S>>) => St;
  /** Computes the outputs. Must not mutate inputs. */
  readonly run: (ctx: KernelCtx<AttrsOf<S>, St>) => RuntimeValue[] | Promise<RuntimeValue[]>;
}

/** A type-erased kernel, as stored in manifests. */
export type AnyKernel = KernelDef<AttrSpecs, unknown>;

/**
 * Declares a kernel for `schema`; the attribute type of `run`'s context is derived from the schema.
 * @returns the kernel, type-erased for a manifest array.
 */
export function defineKernel<S extends AttrSpecs, St = undefined>(
  schema: OpSchema<S>,
  impl: Omit<KernelDef<S, St>, 'schema'>,
): AnyKernel {
  return { schema, ...impl } as unknown as AnyKernel;
}

/** A node compiled for one backend. */
export interface CompiledNode {
  /** Runs the node on concrete inputs with the resolved outputs from inference. */
  run(inputs: readonly (RuntimeValue | undefined)[], outputs: readonly ResolvedOutput[],
    runSubgraph: SubgraphRunner): RuntimeValue[] | Promise<RuntimeValue[]>;
  /** Frees what the `create` phase holds now rather than at the backend's dispose (folding). */
  dispose?(): void;
}

/**
 * A maximal group of nodes placed on one segment-compiling backend (the TF-TRT segment, the TFLite
 * delegate partition), compiled into one engine that replaces them all: one call per run.
 */
export interface SegmentSpec {
  /** The whole graph: initializers (constant inputs) and `valueInfo` (static dtypes and shapes). */
  readonly graph: Graph;
  /** The segment's nodes, in an order where every producer comes before its readers. */
  readonly nodes: readonly Node[];
  /** Schema of each node. */
  readonly schemas: ReadonlyMap<Node, OpSchema<AttrSpecs>>;
  /** Opset version of each domain (`''` for ai.onnx). */
  readonly opsets: ReadonlyMap<string, number>;
  /**
   * Values the segment reads from outside it (graph inputs, other nodes' outputs), in the order
   * {@link CompiledSegment.run} receives them. Initializers are not listed: read them from `graph`.
   */
  readonly inputs: readonly string[];
  /** Values the segment produces that are read outside it or are graph outputs, in run order. */
  readonly outputs: readonly string[];
  /**
   * Where each of {@link SegmentSpec.outputs} should be left, in the same order (onnxruntime's
   * `preferredOutputLocation`): `gpu-buffer` asks a {@link Backend.gpuResident} backend to return
   * a {@link GpuBufferValue} instead of reading the value back. Omitted = all `cpu`; backends
   * that are not GPU-resident ignore it.
   */
  readonly outputLocations?: readonly ('cpu' | 'gpu-buffer')[];
}

/**
 * A tensor whose data lives in a GPU buffer (onnxruntime-web's `location: 'gpu-buffer'`): dims and
 * type are known, `data` is not readable until downloaded. The runtime `Tensor` created by
 * `Tensor.fromGpuBuffer` is one.
 */
export interface GpuBufferValue extends TensorData {
  readonly location: 'gpu-buffer';
  /** The `GPUBuffer` (typed loosely so that the core does not depend on WebGPU's types). */
  readonly gpuBuffer: unknown;
  /**
   * The device that owns the buffer, when known (tensors produced by a WebGPU segment carry it);
   * a backend binds the buffer directly only on its own device.
   */
  readonly gpuDevice?: unknown;
  /** Copies the data to the CPU without changing the tensor (the executor's download for CPU readers). */
  download(): Promise<TensorStorage>;
  /** Frees the GPU buffer (back to its pool for buffers the runtime made). */
  dispose(): void;
}

/** Whether `v` is a tensor whose data is in a GPU buffer ({@link GpuBufferValue}). */
export function isGpuBufferValue(v: unknown): v is GpuBufferValue {
  return typeof v === 'object' && v !== null && (v as { location?: unknown }).location === 'gpu-buffer';
}

/** Copy counters of a compiled segment, totals since compilation. */
export interface SegmentIoStats {
  /** Completed runs. */
  readonly runs: number;
  /** Segment inputs copied to the device (GPU-resident inputs bound in place are not counted). */
  readonly uploads: number;
  /** Bytes of those copies. */
  readonly uploadBytes: number;
  /** Segment outputs copied back (outputs left on the device are not counted). */
  readonly readbacks: number;
  /** Bytes of those copies. */
  readonly readbackBytes: number;
}

/** A segment compiled by {@link Backend.compileSegment}. */
export interface CompiledSegment {
  /**
   * Runs the segment.
   * @param inputs values of {@link SegmentSpec.inputs}, in order
   * @returns values of {@link SegmentSpec.outputs}, in order, with concrete dims (checked by the
   *   executor against the graph's static shapes where those are known)
   */
  run(inputs: readonly RuntimeValue[]): RuntimeValue[] | Promise<RuntimeValue[]>;
  /** Frees the engine (weights, native or GPU memory); called by `session.release()`. */
  dispose?(): void | Promise<void>;
  /** Copy counters (segments on another device: WebGPU); omitted by engines that share CPU memory. */
  stats?(): SegmentIoStats;
}

/** An execution backend (`js`, later `wasm`, `onednn`, `webgpu`). */
export interface Backend {
  /** Name used in `executionProviders`. */
  readonly name: string;
  /** Whether this backend can run `q.node`, with the reason when not. */
  supports(q: SupportQuery): Support;
  /**
   * Compiles a supported node (the kernel `create` phase).
   * @param constants the node's inputs that are initializers, positionally (`undefined` for the
   *   rest); omitted means none are known
   */
  compile(node: Node, schema: OpSchema<AttrSpecs>, opset: number, constants?: readonly (TensorData | undefined)[]): CompiledNode;
  /**
   * Hands back a value this backend produced once the executor no longer needs it (backends with
   * their own memory reuse it; others leave this out).
   */
  release?(value: RuntimeValue): void;
  /**
   * Makes a value this backend produced safe to hand to the user after the run (a copy out of
   * backend-owned memory); identity when omitted.
   */
  exportValue?(value: RuntimeValue): RuntimeValue;
  /** Frees everything the backend holds (workers, memory); called by `session.release()`. */
  dispose?(): void | Promise<void>;
  /**
   * A session run starts (the executor calls it once per top-level run, before the first kernel;
   * runs may overlap when `run` is called again before the previous one resolves). A backend with
   * worker threads keeps them ready between kernels until the matching {@link Backend.endRun}.
   */
  beginRun?(): void;
  /** The run started by {@link Backend.beginRun} ended (also when it failed). */
  endRun?(): void;
  /**
   * Segment backends (oneDNN, WebGPU) implement this instead of per-node {@link Backend.compile}:
   * the executor groups the nodes placed here into maximal segments and hands each over once.
   * A throw (or rejection) makes the executor place the segment's nodes on the next backends and
   * say so in the placement report.
   */
  compileSegment?(spec: SegmentSpec): CompiledSegment | Promise<CompiledSegment>;
  /**
   * Segments with fewer nodes than this run elsewhere (TF-TRT's `minimum_segment_size`, default 3
   * when {@link Backend.compileSegment} is implemented).
   */
  readonly minSegmentSize?: number;
  /**
   * The image layout this backend runs `q.node` (a Conv) fastest in; omitted = NCHW. The layout
   * pass turns regions of such nodes into NHWC with transposes only at the region's edges.
   */
  preferredLayout?(q: SupportQuery): 'NCHW' | 'NHWC';
  /**
   * A segment backend whose segments take {@link GpuBufferValue} inputs as they are (binding them
   * without a copy when they are on its device) and honour {@link SegmentSpec.outputLocations}.
   * For every other step the executor downloads GPU-resident values first.
   */
  readonly gpuResident?: boolean;
  /**
   * The `GPUDevice` of a {@link Backend.gpuResident} backend (typed loosely: the core does not
   * depend on WebGPU's types); GPU buffers fed as inputs must be created on it.
   */
  readonly gpuDevice?: unknown;
}

/** Creates a backend; options such as the thread counts come from the session. */
export type BackendFactory = (options: BackendOptions) => Backend | Promise<Backend>;

/** What the session passes to every backend factory. */
export interface BackendOptions {
  /** Threads inside one op (intra-op); 0 = one per core. */
  intraOpNumThreads: number;
  /** Independent ops (or segments) at once (inter-op); 0 or undefined = chosen by the backend. */
  interOpNumThreads?: number;
  /**
   * Numeric precision of segment engines, as TF-TRT names it: `fp32` (default), `fp16` (WebGPU
   * with `shader-f16`), `bf16` (oneDNN on CPUs with AVX-512 BF16 or AMX). Backends without the
   * mode run fp32.
   */
  precision?: 'fp32' | 'fp16' | 'bf16';
  /** Segments with fewer nodes run elsewhere (TF-TRT's `minimum_segment_size`; backend default 3). */
  minSegmentSize?: number;
  /**
   * Device backends (WebGPU) refuse segments whose estimated work per byte copied to and from the
   * device is below this (FLOP/byte; backend default 10; 0 = never refuse).
   */
  minFlopsPerByte?: number;
  /**
   * The session's `graphOptimizationLevel` (default `all`). Segment backends that rewrite inside
   * their engines follow it, with onnxruntime's split: fusions (post-ops, fused pairs) from
   * `extended`, activation layouts kept across primitives (blocked/NHWC) at `all`; `disabled` runs
   * each node as its own primitive with the model's layout between primitives.
   */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/**
 * Builds a backend from a kernel manifest: the common implementation for manifest-driven backends.
 * @throws Error when two kernels are registered for the same schema.
 */
export function manifestBackend(name: string, manifest: readonly AnyKernel[]): Backend {
  const byKey = new Map<OpSchema<AttrSpecs>, AnyKernel>();
  const names = new Map<string, AnyKernel[]>();
  for (const k of manifest) {
    if (byKey.has(k.schema)) throw new Error(`${name}: duplicate kernel for ${k.schema.domain}::${k.schema.opType}`);
    byKey.set(k.schema, k);
    const key = `${k.schema.domain}::${k.schema.opType}`;
    (names.get(key) ?? names.set(key, []).get(key)!).push(k);
  }
  return {
    name,
    supports(q) {
      const k = byKey.get(q.schema);
      if (!k) return { ok: false, reason: `${name} has no kernel for ${q.node.opType} at opset ${q.opset}` };
      const t = q.inputs[0]?.dtype;
      if (k.dtypes && t && !k.dtypes.includes(t)) {
        return { ok: false, reason: `${name} ${q.node.opType} does not handle dtype ${t}` };
      }
      return k.supports ? k.supports(q) : { ok: true };
    },
    compile(node, schema, opset, constants = []) {
      const k = byKey.get(schema);
      if (!k) throw new Error(`${name}: no kernel for ${node.opType}`);
      const attrs = resolveAttrs(schema, node);
      const state = k.create ? k.create({ attrs, opset, node, constants }) : undefined;
      return {
        run: (inputs, outputs, runSubgraph) =>
          k.run({ attrs, opset, inputs: inputs as readonly (TensorData | undefined)[], outputs, node, runSubgraph, state }),
      };
    },
  };
}
