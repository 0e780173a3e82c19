/**
 * The `wasm` backend's runtime: one shared `WebAssembly.Memory`, the module instance, a heap
 * allocator over that memory (managed from JavaScript; kernels only see byte pointers), tensors
 * that live in the memory as typed-array views (zero-copy between wasm kernels), and the parallel
 * loop that kernels use for intra-op threads.
 * @module
 */
import type { TensorData } from '../../ir/tensor-data.js';
import { sizeOf } from '../../ir/tensor-data.js';
import { OptiflowError } from '../../ir/errors.js';

/** 64 KiB, the WebAssembly page. */
const PAGE = 65536;
/** Allocation alignment in bytes (a cache line; SIMD loads want 16). */
const ALIGN = 64;

/** The exported kernel functions, by name (numbers in, nothing or a number out). */
export type KernelExports = Record<string, (...args: number[]) => number | void>;

/**
 * Runs `exports[name](...args, start, end)` over [0, n) split into ranges; the thread pool
 * implements it across workers, the fallback runs the whole range on the calling thread.
 * @param cost estimated work of the whole call (multiply-adds or element operations); calls
 *   below the pool's threshold run on one thread
 */
export type ParallelFor = (name: string, args: readonly number[], n: number, cost: number) => void;

/**
 * First-fit free-list allocator over byte offsets [base, limit), with coalescing.
 * A pure data structure (no memory access): `grow` extends the limit.
 */
export class HeapAllocator {
  /** Free blocks sorted by offset: [offset, size]. */
  private free: [number, number][] = [];
  private readonly sizes = new Map<number, number>();
  /** Bytes in use. */
  used = 0;
  /** Most bytes in use at once. */
  peak = 0;

  constructor(base: number, private limit: number) {
    const b = align(base);
    if (limit > b) this.free.push([b, limit - b]);
  }

  /** Allocates `bytes` (rounded up to the alignment); `undefined` when no block fits. */
  alloc(bytes: number): number | undefined {
    const size = Math.max(ALIGN, align(bytes));
    for (let i = 0; i < this.free.length; i++) {
      const blk = this.free[i]!;
      if (blk[1] < size) continue;
      const off = blk[0];
      if (blk[1] === size) this.free.splice(i, 1); else { blk[0] += size; blk[1] -= size; }
      this.sizes.set(off, size);
      this.used += size;
      this.peak = Math.max(this.peak, this.used);
      return off;
    }
    return undefined;
  }

  /** Frees a block returned by {@link alloc}. @throws Error on a pointer not allocated here. */
  release(off: number): void {
    const size = this.sizes.get(off);
    if (size === undefined) throw new Error(`wasm heap: free of unknown pointer ${off}`);
    this.sizes.delete(off);
    this.used -= size;
    let i = 0;
    while (i < this.free.length && this.free[i]![0] < off) i++;
    this.free.splice(i, 0, [off, size]);
    // Coalesce with the next, then the previous block.
    const cur = this.free[i]!;
    const next = this.free[i + 1];
    if (next && cur[0] + cur[1] === next[0]) { cur[1] += next[1]; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev[0] + prev[1] === cur[0]) { prev[1] += cur[1]; this.free.splice(i, 1); }
  }

  /** Adds [oldLimit, newLimit) to the free space. */
  grow(newLimit: number): void {
    if (newLimit <= this.limit) return;
    const last = this.free[this.free.length - 1];
    if (last && last[0] + last[1] === this.limit) last[1] += newLimit - this.limit;
    else this.free.push([this.limit, newLimit - this.limit]);
    this.limit = newLimit;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** Allocations made for one kernel call and freed when it ends (inputs copied in, workspace). */
export class Scratch {
  private readonly ptrs: number[] = [];
  constructor(private readonly rt: WasmRuntime) {}
  /** Allocates `bytes` freed by {@link Scratch.done}. */
  alloc(bytes: number): number {
    const p = this.rt.alloc(bytes);
    this.ptrs.push(p);
    return p;
  }
  /** Frees everything allocated through this scratch. */
  done(): void {
    for (const p of this.ptrs.splice(0)) this.rt.free(p);
  }
}

/** Element types of tensors the runtime can own in wasm memory. */
export type OwnedType = 'float32' | 'uint8' | 'int8' | 'int32';
type OwnedData = Float32Array | Uint8Array | Int8Array | Int32Array;
const BYTES: Record<OwnedType, number> = { float32: 4, uint8: 1, int8: 1, int32: 4 };

/** A typed view of `n` elements of `type` at byte pointer `ptr`. */
function viewOf(memory: WebAssembly.Memory, type: OwnedType, ptr: number, n: number): OwnedData {
  switch (type) {
    case 'uint8': return new Uint8Array(memory.buffer, ptr, n);
    case 'int8': return new Int8Array(memory.buffer, ptr, n);
    case 'int32': return new Int32Array(memory.buffer, ptr, n);
    default: return new Float32Array(memory.buffer, ptr, n);
  }
}

/** The instance, memory, heap and tensor helpers of one `wasm` backend. */
export class WasmRuntime {
  readonly exports: KernelExports;
  private readonly heap: HeapAllocator;
  /** Tensor data views this runtime owns → their allocation (refcounted: views may alias). */
  private readonly owned = new WeakMap<object, { ptr: number }>();
  private readonly refs = new Map<number, number>();
  /** Tensors made by `output`/`alias` during the current kernel call (see {@link trackOutputs}). */
  private tracked: TensorData[] | undefined;
  /** The parallel loop; the thread pool replaces the single-thread default. */
  parallelFor: ParallelFor;

  constructor(readonly memory: WebAssembly.Memory, instance: WebAssembly.Instance, readonly variant: 'relaxed' | 'simd') {
    this.exports = instance.exports as unknown as KernelExports;
    const base = Number(this.exports.heap_base!());
    this.heap = new HeapAllocator(base, memory.buffer.byteLength);
    this.parallelFor = (name, args, n) => { if (n > 0) this.exports[name]!(...args, 0, n); };
  }

  /**
   * Creates the memory and instance for `module`.
   * @param initialBytes initial memory size (grown on demand up to 4 GiB)
   */
  static create(module: WebAssembly.Module, variant: 'relaxed' | 'simd', initialBytes = 64 << 20): WasmRuntime {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: 65536, shared: true });
    const instance = new WebAssembly.Instance(module, { env: { memory, abort: () => { throw new Error('wasm abort'); } } });
    return new WasmRuntime(memory, instance, variant);
  }

  /** Bytes in use on the heap now, and the peak since creation. */
  get heapBytes(): { used: number; peak: number } {
    return { used: this.heap.used, peak: this.heap.peak };
  }

  /**
   * Allocates `bytes` on the heap, growing the memory when needed.
   * @throws OptiflowError `runtime_error` when the memory cannot grow (4 GiB limit).
   */
  alloc(bytes: number): number {
    let p = this.heap.alloc(bytes);
    if (p !== undefined) return p;
    const have = this.memory.buffer.byteLength;
    const pages = Math.max(Math.ceil((bytes + ALIGN) / PAGE), Math.ceil(have / PAGE / 2));
    try {
      this.memory.grow(Math.min(pages, 65536 - have / PAGE));
    } catch {
      throw new OptiflowError('runtime_error', `wasm backend: out of memory allocating ${bytes} bytes (heap ${this.heap.used} bytes in use)`);
    }
    this.heap.grow(this.memory.buffer.byteLength);
    p = this.heap.alloc(bytes);
    if (p === undefined) throw new OptiflowError('runtime_error', `wasm backend: out of memory allocating ${bytes} bytes`);
    return p;
  }

  /** Frees a heap allocation. */
  free(ptr: number): void {
    this.heap.release(ptr);
  }

  /** A float32 view of `n` values at byte pointer `ptr` (valid until the memory grows: re-take it). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** The heap pointer of `t`'s data when this runtime owns it. */
  pointerOf(t: TensorData): number | undefined {
    return this.owned.get(t.data)?.ptr;
  }

  /**
   * A pointer to `t`'s float32 data in wasm memory: its own when the runtime owns it (zero copy),
   * otherwise a copy into `scratch`.
   */
  input(t: TensorData, scratch: Scratch): number {
    const own = this.pointerOf(t);
    if (own !== undefined) return own;
    const src = t.data as Float32Array;
    const p = scratch.alloc(src.length * 4);
    this.f32(p, src.length).set(src);
    return p;
  }

  /**
   * Copies constant `t` into a permanent allocation (weights at `create` time).
   * @returns the pointer; free it with {@link WasmRuntime.free} when the session is released
   */
  persist(data: Float32Array): number {
    const p = this.alloc(Math.max(4, data.length * 4));
    this.f32(p, data.length).set(data);
    return p;
  }

  /**
   * Starts recording the tensors {@link output} and {@link alias} make, so a kernel call that
   * throws can hand them back; end with {@link stopTracking}.
   * @returns the list being filled
   */
  trackOutputs(): TensorData[] {
    this.tracked = [];
    return this.tracked;
  }

  /** Stops the recording started by {@link trackOutputs}. */
  stopTracking(list: TensorData[]): void {
    if (this.tracked === list) this.tracked = undefined;
  }

  /**
   * A new tensor of `dims` in wasm memory, owned by this runtime (refcount 1): float32 (default),
   * or uint8 / int8 / int32 (the int8 kernels' outputs, read zero-copy by the next int8 kernel
   * through {@link inputBytes}).
   */
  output(dims: readonly number[], type: OwnedType = 'float32'): { ptr: number; tensor: TensorData } {
    const n = sizeOf(dims);
    const ptr = this.alloc(Math.max(4, n * BYTES[type]));
    const data = viewOf(this.memory, type, ptr, n);
    this.owned.set(data, { ptr });
    this.refs.set(ptr, 1);
    const tensor: TensorData = { type, dims: [...dims], data };
    this.tracked?.push(tensor);
    return { ptr, tensor };
  }

  /**
   * A pointer to 8-bit tensor `t`'s bytes in wasm memory: its own when the runtime owns it (zero
   * copy), otherwise a copy into `scratch`.
   */
  inputBytes(t: TensorData, scratch: Scratch): number {
    const own = this.pointerOf(t);
    if (own !== undefined) return own;
    const src = t.data as Uint8Array | Int8Array;
    const p = scratch.alloc(Math.max(4, src.length));
    new Uint8Array(this.memory.buffer, p, src.length).set(new Uint8Array(src.buffer, src.byteOffset, src.length));
    return p;
  }

  /** A new tensor of `dims` sharing `src`'s data (Reshape-like ops); bumps the refcount. */
  alias(src: TensorData, dims: readonly number[]): TensorData {
    const own = this.owned.get(src.data);
    if (!own) return { type: src.type, dims: [...dims], data: src.data };
    const data = viewOf(this.memory, src.type as OwnedType, own.ptr, sizeOf(dims));
    this.owned.set(data, own);
    this.refs.set(own.ptr, (this.refs.get(own.ptr) ?? 0) + 1);
    const t: TensorData = { type: src.type, dims: [...dims], data };
    this.tracked?.push(t);
    return t;
  }

  /** Drops one reference to `t`'s data; frees it at zero. Not-owned values are ignored. */
  release(t: TensorData): void {
    const own = this.owned.get(t.data);
    if (!own) return;
    this.owned.delete(t.data);
    const r = (this.refs.get(own.ptr) ?? 1) - 1;
    if (r > 0) { this.refs.set(own.ptr, r); return; }
    this.refs.delete(own.ptr);
    this.free(own.ptr);
  }

  /** A copy of `t` in ordinary JavaScript memory when the runtime owns it; `t` itself otherwise. */
  exportTensor(t: TensorData): TensorData {
    if (!this.owned.has(t.data)) return t;
    return { type: t.type, dims: [...t.dims], data: (t.data as OwnedData).slice() };
  }
}
