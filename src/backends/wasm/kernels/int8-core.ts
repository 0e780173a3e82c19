/**
 * JavaScript side of the `wasm` backend's int8 GEMM (assembly/kernels/int8-gemm.ts): copying
 * uint8/int8 tensors into wasm memory, packing operands (zero points subtracted, widened to int16,
 * K in pairs), the requantization epilogue's per-channel tables and the parallel split of
 * `int8_gemm`. QLinearConv and QuantizeLinear write runtime-owned 8-bit tensors (`rt.output(dims,
 * type)`) and read owned inputs zero-copy (`rt.inputBytes`); QLinearMatMul still copies out.
 * Source: ONNX QLinearMatMul / QLinearConv / MatMulInteger / ConvInteger spec.
 * @module
 */
import type { DType, TensorStorage } from '../../../ir/dtype.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import type { Support, SupportQuery } from '../../backend.js';
import type { Scratch, WasmRuntime } from '../runtime.js';

/** Output modes of `int8_gemm`. */
export const OUT_U8 = 0;
export const OUT_I8 = 1;
export const OUT_I32 = 2;

/** The int8 micro-tile of `rt`'s module. */
export function int8Tile(rt: WasmRuntime): { mr: number; nr: number } {
  return { mr: Number(rt.exports.int8_mr!()), nr: Number(rt.exports.int8_nr!()) };
}

/** Bytes of a packed A (M×K) or B (K×N): `strips(rows)·strip·ceil(K/2)·4`. */
export function int8PackedBytes(rt: WasmRuntime, side: 'a' | 'b', rowsOrCols: number, k: number): number {
  const t = side === 'a' ? int8Tile(rt).mr : int8Tile(rt).nr;
  return Math.max(4, Math.ceil(rowsOrCols / t) * t * Math.ceil(k / 2) * 4);
}

/** Whether a tensor holds int8 (signed) rather than uint8 values. */
export function isSigned(t: TensorData): boolean {
  return t.type === 'int8';
}

/** Copies 8-bit tensor data into `s` (or a permanent allocation when `s` is undefined). */
export function bytesIn(rt: WasmRuntime, s: Scratch | undefined, data: TensorStorage): number {
  const src = data as Uint8Array | Int8Array;
  const p = s ? s.alloc(Math.max(4, src.length)) : rt.alloc(Math.max(4, src.length));
  new Uint8Array(rt.memory.buffer, p, src.length).set(new Uint8Array(src.buffer, src.byteOffset, src.length));
  return p;
}

/** Numbers of a small tensor (scales, zero points, bias). */
export function numbersOf(t: TensorData | undefined): number[] {
  if (!t) return [];
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** An int32 table in wasm memory (`s` scratch, or permanent when undefined); 0 when `values` is empty. */
export function int32Table(rt: WasmRuntime, s: Scratch | undefined, values: readonly number[], len = values.length): number {
  if (values.length === 0) return 0;
  const p = s ? s.alloc(Math.max(4, len * 4)) : rt.alloc(Math.max(4, len * 4));
  const v = new Int32Array(rt.memory.buffer, p, len);
  for (let i = 0; i < len; i++) v[i] = values[values.length === 1 ? 0 : i]!;
  return p;
}

/** A float64 table of `len` values (broadcast from one), padded with zeros to a multiple of `pad`. */
export function f64Table(rt: WasmRuntime, s: Scratch | undefined, values: readonly number[], len: number, pad: number): number {
  const n = Math.ceil(len / pad) * pad;
  const p = s ? s.alloc(Math.max(8, n * 8)) : rt.alloc(Math.max(8, n * 8));
  const v = new Float64Array(rt.memory.buffer, p, n);
  v.fill(0);
  for (let i = 0; i < len; i++) v[i] = values[values.length === 1 ? 0 : i]!;
  return p;
}

/**
 * The requantization multiplier of channel c as the js kernels and onnxruntime compute it in
 * float32: fround(fround(sx·sw[c]) / sy).
 */
export function requantScales(sx: number, sw: readonly number[], sy: number, channels: number): number[] {
  return Array.from({ length: channels }, (_, c) => Math.fround(Math.fround(sx * sw[sw.length === 1 ? 0 : c]!) / sy));
}

/** Packs A (M×K, byte view element (i, p) at src + i·rs + p·cs) into `dst`. */
export function int8PackA(rt: WasmRuntime, src: number, rs: number, cs: number, m: number, k: number, signed: boolean,
  zpPtr: number, zp: number, dst: number): void {
  rt.parallelFor('int8_pack_a', [src, rs, cs, m, k, signed ? 1 : 0, zpPtr, zp, dst], Math.ceil(m / int8Tile(rt).mr), m * k);
}

/** Packs B (K×N, element (p, j) at src + p·rs + j·cs) into `dst`. */
export function int8PackB(rt: WasmRuntime, src: number, rs: number, cs: number, k: number, n: number, signed: boolean,
  zpPtr: number, zp: number, dst: number): void {
  rt.parallelFor('int8_pack_b', [src, rs, cs, k, n, signed ? 1 : 0, zpPtr, zp, dst], Math.ceil(n / int8Tile(rt).nr), k * n);
}

/** The epilogue of one `int8_gemm` call. */
export interface Int8Epilogue {
  /** OUT_U8, OUT_I8 or OUT_I32. */
  readonly mode: number;
  /** int32 bias per channel, or 0. */
  readonly bias: number;
  /** float64 multiplier per channel (padded to the tile width when per column), or 0 for OUT_I32. */
  readonly scale: number;
  /** Channels are rows (conv: output channels) rather than columns (matmul). */
  readonly byRow: boolean;
  /** Output zero point (8-bit results saturate to the output type's range). */
  readonly zy: number;
}

/** C (M×N, row stride ldc elements) = epilogue(packedA · packedB). */
export function int8Gemm(rt: WasmRuntime, ap: number, bp: number, c: number, ldc: number, m: number, n: number, k: number,
  e: Int8Epilogue): void {
  if (m === 0 || n === 0) return;
  const { mr, nr } = int8Tile(rt);
  const rows = Math.ceil(m / mr); const cols = Math.ceil(n / nr);
  const byCols = cols >= rows ? 1 : 0;
  rt.parallelFor('int8_gemm', [ap, bp, c, ldc, m, n, k, e.mode, e.bias, e.scale, e.zy,
    byCols | (e.byRow ? 2 : 0)], byCols ? cols : rows, m * n * Math.max(k, 1));
}

/** A copy of `bytes` elements of `type` (uint8, int8 or int32) out of wasm memory. */
export function copyOut(rt: WasmRuntime, type: DType, ptr: number, count: number): TensorStorage {
  if (type === 'int32') return new Int32Array(rt.memory.buffer, ptr, count).slice();
  if (type === 'int8') return new Int8Array(rt.memory.buffer, ptr, count).slice();
  return new Uint8Array(rt.memory.buffer, ptr, count).slice();
}

/**
 * Whether a weight input `w` can be packed at `create`: constant, with its zero point `zp`
 * constant or omitted (the zero point is subtracted while packing).
 */
export function packable(node: { readonly inputs: readonly string[] }, constants: readonly (TensorData | undefined)[], w: number, zp: number): boolean {
  return constants[w] !== undefined && (constants[zp] !== undefined || !node.inputs[zp]);
}

/** The 8-bit dtypes. */
const INT8S = ['uint8', 'int8'];

/** Dtype and rank checks shared by the int8 kernels. */
export function int8Support(q: SupportQuery, int8Inputs: readonly number[], rank: 'matmul' | 'conv'): Support {
  for (const i of int8Inputs) {
    const inp = q.inputs[i];
    if (inp && !INT8S.includes(inp.dtype)) return { ok: false, reason: `wasm ${q.node.opType} input ${i} must be uint8 or int8, got ${inp.dtype}` };
  }
  // Scales (and float biases) are read as float32; float16/bfloat16/double scales go to js.
  const bad = q.inputs.find((inp) => inp !== undefined && ((inp.dtype.startsWith('float') && inp.dtype !== 'float32') || inp.dtype === 'bfloat16'));
  if (bad) return { ok: false, reason: `wasm ${q.node.opType} reads float32 scales only, got ${bad.dtype}` };
  const x = q.inputs[0]?.shape;
  if (rank === 'conv' && x && x.length !== 4) return { ok: false, reason: `wasm ${q.node.opType} runs 2-D convolutions only` };
  const b = q.inputs[rank === 'matmul' && q.node.opType === 'QLinearMatMul' ? 3 : 1]?.shape;
  if (rank === 'matmul' && b && b.length !== 2) return { ok: false, reason: `wasm ${q.node.opType} needs a 2-D B` };
  if (rank === 'matmul' && x && x.length < 2) return { ok: false, reason: `wasm ${q.node.opType} needs A of rank >= 2` };
  return { ok: true };
}

