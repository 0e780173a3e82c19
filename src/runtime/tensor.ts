/**
 * The public `Tensor`, shaped like onnxruntime-web's: `type`, `data`, `dims`, `size`, and for
 * GPU-resident tensors `location`, `gpuBuffer`, `getData()`, `dispose()` (`Tensor.fromGpuBuffer`).
 * @module
 */
import type { GpuBufferValue } from '../backends/backend.js';
import type { DType, TensorStorage } from '../ir/dtype.js';
import { OptiflowError } from '../ir/errors.js';
import { sizeOf, type TensorData } from '../ir/tensor-data.js';

/** A typed array or string array accepted as tensor data. */
export type TensorDataInput = TensorStorage | readonly number[] | readonly boolean[];

/** Where a tensor's data is (onnxruntime-web's `Tensor.DataLocation`, the subset optiflow uses). */
export type TensorLocation = 'cpu' | 'gpu-buffer';

/** Options of {@link Tensor.fromGpuBuffer} (onnxruntime-web's `GpuBufferConstructorParameters`). */
export interface GpuBufferTensorOptions {
  /** Element type of the buffer's contents: float32, float16, int32 or uint32 (densely packed). */
  readonly dataType: DType;
  /** Dimensions. */
  readonly dims: readonly number[];
  /** Copies the buffer's contents to the CPU (needed by `getData()` and by CPU readers). */
  readonly download?: () => Promise<TensorStorage>;
  /** Frees the buffer (`dispose()` calls it once). */
  readonly dispose?: () => void;
  /** The `GPUDevice` that owns the buffer, when known (a backend then binds it only on that device). */
  readonly device?: unknown;
}

/**
 * A dense tensor: `dims` (row-major, outermost first) and storage `data` whose element type is
 * `type` (see {@link DType} for the storage of each type: `int64` is a `BigInt64Array`, `bool` a
 * `Uint8Array`, `float16` raw bits in a `Uint16Array`, `string` a `string[]`).
 *
 * A tensor made by {@link Tensor.fromGpuBuffer} (or returned by a session with
 * `preferredOutputLocation: 'gpu-buffer'`) has `location` `gpu-buffer`: its `data` throws until
 * `await getData()` has downloaded it.
 */
export class Tensor implements TensorData {
  /** Element type. */
  readonly type: DType;
  /** Dimensions. */
  readonly dims: readonly number[];
  /**
   * Storage, row-major (an own enumerable property, so that `{ ...tensor }` keeps it). For a GPU
   * tensor, reading it throws OptiflowError `invalid_argument` until `await getData()`; also after
   * `dispose()`.
   */
  declare readonly data: TensorStorage;

  /**
   * `new Tensor(type, data, dims?)` or `new Tensor(data, dims?)` (type inferred from the array:
   * Float32Array → float32, BigInt64Array → int64, string[] → string, ...). `dims` defaults to
   * `[data.length]`. Plain number arrays are converted to the storage of `type`.
   * @throws OptiflowError `invalid_argument` when `data.length` does not match `dims`, a dim is
   *   negative or fractional, or the array type does not fit `type`.
   */
  constructor(type: DType, data: TensorDataInput, dims?: readonly number[]);
  constructor(data: TensorStorage, dims?: readonly number[]);
  constructor(a: DType | TensorStorage, b?: TensorDataInput | readonly number[], c?: readonly number[]) {
    let type: DType;
    let data: TensorDataInput;
    let dims: readonly number[] | undefined;
    if (typeof a === 'string') { type = a; data = b as TensorDataInput; dims = c; } else {
      data = a; dims = b as readonly number[] | undefined; type = inferType(a);
    }
    if (data === undefined || data === null) throw new OptiflowError('invalid_argument', 'Tensor data is missing');
    const storage = toStorage(type, data);
    const shape = dims ? [...dims] : [storage.length / (type.startsWith('complex') ? 2 : 1)];
    checkDims(shape);
    const n = sizeOf(shape) * (type.startsWith('complex') ? 2 : 1);
    if (storage.length !== n) {
      throw new OptiflowError('invalid_argument', `Tensor data has ${storage.length} elements; dims [${shape.join(',')}] need ${n}`);
    }
    this.type = type;
    this.dims = Object.freeze(shape);
    setData(this, storage);
  }

  /** Number of elements. */
  get size(): number { return sizeOf(this.dims); }

  /** Where the data is: `cpu`, or `gpu-buffer` until {@link Tensor.getData} downloads it. */
  get location(): TensorLocation { return GPU.get(this)?.location ?? 'cpu'; }

  /**
   * The `GPUBuffer` holding the data.
   * @throws OptiflowError `invalid_argument` for tensors not created from a GPU buffer, or disposed
   */
  get gpuBuffer(): unknown {
    const g = GPU.get(this);
    if (!g || g.disposed) throw new OptiflowError('invalid_argument', 'the tensor data is not in a GPU buffer');
    return g.buffer;
  }

  /** The `GPUDevice` owning {@link Tensor.gpuBuffer}, when known. */
  get gpuDevice(): unknown { return GPU.get(this)?.device; }

  /**
   * Wraps a `GPUBuffer` (no copy): onnxruntime-web's `Tensor.fromGpuBuffer`. The buffer needs
   * `STORAGE` usage to be bound by a WebGPU segment, and `COPY_SRC` for a download.
   * @throws OptiflowError `invalid_argument` for a missing buffer or bad dims
   */
  static fromGpuBuffer(buffer: unknown, options: GpuBufferTensorOptions): Tensor {
    if (!buffer || typeof buffer !== 'object') throw new OptiflowError('invalid_argument', 'Tensor.fromGpuBuffer needs a GPUBuffer');
    const dims = [...(options?.dims ?? [])];
    checkDims(dims);
    const t = Object.create(Tensor.prototype) as { -readonly [K in keyof Tensor]: Tensor[K] };
    t.type = options.dataType;
    t.dims = Object.freeze(dims);
    GPU.set(t as Tensor, { buffer, device: options.device, download: options.download, dispose: options.dispose, location: 'gpu-buffer', downloading: false, disposed: false });
    setData(t as Tensor, undefined, 'the tensor data is in a GPU buffer; use await tensor.getData() to download it');
    return t as Tensor;
  }

  /**
   * The data, downloading it first for a GPU tensor (after which `location` is `cpu` and `data`
   * readable; the GPU buffer stays valid unless `releaseData`).
   * @param releaseData dispose the GPU buffer after the download
   * @throws OptiflowError `invalid_argument` when a GPU tensor has no downloader, is already being
   *   downloaded, or was disposed
   */
  async getData(releaseData = false): Promise<TensorStorage> {
    const g = GPU.get(this);
    if (!g || g.location === 'cpu') return this.data;
    if (g.downloading) throw new OptiflowError('invalid_argument', 'the tensor is already being downloaded');
    g.downloading = true;
    try {
      const data = await this.download();
      setData(this, data);
      g.location = 'cpu';
      if (releaseData) releaseGpu(g);
      return data;
    } finally {
      g.downloading = false;
    }
  }

  /**
   * Copies a GPU tensor's data to the CPU without changing the tensor (the data itself for CPU
   * tensors).
   * @throws OptiflowError `invalid_argument` without a download function, or after dispose
   */
  async download(): Promise<TensorStorage> {
    const g = GPU.get(this);
    if (!g || g.location === 'cpu') return this.data;
    if (g.disposed) throw new OptiflowError('invalid_argument', 'the tensor was disposed');
    if (!g.download) throw new OptiflowError('invalid_argument', 'the GPU tensor was created without a download function');
    return toStorage(this.type, await g.download());
  }

  /** Frees the data: the GPU buffer's `dispose` (once) for GPU tensors; `data` throws afterwards. */
  dispose(): void {
    const g = GPU.get(this);
    if (g) releaseGpu(g);
    setData(this, undefined, 'the tensor was disposed');
  }

  /** Wraps a tensor record (no copy). */
  static from(t: TensorData): Tensor {
    return t instanceof Tensor ? t : new Tensor(t.type, t.data, t.dims);
  }
}

/** The GPU side of tensors made by {@link Tensor.fromGpuBuffer}. */
interface GpuState {
  readonly buffer: unknown;
  readonly device?: unknown;
  readonly download?: () => Promise<TensorStorage>;
  readonly dispose?: () => void;
  location: TensorLocation;
  downloading: boolean;
  disposed: boolean;
}

const GPU = new WeakMap<Tensor, GpuState>();

function releaseGpu(g: GpuState): void {
  if (g.disposed) return;
  g.disposed = true;
  g.dispose?.();
}

/** Defines `data` as an own enumerable property: the storage, or a getter throwing `why`. */
function setData(t: Tensor, storage: TensorStorage | undefined, why = ''): void {
  Object.defineProperty(t, 'data', storage !== undefined
    ? { value: storage, enumerable: true, configurable: true, writable: false }
    : { get: () => { throw new OptiflowError('invalid_argument', why); }, enumerable: true, configurable: true });
}

function checkDims(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new OptiflowError('invalid_argument', `Tensor dims [${shape.join(',')}] must be non-negative integers`);
  }
}

/** `t` as a {@link GpuBufferValue} when its data is still in a GPU buffer. */
export function asGpuBufferValue(t: Tensor): GpuBufferValue | undefined {
  return t.location === 'gpu-buffer' ? (t as unknown as GpuBufferValue) : undefined;
}

function inferType(d: TensorStorage): DType {
  if (d instanceof Float32Array) return 'float32';
  if (d instanceof Float64Array) return 'float64';
  if (d instanceof Int32Array) return 'int32';
  if (d instanceof BigInt64Array) return 'int64';
  if (d instanceof Uint8Array) return 'uint8';
  if (d instanceof Int8Array) return 'int8';
  if (d instanceof Uint16Array) return 'uint16';
  if (d instanceof Int16Array) return 'int16';
  if (d instanceof Uint32Array) return 'uint32';
  if (d instanceof BigUint64Array) return 'uint64';
  if (Array.isArray(d)) return 'string';
  throw new OptiflowError('invalid_argument', 'cannot infer the tensor type from its data; pass the type explicitly');
}

const STORAGE: Partial<Record<DType, new (n: ArrayLike<number>) => TensorStorage>> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, bool: Uint8Array, float16: Uint16Array,
  bfloat16: Uint16Array, int4: Int8Array, uint4: Uint8Array, int2: Int8Array, uint2: Uint8Array,
};

function toStorage(type: DType, data: TensorDataInput): TensorStorage {
  if (type === 'string') {
    if (!Array.isArray(data) || data.some((x) => typeof x !== 'string')) {
      throw new OptiflowError('invalid_argument', 'string tensors take a string[]');
    }
    return data as string[];
  }
  if (type === 'int64' || type === 'uint64') {
    const C = type === 'int64' ? BigInt64Array : BigUint64Array;
    if (data instanceof C) return data;
    if (Array.isArray(data)) return C.from((data as unknown as (number | bigint)[]).map((x) => BigInt(x)));
    throw new OptiflowError('invalid_argument', `${type} tensors take a ${C.name} or a number[]`);
  }
  const C = STORAGE[type];
  if (!C) {
    if (data instanceof Uint8Array) return data as Uint8Array; // float8 / float4 raw bits
    throw new OptiflowError('invalid_argument', `${type} tensors take a Uint8Array of raw bits`);
  }
  if (data instanceof C) return data as TensorStorage;
  if (Array.isArray(data)) return new C((data as unknown as (number | boolean)[]).map(Number));
  throw new OptiflowError('invalid_argument', `${type} tensors take a ${C.name}, got ${data.constructor.name}`);
}
