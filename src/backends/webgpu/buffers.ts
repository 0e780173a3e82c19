/**
 * GPU buffer management: a pool of storage buffers by size class (buffers freed by a value whose
 * lifetime ended are reused by later values, in this run and the next: the GPU delegate's shared
 * memory objects, arXiv:2001.03288 §3), byte accounting, and conversions between {@link TensorData}
 * and GPU storage (upload, readback).
 *
 * Every tensor gets its own `GPUBuffer` (never a sub-range of a shared arena): WebGPU forbids one
 * buffer bound both read-only and writable in one dispatch, which an arena would cause.
 * @module
 */
/// <reference types="@webgpu/types" />
import type { DType } from '../../ir/dtype.js';
import { OptiflowError } from '../../ir/errors.js';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../../ir/float16.js';
import { sizeOf, type TensorData } from '../../ir/tensor-data.js';
import { gpuAwait } from './device.js';
import type { GpuDType, GpuTensor } from './kernel.js';

/** Bytes per element of a GPU dtype. */
export function gpuDTypeBytes(t: GpuDType): number {
  return t === 'float16' ? 2 : 4;
}

/** Bytes a tensor of `dims`/`dtype` occupies, rounded up to 4 (WebGPU copy granularity), at least 4. */
export function tensorBytes(dims: readonly number[], dtype: GpuDType): number {
  return Math.max(4, Math.ceil((sizeOf(dims) * gpuDTypeBytes(dtype)) / 4) * 4);
}

/**
 * The GPU storage dtype for an ONNX dtype, or `undefined` when it has none (int64, bool, string...).
 * @param fp16 store float32 values as float16 (precision mode `fp16` on an adapter with `shader-f16`)
 */
export function gpuDTypeOf(t: DType, fp16 = false): GpuDType | undefined {
  switch (t) {
    case 'float32': return fp16 ? 'float16' : 'float32';
    case 'float16': return 'float16';
    case 'int32': return 'int32';
    case 'uint32': return 'uint32';
    default: return undefined;
  }
}

// Numeric `GPUBufferUsage` values from the WebGPU spec (the global may not exist when this loads).
/** Usage of pooled tensor buffers: STORAGE | COPY_SRC | COPY_DST. */
const STORAGE_USAGE = 0x80 | 0x04 | 0x08;
/** Usage of uniform buffers: UNIFORM | COPY_DST. */
export const UNIFORM_USAGE = 0x40 | 0x08;
const READBACK_USAGE = 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */;

/** Size class of a request: multiples of 256 B up to 4 KiB, then 8 classes per power of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= 4096) return Math.max(256, Math.ceil(bytes / 256) * 256);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

/** Live/free byte counts of a {@link GpuBufferPool}. */
export interface PoolStats {
  /** Bytes in buffers handed out and not yet released. */
  readonly liveBytes: number;
  /** Bytes in buffers kept for reuse. */
  readonly freeBytes: number;
  /** Bytes of every buffer the pool owns (live + free); what the GPU holds for it. */
  readonly totalBytes: number;
  /** Buffers created so far (a flat count over repeated runs shows reuse). */
  readonly created: number;
}

/**
 * A pool of GPU buffers of one usage, by size class. `acquire` reuses a released buffer of the same
 * class or creates one; `destroy` frees every buffer it created.
 */
export class GpuBufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly owned = new Set<GPUBuffer>();
  private readonly idleSet = new Set<GPUBuffer>();
  private live = 0;
  private idle = 0;
  private made = 0;

  /**
   * @param usage `GPUBufferUsage` flags of the buffers (default storage | copy-src | copy-dst)
   * @param label prefix of buffer labels (for validation messages)
   */
  constructor(readonly device: GPUDevice, private readonly usage: number = STORAGE_USAGE, private readonly label = 'optiflow') {}

  /**
   * A buffer of at least `bytes` bytes.
   * @throws OptiflowError `runtime_error` when `bytes` exceeds the device's `maxBufferSize`
   */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    if (size > this.device.limits.maxBufferSize && bytes <= this.device.limits.maxBufferSize) return this.create(bytes);
    const list = this.free.get(size);
    const b = list?.pop();
    if (b) {
      this.idleSet.delete(b);
      this.idle -= b.size;
      this.live += b.size;
      return b;
    }
    return this.create(size);
  }

  private create(size: number): GPUBuffer {
    if (size > this.device.limits.maxBufferSize) {
      throw new OptiflowError('runtime_error', `webgpu: a ${size}-byte buffer exceeds the device's maxBufferSize ${this.device.limits.maxBufferSize}`);
    }
    const b = this.device.createBuffer({ size, usage: this.usage, label: `${this.label}#${this.made}` });
    this.made++;
    this.owned.add(b);
    this.live += b.size;
    return b;
  }

  /** Returns `b` for reuse (commands already submitted that use it still complete first: queue order). */
  release(b: GPUBuffer): void {
    if (!this.owned.has(b) || this.idleSet.has(b)) return;
    this.idleSet.add(b);
    this.live -= b.size;
    this.idle += b.size;
    (this.free.get(b.size) ?? this.free.set(b.size, []).get(b.size)!).push(b);
  }

  /** Destroys the free buffers (keeps live ones). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) { this.owned.delete(b); b.destroy(); }
    this.free.clear();
    this.idleSet.clear();
    this.idle = 0;
  }

  /** Destroys every buffer the pool created, live or free. */
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.clear();
    this.free.clear();
    this.idleSet.clear();
    this.live = 0;
    this.idle = 0;
  }

  /** Current accounting. */
  stats(): PoolStats {
    return { liveBytes: this.live, freeBytes: this.idle, totalBytes: this.live + this.idle, created: this.made };
  }
}

/** The pool for readback staging buffers (`MAP_READ | COPY_DST`). */
export function readbackPool(device: GPUDevice): GpuBufferPool {
  return new GpuBufferPool(device, READBACK_USAGE, 'optiflow-readback');
}

/**
 * `t`'s elements as the bytes of GPU dtype `dtype`: float32 ↔ float16 converted, int64/uint64
 * narrowed to int32 (clamped to its range: Slice's INT64_MAX ends stay meaningful), bool to 0/1.
 * @throws OptiflowError `dtype_mismatch` for strings and dtypes with no conversion
 */
export function toGpuBytes(t: TensorData, dtype: GpuDType): Uint8Array {
  const d = t.data;
  if (Array.isArray(d)) throw new OptiflowError('dtype_mismatch', `webgpu: a ${t.type} tensor cannot go to the GPU`);
  let out: ArrayBufferView;
  if (dtype === 'float32') {
    if (t.type === 'float32') out = d as Float32Array;
    else if (t.type === 'float16') out = halfArrayToFloat32(d as Uint16Array);
    else out = Float32Array.from(d as ArrayLike<number | bigint>, Number);
  } else if (dtype === 'float16') {
    if (t.type === 'float16') out = d as Uint16Array;
    else out = float32ArrayToHalf(Array.from(d as ArrayLike<number | bigint>, Number));
  } else {
    const lo = dtype === 'int32' ? -2147483648 : 0;
    const hi = dtype === 'int32' ? 2147483647 : 4294967295;
    const clamp = (v: number | bigint): number => Math.min(hi, Math.max(lo, Math.trunc(Number(v))));
    if ((dtype === 'int32' && t.type === 'int32') || (dtype === 'uint32' && t.type === 'uint32')) out = d as Int32Array;
    else if (dtype === 'int32') out = Int32Array.from(d as ArrayLike<number | bigint>, clamp);
    else out = Uint32Array.from(d as ArrayLike<number | bigint>, clamp);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Uploads `t` into a new buffer from `pool` (as `dtype`, default the GPU dtype of `t.type`).
 * @throws OptiflowError `dtype_mismatch` when `t` has no GPU dtype
 */
export function uploadTensor(pool: GpuBufferPool, t: TensorData, dtype?: GpuDType): GpuTensor {
  const gt = dtype ?? gpuDTypeOf(t.type) ?? (t.type === 'int64' || t.type === 'bool' ? 'int32' : undefined);
  if (!gt) throw new OptiflowError('dtype_mismatch', `webgpu: no GPU dtype for ${t.type}`);
  const bytes = toGpuBytes(t, gt);
  const buffer = pool.acquire(tensorBytes(t.dims, gt));
  writePadded(pool.device.queue, buffer, bytes);
  return { buffer, offset: 0, dims: [...t.dims], dtype: gt };
}

/** `queue.writeBuffer` for any byte length (padding to a multiple of 4 with zeros). */
export function writePadded(queue: GPUQueue, buffer: GPUBuffer, bytes: Uint8Array, offset = 0): void {
  if (bytes.byteLength === 0) return;
  if (bytes.byteLength % 4 === 0) { queue.writeBuffer(buffer, offset, bytes.buffer, bytes.byteOffset, bytes.byteLength); return; }
  const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  padded.set(bytes);
  queue.writeBuffer(buffer, offset, padded);
}

/**
 * Converts GPU bytes (a mapped range copy) of `dtype` to a tensor of ONNX dtype `type`.
 * @throws OptiflowError `dtype_mismatch` when there is no conversion
 */
export function fromGpuBytes(bytes: ArrayBuffer, dtype: GpuDType, type: DType, dims: readonly number[]): TensorData {
  const n = sizeOf(dims);
  let src: Float32Array | Uint16Array | Int32Array | Uint32Array;
  if (dtype === 'float32') src = new Float32Array(bytes, 0, n);
  else if (dtype === 'float16') src = new Uint16Array(bytes, 0, n);
  else if (dtype === 'int32') src = new Int32Array(bytes, 0, n);
  else src = new Uint32Array(bytes, 0, n);
  const same = (type === 'float32' && dtype === 'float32') || (type === 'float16' && dtype === 'float16')
    || (type === 'int32' && dtype === 'int32') || (type === 'uint32' && dtype === 'uint32');
  if (same) return { type, dims: [...dims], data: src.slice() };
  if (type === 'float32' && dtype === 'float16') return { type, dims: [...dims], data: halfArrayToFloat32(src as Uint16Array) };
  if (type === 'float16' && dtype === 'float32') return { type, dims: [...dims], data: float32ArrayToHalf(src) };
  if (type === 'int64') return { type, dims: [...dims], data: BigInt64Array.from(src as Int32Array, (v) => BigInt(v)) };
  if (type === 'bool') return { type, dims: [...dims], data: Uint8Array.from(src as Uint32Array, (v) => (v ? 1 : 0)) };
  throw new OptiflowError('dtype_mismatch', `webgpu: cannot read a GPU ${dtype} tensor back as ${type}`);
}

/**
 * Reads tensors back with one `mapAsync` each, after copying them into staging buffers in one
 * submission (the caller's command buffer `before`, when given, is submitted first in the same call).
 * @returns one TensorData per request, in order
 */
export async function readTensors(device: GPUDevice, staging: GpuBufferPool, requests: readonly { t: GpuTensor; type: DType }[],
  before?: GPUCommandBuffer): Promise<TensorData[]> {
  const enc = device.createCommandEncoder({ label: 'optiflow-readback' });
  const bufs = requests.map(({ t }) => {
    const size = tensorBytes(t.dims, t.dtype);
    const b = staging.acquire(size);
    enc.copyBufferToBuffer(t.buffer, t.offset, b, 0, size);
    return b;
  });
  device.queue.submit(before ? [before, enc.finish()] : [enc.finish()]);
  try {
    await gpuAwait(Promise.all(bufs.map((b) => b.mapAsync(1 /* GPUMapMode.READ */))));
    return requests.map(({ t, type }, i) => {
      const b = bufs[i]!;
      const copy = b.getMappedRange(0, tensorBytes(t.dims, t.dtype)).slice(0);
      b.unmap();
      return fromGpuBytes(copy, t.dtype, type, t.dims);
    });
  } finally {
    for (const b of bufs) {
      if (b.mapState === 'mapped') b.unmap();
      staging.release(b);
    }
  }
}
