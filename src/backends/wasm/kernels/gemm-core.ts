/**
 * The `wasm` backend's GEMM core, JavaScript side: packing of operands into the micro-kernel's
 * strip layouts (once at `create` for constant weights, per call otherwise), the fused epilogue
 * (row bias, column bias, residual, activation) and the parallel split of `gemm_f32`
 * (assembly/kernels/gemm.ts) over row or column strips.
 *
 * Layouts: packed A is ceil(M/MR) strips of K×MR floats, packed B ceil(N/NR) strips of K×NR
 * floats (k-major, zero-padded); MR and NR are read from the module (`gemm_mr`, `gemm_nr`).
 * Source: Goto & van de Geijn, "Anatomy of high-performance matrix multiplication" (TOMS 2008).
 * @module
 */
import { OptiflowError } from '../../../ir/errors.js';
import type { Node } from '../../../ir/graph.js';
import { resolveActivation, type FusedActivation } from '../../../ops/optiflow-fused-activation.js';
import type { Scratch, WasmRuntime } from '../runtime.js';

/** Activation codes of assembly/kernels/gemm-epilogue.ts (ACT_*), by fused-activation name. */
export const ACTIVATION_CODES = {
  '': 0, Relu: 1, Clip: 2, Sigmoid: 3, HardSigmoid: 4, HardSwish: 5, LeakyRelu: 6, Tanh: 7, Gelu: 8,
} as const;
/** Code of the tanh form of Gelu (`Gelu` with approximate = 1). */
const GELU_TANH = 9;

/** The activation part of an epilogue: code and up to two parameters. */
export interface ActivationCode {
  readonly act: number;
  readonly p0: number;
  readonly p1: number;
}

/** No activation. */
export const IDENTITY: ActivationCode = { act: 0, p0: 0, p1: 0 };

/** The kernel code of a validated fused activation (see `resolveActivation`). */
export function activationCode(a: FusedActivation): ActivationCode {
  const p = a.params;
  switch (a.kind) {
    case '': return IDENTITY;
    case 'Clip': return { act: ACTIVATION_CODES.Clip, p0: p[0] ?? -Infinity, p1: p[1] ?? Infinity };
    case 'LeakyRelu': return { act: ACTIVATION_CODES.LeakyRelu, p0: p[0] ?? 0.01, p1: 0 };
    case 'HardSigmoid': return { act: ACTIVATION_CODES.HardSigmoid, p0: p[0] ?? 0.2, p1: p[1] ?? 0.5 };
    case 'Gelu': return { act: p[0] === 1 ? GELU_TANH : ACTIVATION_CODES.Gelu, p0: 0, p1: 0 };
    default: return { act: ACTIVATION_CODES[a.kind], p0: 0, p1: 0 };
  }
}

/**
 * The activation of a fused node from its resolved `activation` / `activation_params` attributes.
 * @throws OptiflowError `invalid_attribute` for an unknown activation or bad parameters.
 */
export function fusedActivationCode(node: Node, activation: string, params: readonly number[]): ActivationCode {
  return activationCode(resolveActivation(node, activation, params));
}

/**
 * What `gemm_f32` adds to A·B before storing: per-row bias (M floats), per-column bias (N floats),
 * a residual matrix (row stride `resLd` floats), then the activation. Pointers 0 = absent.
 */
export interface Epilogue extends ActivationCode {
  readonly rowBias: number;
  readonly colBias: number;
  readonly res: number;
  readonly resLd: number;
}

/** An epilogue with only `act` (no bias, no residual). */
export function epilogue(act: ActivationCode = IDENTITY, parts: Partial<Pick<Epilogue, 'rowBias' | 'colBias' | 'res' | 'resLd'>> = {}): Epilogue {
  return { ...act, rowBias: parts.rowBias ?? 0, colBias: parts.colBias ?? 0, res: parts.res ?? 0, resLd: parts.resLd ?? 0 };
}

/** Micro-tile geometry of a module. */
export interface Tile {
  readonly mr: number;
  readonly nr: number;
}

const tiles = new WeakMap<WasmRuntime, Tile>();

/** MR and NR of `rt`'s module. */
export function tileOf(rt: WasmRuntime): Tile {
  let t = tiles.get(rt);
  if (!t) {
    t = { mr: Number(rt.exports.gemm_mr!()), nr: Number(rt.exports.gemm_nr!()) };
    tiles.set(rt, t);
  }
  return t;
}

/** Floats of a packed A of M×K. */
export function packedASize(rt: WasmRuntime, m: number, k: number): number {
  const { mr } = tileOf(rt);
  return Math.ceil(m / mr) * mr * k;
}

/** Floats of a packed B of K×N. */
export function packedBSize(rt: WasmRuntime, k: number, n: number): number {
  const { nr } = tileOf(rt);
  return Math.ceil(n / nr) * nr * k;
}

/** A strided matrix view in wasm memory: element (i, j) at `ptr + (i·rs + j·cs)·4`. */
export interface MatView {
  readonly ptr: number;
  readonly rs: number;
  readonly cs: number;
}

/** Packs op(A) (M×K view) into `dst` (packedASize floats), scaled by `alpha`. */
export function packA(rt: WasmRuntime, a: MatView, m: number, k: number, dst: number, alpha = 1): void {
  const strips = Math.ceil(m / tileOf(rt).mr);
  rt.parallelFor('gemm_pack_a_f32', [a.ptr, a.rs, a.cs, m, k, alpha, dst], strips, m * k);
}

/** Packs op(B) (K×N view) into `dst` (packedBSize floats). */
export function packB(rt: WasmRuntime, b: MatView, k: number, n: number, dst: number): void {
  const strips = Math.ceil(n / tileOf(rt).nr);
  rt.parallelFor('gemm_pack_b_f32', [b.ptr, b.rs, b.cs, k, n, dst], strips, k * n);
}

/**
 * C (M×N, row stride ldc floats) = epi(packedA · packedB). Splits the work over whichever of
 * row strips or column strips is more numerous.
 * @param transC store C (and read the residual) column-major: element (i, j) at j·ldc + i
 */
export function gemmPacked(rt: WasmRuntime, ap: number, bp: number, c: number, ldc: number,
  m: number, n: number, k: number, e: Epilogue, transC = false): void {
  if (m === 0 || n === 0) return;
  const { mr, nr } = tileOf(rt);
  const rows = Math.ceil(m / mr); const cols = Math.ceil(n / nr);
  const byCols = cols >= rows ? 1 : 0;
  rt.parallelFor('gemm_f32', [ap, bp, c, ldc, m, n, k, e.act, e.p0, e.p1, e.rowBias, e.colBias, e.res, e.resLd,
    byCols | (transC ? 2 : 0)], byCols ? cols : rows, m * n * Math.max(k, 1));
}

/**
 * Whether C = A·B (M×N) wastes less of the micro-kernel's padded tiles computed as Cᵀ = Bᵀ·Aᵀ
 * (rows and columns swapped): true when the swapped padded work is below 90% of the direct one.
 */
export function preferTransposed(rt: WasmRuntime, m: number, n: number): boolean {
  const { mr, nr } = tileOf(rt);
  const pad = (x: number, t: number): number => Math.ceil(x / t) * t;
  return pad(n, mr) * pad(m, nr) < 0.9 * pad(m, mr) * pad(n, nr);
}

/** A constant operand packed once at `create` (free with {@link freePacked}). */
export interface Packed {
  readonly ptr: number;
}

/**
 * Packs a constant float32 matrix (JavaScript memory) as the A or B operand of later calls.
 * @param side 'a' packs op(src) as M×K (`rows` = M, `cols` = K), 'b' as K×N (`rows` = K, `cols` = N)
 * @param trans the matrix is stored transposed (op(src) = srcᵀ, stored cols×rows)
 */
export function packConstant(rt: WasmRuntime, side: 'a' | 'b', data: Float32Array, offset: number, rows: number, cols: number,
  trans: boolean, alpha = 1): Packed {
  const n = rows * cols;
  const raw = rt.alloc(Math.max(4, n * 4));
  try {
    rt.f32(raw, n).set(data.subarray(offset, offset + n));
    const view: MatView = trans ? { ptr: raw, rs: 1, cs: rows } : { ptr: raw, rs: cols, cs: 1 };
    const size = side === 'a' ? packedASize(rt, rows, cols) : packedBSize(rt, rows, cols);
    const ptr = rt.alloc(Math.max(4, size * 4));
    if (side === 'a') packA(rt, view, rows, cols, ptr, alpha); else packB(rt, view, rows, cols, ptr);
    return { ptr };
  } finally {
    rt.free(raw);
  }
}

/** Frees a {@link Packed} operand. */
export function freePacked(rt: WasmRuntime, p: Packed | undefined): void {
  if (p) rt.free(p.ptr);
}

/** Allocates `floats` floats of scratch. */
export function scratchFloats(s: Scratch, floats: number): number {
  return s.alloc(Math.max(4, floats * 4));
}

/**
 * A float32 vector of `n` values in wasm memory holding `scale · src[off + i·stride]` (a bias
 * column or row taken out of a broadcast tensor), or 0 when `src` is undefined.
 */
export function vectorIn(rt: WasmRuntime, s: Scratch, src: Float32Array | undefined, off: number, stride: number, n: number,
  scale = 1): number {
  if (!src) return 0;
  const p = scratchFloats(s, n);
  const v = rt.f32(p, n);
  for (let i = 0; i < n; i++) v[i] = scale * src[off + i * stride]!;
  return p;
}

/** Throws a located shape error for a wasm kernel. */
export function shapeError(node: Node, message: string): never {
  throw new OptiflowError('shape_mismatch', `wasm ${node.opType}: ${message}`, [`node ${node.name}`]);
}
