/**
 * Compiles a {@link SegmentSpec} into a GPU engine: each node's kernel created once (pipelines
 * created concurrently with the async API), constants uploaded once, and per run: each segment
 * input uploaded once, output dims from the schemas' inference on concrete dims, every dispatch in
 * one command encoder, intermediates taken from the buffer pool and handed back right after their
 * last reader (lifetimes from `src/runtime/memory-plan.ts`; reuse as the GPU delegate's shared
 * objects, arXiv:2001.03288), one readback (`mapAsync`) per segment output.
 * @module
 */
/// <reference types="@webgpu/types" />
import type { DType } from '../../ir/dtype.js';
import { OptiflowError, isOptiflowError } from '../../ir/errors.js';
import type { Graph, Node } from '../../ir/graph.js';
import { isTensorValue, type RuntimeValue, type TensorData } from '../../ir/tensor-data.js';
import { resolveAttrs, type AttrSpecs, type InputInfo, type OpSchema } from '../../ops/schema.js';
import { computeLifetimes } from '../../runtime/memory-plan.js';
import { isGpuBufferValue, type CompiledSegment, type GpuBufferValue, type SegmentSpec } from '../backend.js';
import { Tensor } from '../../runtime/tensor.js';
import {
  GpuBufferPool, UNIFORM_USAGE, gpuDTypeOf, readTensors, readbackPool, tensorBytes, uploadTensor, type PoolStats,
} from './buffers.js';
import { gpuAwait, type GpuDeviceHandle } from './device.js';
import { RunEncoder, nodePath } from './encoder.js';
import type { AnyGpuKernel, GpuDType, GpuKernel, GpuTensor, GpuTuningProblem } from './kernel.js';
import { createPipelineCache, type CountingPipelineCache } from './pipelines.js';

/** Device-wide state shared by the segments of one backend. */
export interface GpuContext {
  readonly handle: GpuDeviceHandle;
  readonly device: GPUDevice;
  readonly pipelines: CountingPipelineCache;
  /** Activations and scratch tensors. */
  readonly pool: GpuBufferPool;
  /** Uniform buffers. */
  readonly uniforms: GpuBufferPool;
  /** Readback staging buffers. */
  readonly staging: GpuBufferPool;
  /** `fp16` only takes effect where the device has `shader-f16`. */
  readonly precision: 'fp32' | 'fp16';
  /** Tuned choices by key (see `tuning.ts`). */
  tuned(key: string): readonly number[] | undefined;
}

/** Creates the shared state on a device. */
export function createGpuContext(handle: GpuDeviceHandle, options: {
  precision?: 'fp32' | 'fp16'; tuned?: (key: string) => readonly number[] | undefined;
} = {}): GpuContext {
  const { device } = handle;
  return {
    handle, device, pipelines: createPipelineCache(device),
    pool: new GpuBufferPool(device), uniforms: new GpuBufferPool(device, UNIFORM_USAGE, 'optiflow-uniform'),
    staging: readbackPool(device), precision: options.precision === 'fp16' && handle.hasF16 ? 'fp16' : 'fp32',
    tuned: options.tuned ?? (() => undefined),
  };
}

/** Storage dtype of the buffers segments left on the GPU (`SegmentSpec.outputLocations`). */
const residentDTypes = new WeakMap<GPUBuffer, GpuDType>();

/**
 * How a GPU-resident input binds on `ctx`'s device: the {@link GpuTensor} to bind in place, or
 * `undefined` when it must be downloaded and uploaded (another device, a storage dtype other than
 * the segment's, a buffer too small).
 */
function bindResident(ctx: GpuContext, v: GpuBufferValue): GpuTensor | undefined {
  if (v.gpuDevice !== undefined && v.gpuDevice !== ctx.device) return undefined;
  const buffer = v.gpuBuffer as GPUBuffer;
  const stored = residentDTypes.get(buffer) ?? gpuDTypeOf(v.type);
  const wanted = gpuDTypeOf(v.type, ctx.precision === 'fp16');
  if (!stored || stored !== wanted || typeof buffer?.size !== 'number' || buffer.size < tensorBytes(v.dims, stored)) return undefined;
  return { buffer, offset: 0, dims: [...v.dims], dtype: stored };
}

/** Counters of a compiled segment (totals since compilation). */
export interface SegmentStats {
  runs: number;
  /** Segment inputs uploaded (one per input per run). */
  uploads: number;
  /** Bytes uploaded (segment inputs, as GPU dtypes). */
  uploadBytes: number;
  /** Segment outputs read back (one per output per run). */
  readbacks: number;
  /** Bytes read back. */
  readbackBytes: number;
  dispatches: number;
  /** Bytes held by the segment's constants. */
  constantBytes: number;
}

/** A segment on the GPU. */
export interface GpuSegment extends CompiledSegment {
  run(inputs: readonly RuntimeValue[]): Promise<TensorData[]>;
  dispose(): void;
  stats(): SegmentStats;
  /** The shared activation pool's accounting. */
  poolStats(): PoolStats;
  /**
   * Tuning problems of the segment's kernels (see `tuning.ts`), at the input dims of the last run
   * (before any run: static shapes with symbolic dims bound to 1).
   */
  tuningProblems(): GpuTuningProblem[];
}

interface Step {
  readonly node: Node;
  readonly schema: OpSchema<AttrSpecs>;
  readonly attrs: unknown;
  readonly opset: number;
  readonly kernel: GpuKernel;
  /** Constant inputs the runner passes (uploaded at compile time), by input index. */
  readonly constants: ReadonlyMap<number, GpuTensor>;
}

/** Static info of a value: valueInfo, graph inputs, or an initializer. */
export function staticInfo(g: Graph, name: string): InputInfo | undefined {
  const init = g.initializers.get(name);
  if (init) return { dtype: init.type, shape: [...init.dims], value: init };
  const vi = g.valueInfo.get(name) ?? g.inputs.find((v) => v.name === name);
  return vi?.dtype ? { dtype: vi.dtype, shape: vi.shape ? [...vi.shape] : undefined } : undefined;
}

function wrap(e: unknown, node: Node): OptiflowError {
  if (isOptiflowError(e)) return e.path.length ? e : e.within(...nodePath(node));
  const msg = (e as Error)?.message ?? String(e);
  return new OptiflowError('runtime_error', msg.startsWith('webgpu') ? msg : `webgpu: ${msg}`, nodePath(node));
}

/**
 * Compiles `spec` with the kernel `kernelFor` picks for each node.
 * @throws (rejects) OptiflowError naming the node when a kernel's `create` fails (a shader that
 *   does not compile included); everything created so far is freed first
 */
export async function compileGpuSegment(ctx: GpuContext, spec: SegmentSpec,
  kernelFor: (node: Node, schema: OpSchema<AttrSpecs>) => AnyGpuKernel): Promise<GpuSegment> {
  const { device } = ctx;
  const { graph } = spec;
  const constPool = new GpuBufferPool(device, undefined, 'optiflow-const');
  const fp16 = ctx.precision === 'fp16';
  const created: (GpuKernel | undefined)[] = [];
  const prepared = spec.nodes.map((node) => {
    const schema = spec.schemas.get(node);
    if (!schema) throw new OptiflowError('unsupported_op', `webgpu: no schema for ${node.opType}`, nodePath(node));
    const opset = spec.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? schema.since;
    const attrs = resolveAttrs(schema, node);
    const constants = node.inputs.map((n) => (n ? graph.initializers.get(n) : undefined));
    return { node, schema, opset, attrs, constants, def: kernelFor(node, schema), uploaded: new Set<TensorData>() };
  });
  const results = await Promise.allSettled(prepared.map(async (p, i) => {
    const k = await p.def.create({
      device, node: p.node, attrs: p.attrs as never, opset: p.opset, constants: p.constants,
      inputs: p.node.inputs.map((n) => (n ? staticInfo(graph, n) : undefined)),
      pipelines: ctx.pipelines, precision: ctx.precision, tuned: ctx.tuned,
      upload: (t, dtype) => { p.uploaded.add(t); return uploadTensor(constPool, t, dtype ?? gpuDTypeOf(t.type, fp16)); },
    });
    created[i] = k;
    return k;
  }));
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) {
    for (const k of created) k?.dispose?.();
    constPool.destroy();
    throw wrap((results[failed] as PromiseRejectedResult).reason, prepared[failed]!.node);
  }
  const steps: Step[] = prepared.map((p, i) => {
    const kernel = created[i]!;
    const constants = new Map<number, GpuTensor>();
    p.constants.forEach((t, j) => {
      if (!t) return;
      const wanted = kernel.constantInputs ? kernel.constantInputs.includes(j) : !p.uploaded.has(t);
      if (!wanted || t.type === 'string') return;
      constants.set(j, uploadTensor(constPool, t, gpuDTypeOf(t.type, fp16) ?? 'int32'));
    });
    return { node: p.node, schema: p.schema, attrs: p.attrs, opset: p.opset, kernel, constants };
  });
  return new SegmentRunner(ctx, spec, steps, constPool);
}

class SegmentRunner implements GpuSegment {
  private readonly lastUse = new Map<string, number>();
  /** Concrete input dims of each step in the last run (tuning at the shapes actually run). */
  private readonly lastDims: ((readonly number[] | undefined)[] | undefined)[] = [];
  private readonly counters: SegmentStats;
  private disposed = false;

  constructor(private readonly ctx: GpuContext, private readonly spec: SegmentSpec, private readonly steps: readonly Step[],
    private readonly constPool: GpuBufferPool) {
    const life = computeLifetimes(steps.map((s) => s.node), spec.outputs);
    for (const [name, l] of life) if (Number.isFinite(l.last)) this.lastUse.set(name, l.last);
    this.counters = { runs: 0, uploads: 0, uploadBytes: 0, readbacks: 0, readbackBytes: 0, dispatches: 0, constantBytes: constPool.stats().totalBytes };
  }

  stats(): SegmentStats {
    return { ...this.counters };
  }

  poolStats(): PoolStats {
    return this.ctx.pool.stats();
  }

  tuningProblems(): GpuTuningProblem[] {
    return this.steps.flatMap((s, i) => [...(s.kernel.tuning?.(this.lastDims[i]) ?? [])]);
  }

  async run(inputs: readonly RuntimeValue[]): Promise<TensorData[]> {
    if (this.disposed) throw new OptiflowError('runtime_error', 'webgpu: segment used after release');
    const { spec, ctx } = this;
    if (inputs.length !== spec.inputs.length) {
      throw new OptiflowError('invalid_argument', `webgpu segment takes ${spec.inputs.length} inputs, got ${inputs.length}`);
    }
    const fp16 = ctx.precision === 'fp16';
    // GPU-resident inputs bind in place on this device; others are downloaded first (then uploaded).
    const bound = new Map<number, GpuTensor>();
    const local = await Promise.all(inputs.map(async (v, i) => {
      if (!isGpuBufferValue(v)) return v;
      const t = bindResident(ctx, v);
      if (t) { bound.set(i, t); return v; }
      return { type: v.type, dims: [...v.dims], data: await v.download() } as TensorData;
    }));
    const leave = new Set(spec.outputs.filter((_, k) => spec.outputLocations?.[k] === 'gpu-buffer'));
    const owned = new Set<GPUBuffer>();
    const gpu = new Map<string, GpuTensor>();
    const infos = new Map<string, InputInfo>();
    const types = new Map<string, DType>();
    const enc = new RunEncoder(ctx.device, ctx.pool, ctx.uniforms);
    const release = (name: string): void => {
      const t = gpu.get(name);
      if (t && owned.delete(t.buffer)) ctx.pool.release(t.buffer);
    };
    // Error scopes bracket only synchronous code (upload, encode, finish, submit): other async work
    // on the device (pipeline creation, other runs) cannot interleave its own scopes with these.
    ctx.device.pushErrorScope('out-of-memory');
    ctx.device.pushErrorScope('validation');
    let read: Promise<TensorData[]> | undefined;
    let scopes: Promise<(GPUError | null)[]>;
    let dispatches = 0;
    let readBytes = 0;
    try {
      spec.inputs.forEach((name, i) => {
        const v = local[i]!;
        if (!isTensorValue(v)) throw new OptiflowError('invalid_argument', `webgpu: segment input '${name}' is a ${v.kind}`, [name]);
        const resident = bound.get(i);
        infos.set(name, resident ? { dtype: v.type, shape: [...v.dims] } : { dtype: v.type, shape: [...v.dims], value: v });
        types.set(name, v.type);
        if (!this.lastUse.has(name) && !spec.outputs.includes(name)) return;
        if (resident) { gpu.set(name, resident); return; }
        const t = uploadTensor(ctx.pool, v, gpuDTypeOf(v.type, fp16));
        owned.add(t.buffer);
        gpu.set(name, t);
        this.counters.uploads++;
        this.counters.uploadBytes += tensorBytes(t.dims, t.dtype);
      });
      this.steps.forEach((s, i) => this.encodeStep(s, i, enc, gpu, infos, types, owned, release));
      const requests = spec.outputs.map((name) => {
        const t = gpu.get(name);
        if (!t) throw new OptiflowError('runtime_error', `webgpu: segment output '${name}' is not computed by the segment`, [name]);
        return { t, type: types.get(name)!, name };
      });
      const cmd = enc.finish();
      dispatches = enc.dispatchCount;
      const readback = requests.filter((r) => !leave.has(r.name));
      readBytes = readback.reduce((a, r) => a + tensorBytes(r.t.dims, r.t.dtype), 0);
      const reading = readTensors(ctx.device, ctx.staging, readback, cmd);
      // Outputs left on the GPU: the buffer leaves the run's ownership and becomes the tensor's.
      read = reading.then((cpu) => {
        let k = 0;
        return requests.map((r) => (leave.has(r.name) ? this.resident(r.t, r.type, owned) : cpu[k++]!));
      });
    } finally {
      scopes = Promise.all([ctx.device.popErrorScope(), ctx.device.popErrorScope()]);
      if (!read) {
        scopes.catch(() => undefined);
        enc.release();
        for (const b of owned) ctx.pool.release(b);
      }
    }
    try {
      const [out, errs] = await gpuAwait(Promise.all([read, scopes])).catch((e: unknown) => {
        // mapAsync rejects when the device is lost or destroyed
        throw isOptiflowError(e) ? e : new OptiflowError('runtime_error', `webgpu: readback failed: ${(e as Error)?.message ?? String(e)}`,
          [`segment of ${this.steps.length} nodes`]);
      });
      const err = errs.find((e) => e);
      if (err) for (const t of out) if (isGpuBufferValue(t)) t.dispose();
      if (err) throw new OptiflowError('runtime_error', `webgpu: ${err.message}`, [`segment of ${this.steps.length} nodes`]);
      this.counters.runs++;
      this.counters.readbacks += out.length - leave.size;
      this.counters.readbackBytes += readBytes;
      this.counters.dispatches += dispatches;
      return out;
    } finally {
      enc.release();
      for (const b of owned) ctx.pool.release(b);
    }
  }

  /** Wraps output buffer `t` as a GPU-resident tensor that owns it (taken out of `owned`). */
  private resident(t: GpuTensor, type: DType, owned: Set<GPUBuffer>): TensorData {
    const { ctx } = this;
    owned.delete(t.buffer);
    residentDTypes.set(t.buffer, t.dtype);
    let live = true;
    return Tensor.fromGpuBuffer(t.buffer, {
      dataType: type, dims: t.dims, device: ctx.device,
      download: async () => (await readTensors(ctx.device, ctx.staging, [{ t, type }]))[0]!.data,
      dispose: () => { if (live) { live = false; ctx.pool.release(t.buffer); } },
    });
  }

  private encodeStep(s: Step, i: number, enc: RunEncoder, gpu: Map<string, GpuTensor>, infos: Map<string, InputInfo>,
    types: Map<string, DType>, owned: Set<GPUBuffer>, release: (name: string) => void): void {
    const { node } = s;
    const fp16 = this.ctx.precision === 'fp16';
    const g = this.spec.graph;
    const ins = node.inputs.map((n) => (n ? infos.get(n) ?? staticInfo(g, n) : undefined));
    this.lastDims[i] = ins.map((x) => (x?.shape?.every((d): d is number => typeof d === 'number') ? x.shape : undefined));
    let outs;
    try {
      outs = s.schema.infer({ attrs: s.attrs as never, opset: s.opset, inputs: ins, outputCount: node.outputs.length, node });
    } catch (e) {
      throw wrap(e, node);
    }
    const tensors = node.outputs.map((name, k) => {
      const o = outs[k];
      const shape = o?.shape;
      if (!o || !shape || !shape.every((d): d is number => typeof d === 'number')) {
        throw new OptiflowError('runtime_error', `webgpu: the shape of output ${k} depends on values computed on the GPU`, nodePath(node));
      }
      const dtype: GpuDType | undefined = gpuDTypeOf(o.dtype, fp16);
      if (!dtype) throw new OptiflowError('dtype_mismatch', `webgpu: output ${k} has dtype ${o.dtype}, not a GPU dtype`, nodePath(node));
      const buffer = this.ctx.pool.acquire(tensorBytes(shape, dtype));
      owned.add(buffer);
      const t: GpuTensor = { buffer, offset: 0, dims: shape, dtype };
      if (name) {
        gpu.set(name, t);
        infos.set(name, { dtype: o.dtype, shape });
        types.set(name, o.dtype);
      } else {
        owned.delete(buffer);
        enc.adopt(buffer);
      }
      return t;
    });
    const inputs = node.inputs.map((n, j) => s.constants.get(j) ?? (n && !g.initializers.has(n) ? gpu.get(n) : undefined));
    enc.node = node;
    try {
      s.kernel.encode(enc, inputs, tensors);
    } catch (e) {
      throw wrap(e, node);
    }
    enc.node = undefined;
    for (const n of new Set([...node.inputs, ...node.outputs])) {
      if (n && this.lastUse.get(n) === i && !this.spec.outputs.includes(n)) release(n);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.steps) s.kernel.dispose?.();
    this.constPool.destroy();
  }
}
