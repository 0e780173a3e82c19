/**
 * The `webgpu` backend: TensorFlow Lite's GPU delegate done in WebGPU. A segment backend: the
 * executor groups the nodes placed here into segments of at least {@link WebgpuBackend.minSegmentSize}
 * nodes and hands each to `compileSegment`, which creates every node's kernel (pipelines created
 * with the async API) and returns an engine running the whole segment in one command encoder, with
 * one upload per segment input and one readback per segment output.
 *
 * Placement (`supports`): a kernel in the merged manifests (`kernels/manifest-a.ts`,
 * `kernels/manifest-b.ts`) for the node's schema; input-0 dtype among the kernel's (default float32);
 * every output of a GPU dtype (int64, bool and strings stay on the CPU; int64/bool inputs from the CPU
 * are uploaded narrowed to int32); float16 only with `shader-f16`; static tensor sizes within
 * `maxStorageBufferBindingSize`; then the kernel's own `supports`. A segment whose estimated work
 * does not pay for its copies is refused at `compileSegment` (`placement-cost.ts`).
 * @module
 */
/// <reference types="@webgpu/types" />
import type { DType } from '../../ir/dtype.js';
import { OptiflowError } from '../../ir/errors.js';
import { resolveAttrs, type AttrSpecs, type InputInfo, type OpSchema, type OutputInfo } from '../../ops/schema.js';
import type { Backend, SegmentSpec, Support, SupportQuery } from '../backend.js';
import { GpuBufferPool, gpuDTypeBytes, gpuDTypeOf, type PoolStats } from './buffers.js';
import { acquireGpuDevice, type GpuDeviceHandle } from './device.js';
import type { AnyGpuKernel } from './kernel.js';
import { KERNELS_A } from './kernels/manifest-a.js';
import { KERNELS_B } from './kernels/manifest-b.js';
import { DEFAULT_MIN_FLOPS_PER_BYTE, estimateSegmentCost, refuseReason } from './placement-cost.js';
import { compileGpuSegment, createGpuContext, type GpuContext, type GpuSegment } from './segment.js';
import { defaultTuningCachePath, loadTuningTable, saveTuningTable, tuneProblems, TuningTable, type TuneOptions } from './tuning.js';

/** Options of {@link createWebgpuBackend}. */
export interface WebgpuBackendOptions {
  /** Ignored (the session passes it to every factory). */
  readonly intraOpNumThreads?: number;
  /** Ignored. */
  readonly interOpNumThreads?: number;
  /** Segments with fewer nodes run elsewhere (default 3). */
  readonly minSegmentSize?: number;
  /**
   * Transfer-cost placement: a segment whose estimated work per copied byte (FLOPs over the bytes
   * of its uploads and readbacks, from static shapes) is below this is refused by `compileSegment`
   * with the estimate as the reason, so the executor places it elsewhere. Default
   * {@link DEFAULT_MIN_FLOPS_PER_BYTE} (10, see `placement-cost.ts`); 0 disables the check.
   */
  readonly minFlopsPerByte?: number;
  /**
   * `fp16` stores float32 activations as float16 where the adapter has `shader-f16` (default fp32;
   * `bf16` runs fp32).
   */
  readonly precision?: 'fp32' | 'fp16' | 'bf16';
  /** The kernel list (default the merged manifests); tests inject faulty kernels here. */
  readonly kernels?: readonly AnyGpuKernel[];
  /** Name in `executionProviders` (default `webgpu`). */
  readonly name?: string;
  /**
   * Tuning cache file; default (Node) `~/.cache/optiflow/webgpu-tuning-<adapter>.json`; `false`
   * for none. In browsers only an explicit {@link TuningTable} applies.
   */
  readonly tuningCache?: string | false | TuningTable;
  readonly powerPreference?: GPUPowerPreference;
}

/** GPU memory held by the backend, in bytes. */
export interface WebgpuMemoryStats {
  readonly activations: PoolStats;
  readonly uniforms: PoolStats;
  readonly staging: PoolStats;
  /** Constants (weights) of the live segments. */
  readonly constantBytes: number;
  /** Everything above. */
  readonly totalBytes: number;
}

/** The `webgpu` backend, with its device and accounting exposed for tools and tests. */
export interface WebgpuBackend extends Backend {
  readonly minSegmentSize: number;
  /** See {@link WebgpuBackendOptions.minFlopsPerByte}. */
  readonly minFlopsPerByte: number;
  readonly device: GPUDevice;
  readonly handle: GpuDeviceHandle;
  readonly context: GpuContext;
  /** The loaded or created tuning table. */
  readonly tuning: TuningTable;
  /** The segments compiled and not yet disposed. */
  readonly segments: readonly GpuSegment[];
  /**
   * Compiles a segment (see `segment.ts`).
   * @throws (rejects) OptiflowError `unsupported_op` naming the estimate when the segment's work per
   *   copied byte is below {@link WebgpuBackend.minFlopsPerByte} (transfer-cost placement); errors
   *   of `compileGpuSegment` (a kernel that fails to create)
   */
  compileSegment(spec: SegmentSpec): Promise<GpuSegment>;
  memoryStats(): WebgpuMemoryStats;
  /**
   * Times the tuning candidates of every compiled segment's kernels (`optiflow bench --tune`), adds
   * the winners to {@link WebgpuBackend.tuning} and saves it to the cache file (unless `save: false`
   * or the backend has no file). Problems are at the shapes of each segment's last run (before a
   * run: symbolic dims bound to 1), keyed by concrete shapes. Winners apply to sessions created
   * afterwards, and to live kernels with symbolic shapes from their next dispatch at that shape.
   * @returns the keys tuned
   */
  tune(options?: TuneOptions & { save?: boolean }): Promise<string[]>;
  dispose(): void;
}

/** dtypes that never live on the GPU (as outputs), with the reason. */
function cpuOnlyReason(t: DType): string | undefined {
  if (t === 'int64' || t === 'uint64') return `${t} stays on the CPU`;
  if (t === 'bool') return 'bool stays on the CPU';
  if (t === 'string') return 'strings stay on the CPU';
  return undefined;
}

function staticBytes(info: { dtype: DType; shape?: readonly (number | string)[] } | undefined): number | undefined {
  if (!info?.shape || !info.shape.every((d): d is number => typeof d === 'number')) return undefined;
  const g = gpuDTypeOf(info.dtype) ?? 'int32';
  return info.shape.reduce((a, d) => a * d, 1) * gpuDTypeBytes(g);
}

/**
 * The capability check of a kernel list on a device (see the module comment).
 * @returns never throws
 */
export function gpuSupports(byKey: ReadonlyMap<OpSchema<AttrSpecs>, AnyGpuKernel>, handle: GpuDeviceHandle, name: string,
  q: SupportQuery): Support {
  const k = byKey.get(q.schema);
  if (!k) return { ok: false, reason: `${name} has no kernel for ${q.node.opType} at opset ${q.opset}` };
  const t0 = q.inputs[0]?.dtype;
  const dtypes = k.dtypes ?? ['float32'];
  if (t0 && !dtypes.includes(t0)) {
    return { ok: false, reason: cpuOnlyReason(t0) ?? `${name} ${q.node.opType} does not handle dtype ${t0}` };
  }
  for (const i of q.inputs) if (i?.dtype === 'string') return { ok: false, reason: 'strings stay on the CPU' };
  let outs: OutputInfo[] = [];
  try {
    outs = q.schema.infer({ attrs: resolveAttrs(q.schema, q.node), opset: q.opset, inputs: q.inputs, outputCount: q.node.outputs.length, node: q.node });
  } catch {
    outs = [];
  }
  for (const o of outs) {
    const why = cpuOnlyReason(o.dtype);
    if (why) return { ok: false, reason: why };
    if (o.kind && o.kind !== 'tensor') return { ok: false, reason: `${o.kind} values stay on the CPU` };
  }
  const all: (InputInfo | OutputInfo | undefined)[] = [...q.inputs, ...outs];
  if (!handle.hasF16 && all.some((x) => x?.dtype === 'float16')) {
    return { ok: false, reason: 'float16 needs the adapter feature shader-f16' };
  }
  const max = handle.limits.maxStorageBufferBindingSize;
  for (const x of all) {
    const b = staticBytes(x);
    if (b !== undefined && b > max) {
      return { ok: false, reason: `a ${b}-byte tensor exceeds the device's maxStorageBufferBindingSize ${max}` };
    }
  }
  return k.supports ? k.supports(q, handle.limits) : { ok: true };
}

/**
 * Creates the `webgpu` backend on a new device.
 * @throws (rejects) OptiflowError `runtime_error` with the reason when there is no adapter (so a
 *   default provider list skips it) or when two kernels share a schema
 */
export async function createWebgpuBackend(options: WebgpuBackendOptions = {}): Promise<WebgpuBackend> {
  const name = options.name ?? 'webgpu';
  const kernels = options.kernels ?? [...KERNELS_A, ...KERNELS_B];
  const byKey = new Map<OpSchema<AttrSpecs>, AnyGpuKernel>();
  for (const k of kernels) {
    if (byKey.has(k.schema)) throw new OptiflowError('runtime_error', `${name}: two kernels for ${k.schema.domain || 'ai.onnx'}::${k.schema.opType} (${k.schema.since}..${k.schema.until})`);
    byKey.set(k.schema, k);
  }
  const minFlopsPerByte = options.minFlopsPerByte ?? DEFAULT_MIN_FLOPS_PER_BYTE;
  if (!(minFlopsPerByte >= 0)) throw new OptiflowError('invalid_argument', `${name}: minFlopsPerByte must be ≥ 0, got ${String(minFlopsPerByte)}`);
  const handle = await acquireGpuDevice({ powerPreference: options.powerPreference });
  const inNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  let tuningFile: string | undefined;
  let tuning: TuningTable;
  if (options.tuningCache instanceof TuningTable) tuning = options.tuningCache;
  else if (options.tuningCache === false || !inNode) tuning = new TuningTable(handle.adapterKey, handle.description);
  else {
    tuningFile = options.tuningCache ?? await defaultTuningCachePath(handle.adapterKey);
    tuning = await loadTuningTable(tuningFile, handle.adapterKey, handle.description);
  }
  const context = createGpuContext(handle, { precision: options.precision === 'fp16' ? 'fp16' : 'fp32', tuned: (key) => tuning.get(key) });
  const segments = new Set<GpuSegment>();
  let disposed = false;
  const sum = (pools: GpuBufferPool[]): PoolStats[] => pools.map((p) => p.stats());
  return {
    name, handle, context, tuning, device: handle.device,
    minSegmentSize: options.minSegmentSize ?? 3, minFlopsPerByte,
    gpuResident: true, gpuDevice: handle.device,
    get segments() { return [...segments]; },
    supports: (q) => gpuSupports(byKey, handle, name, q),
    compile(node) {
      throw new OptiflowError('unsupported_op', `${name} compiles segments only (compileSegment), not single nodes`, [`node ${node.name} (${node.opType})`]);
    },
    async compileSegment(spec) {
      if (disposed) throw new OptiflowError('runtime_error', `${name}: backend already released`);
      const refused = refuseReason(estimateSegmentCost(spec, context.precision === 'fp16'), minFlopsPerByte);
      if (refused) throw new OptiflowError('unsupported_op', refused);
      const seg = await compileGpuSegment(context, spec, (node, schema) => {
        const k = byKey.get(schema);
        if (!k) throw new OptiflowError('unsupported_op', `${name} has no kernel for ${node.opType}`, [`node ${node.name} (${node.opType})`]);
        return k;
      });
      const dispose = seg.dispose.bind(seg);
      const tracked: GpuSegment = Object.assign(seg, { dispose: () => { segments.delete(tracked); dispose(); } });
      segments.add(tracked);
      return tracked;
    },
    memoryStats() {
      const [activations, uniforms, staging] = sum([context.pool, context.uniforms, context.staging]) as [PoolStats, PoolStats, PoolStats];
      const constantBytes = [...segments].reduce((a, s) => a + s.stats().constantBytes, 0);
      return {
        activations, uniforms, staging, constantBytes,
        totalBytes: activations.totalBytes + uniforms.totalBytes + staging.totalBytes + constantBytes,
      };
    },
    async tune(opts = {}) {
      const problems = [...segments].flatMap((s) => s.tuningProblems());
      const keys = await tuneProblems(context, problems, tuning, opts);
      if (opts.save !== false && tuningFile && keys.length) await saveTuningTable(tuning, tuningFile);
      return keys;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const s of [...segments]) s.dispose();
      context.pool.destroy();
      context.uniforms.destroy();
      context.staging.destroy();
      handle.device.destroy();
    },
  };
}
