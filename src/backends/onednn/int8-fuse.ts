/**
 * int8 fusions of the `onednn` translation that work on the engine ops already emitted (QDQ models
 * after `fuse-qdq` and constant folding):
 *
 * - {@link fuseQuantizedMaxPool}: `DequantizeLinear → MaxPool → QuantizeLinear` pools the 8-bit
 *   tensor itself (the float round trip of the big pre-pool tensor disappears).
 * - {@link emitInt8Linear}: `DequantizeLinear(x_q) → Gemm / MatMul` with a float32 constant weight
 *   that constant folding made of `DequantizeLinear(w_q)` (the weight's int8 origin is recovered
 *   exactly, {@link recoverInt8Columns}) and a float32 output becomes one oneDNN int8 matmul
 *   (u8/s8 × s8, int32 accumulation) with an f32 dst.
 *
 * Source: ONNX operator spec (QuantizeLinear, DequantizeLinear, MaxPool, Gemm, MatMul); oneDNN 2.6
 * developer guide ("Int8 computation", matmul, pooling).
 * @module
 */
import type { TensorData } from '../../ir/tensor-data.js';
import type { EngineOp } from './spec.js';
import { econst, type NodeCtx } from './translate-builder.js';

type Builder = NodeCtx['b'];
type Dequantize = Extract<EngineOp, { kind: 'dequantize' }>;

/** Whether no graph value bound to tensor `t` is read more than once or outside the segment. */
export function privateTensor(b: Builder, t: number): boolean {
  for (const [name, v] of b.values) {
    if (v.kind === 'tensor' && v.index === t && ((b.uses.get(name) ?? 0) > 1 || b.segmentOutputs.has(name))) return false;
  }
  return true;
}

/** The per-tensor `dequantize` op (and its index) that produced tensor `t`, if any. */
export function dequantizeOf(b: Builder, t: number): { k: number; op: Dequantize } | undefined {
  const k = b.producerOf(t);
  if (k === undefined) return undefined;
  const op = b.op(k);
  return op.kind === 'dequantize' && op.scales.length === 1 && op.axis === undefined ? { k, op } : undefined;
}

/** Drops dequantize op `k` when its f32 output `t` has no reader left besides the one being fused. */
function dropIfUnread(b: Builder, k: number, t: number, readersLeft: number): void {
  if (b.readsOf(t) === readersLeft && privateTensor(b, t)) b.removeOp(k);
}

/**
 * `QuantizeLinear(MaxPool(DequantizeLinear(x)))` on the 8-bit tensor x: called by the
 * QuantizeLinear translator with its f32 input `src` and its per-tensor output quantization
 * (scale `sy`, zero point `zy`, type `dtype`). When `src` is a max `pool` read only here whose
 * input is a per-tensor `dequantize` of an 8-bit tensor of type `dtype`, emits the pool over that
 * tensor (dst of the same 8-bit type), drops the float pool (and the dequantize when nothing else
 * reads it) and returns the tensor holding the QuantizeLinear's result; else `undefined`.
 *
 * Exactness. Let DQ(v) = fround((v − z_x)·s_x) (ONNX DequantizeLinear, exact to one rounding) and Q
 * the QuantizeLinear. DQ is monotonic nondecreasing on the integers (s_x > 0, and rounding to
 * float32 is monotonic), so max_i DQ(x_i) = DQ(max_i x_i) exactly, for every window; padding
 * takes no part in either max (ONNX MaxPool pads with −∞; oneDNN's max pooling skips padded
 * elements). Hence Q(MaxPool(DQ(x))) = Q(DQ(MaxPool(x))) bit for bit, whatever Q's rounding is.
 * - Same scale, zero point and type: Q(DQ(m)) = m for every 8-bit code m: |m − z| ≤ 255, so
 *   fround((m − z)·s) = (m − z)·s·(1 + ε), |ε| ≤ 2⁻²⁴, and its quotient by s, rounded to float32,
 *   stays within 255·2⁻²³ < ½ of the integer m − z, which round-half-to-even returns (no tie can
 *   occur); adding z gives m, inside the range (no saturation). The pooled tensor is the result.
 * - Otherwise the DequantizeLinear and QuantizeLinear run as before, on the pooled (smaller)
 *   tensor: the same ops on the same values as the unfused engine, so the same bits.
 */
export function fuseQuantizedMaxPool(b: Builder, src: number, sy: number, zy: number, dtype: 'u8' | 's8'): number | undefined {
  if (!privateTensor(b, src) || b.readsOf(src) !== 0) return undefined;
  const k = b.producerOf(src);
  if (k === undefined) return undefined;
  const pool = b.op(k);
  if (pool.kind !== 'pool' || pool.alg !== 'max') return undefined;
  const dq = dequantizeOf(b, pool.src);
  if (!dq || b.dtype(dq.op.src) !== dtype) return undefined;
  b.removeOp(k);
  dropIfUnread(b, dq.k, pool.src, 1);
  const pooled = b.tensor(b.dims(pool.dst), dtype);
  b.emit({ ...pool, src: dq.op.src, dst: pooled });
  if (dq.op.scales[0] === Math.fround(sy) && dq.op.zeroPoint === zy) return pooled;
  const f = b.tensor(b.dims(pool.dst), 'f32');
  b.emit({ kind: 'dequantize', src: pooled, dst: f, scales: dq.op.scales, zeroPoint: dq.op.zeroPoint });
  const y = b.tensor(b.dims(pool.dst), dtype);
  b.emit({ kind: 'quantize', src: f, dst: y, scales: Float32Array.of(sy), zeroPoint: zy });
  return y;
}

/**
 * Column `n` (of `cols`) of a row-major [rows, cols] float matrix, as integers q[k] in -128..127 and
 * a float32 scale s with fround(q[k]·s) = w[k] exactly for every k, or `undefined`. The largest
 * magnitude a must be |q|·s for some |q| in 1..128; candidates fround(a/|q|) and its float32
 * neighbours are tried from |q| = 127, 128, 126 down to 1 (a DequantizeLinear of symmetric int8
 * weights gives |q| = 127 at once).
 */
function recoverColumn(get: (k: number) => number, rows: number, out: Int8Array, stride: number, offset: number): number | undefined {
  let a = 0;
  for (let k = 0; k < rows; k++) a = Math.max(a, Math.abs(get(k)));
  if (!Number.isFinite(a)) return undefined;
  if (a === 0) { for (let k = 0; k < rows; k++) out[offset + k * stride] = 0; return 1; }
  const f32 = new Float32Array(1); const u32 = new Uint32Array(f32.buffer);
  const near = (s: number, d: number): number => { f32[0] = s; u32[0] = u32[0]! + d; return f32[0]; };
  for (const mag of [127, 128, ...Array.from({ length: 126 }, (_, i) => 126 - i)]) {
    const s0 = Math.fround(a / mag);
    for (const s of [s0, near(s0, 1), near(s0, -1)]) {
      if (!(s > 0) || !Number.isFinite(s)) continue;
      let ok = true;
      for (let k = 0; k < rows && ok; k++) {
        const v = get(k);
        const q = Math.round(v / s);
        if (q < -128 || q > 127 || Math.fround(q * s) !== v) ok = false;
        else out[offset + k * stride] = q;
      }
      if (ok) return s;
    }
  }
  return undefined;
}

/**
 * The int8 form of a float32 weight matrix: `w` [d0, d1] read as [K, N] (or, `transposed`, as
 * [N, K]), returned as s8 [K, N] with per-column (output channel) scales such that
 * fround(q[k, n]·scale[n]) equals the float weight exactly — what constant folding made of
 * `DequantizeLinear(w_q)` (q = w_q − zero point). `undefined` when some column has no such form
 * (genuinely float weights). Exact by construction: the int8 product then computes the same
 * products of the same float values, only the summation order and rounding differ.
 */
export function recoverInt8Columns(w: TensorData, transposed: boolean): { q: Int8Array; scales: Float32Array } | undefined {
  if (w.dims.length !== 2 || !(w.data instanceof Float32Array)) return undefined;
  const data = w.data;
  const [d0, d1] = w.dims as [number, number];
  const [K, N] = transposed ? [d1, d0] : [d0, d1];
  const q = new Int8Array(K * N);
  const scales = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    const get = transposed ? (k: number) => data[n * d1 + k]! : (k: number) => data[k * d1 + n]!;
    const s = recoverColumn(get, K, q, N, n);
    if (s === undefined) return undefined;
    scales[n] = s;
  }
  return { q, scales };
}

/** Options of {@link emitInt8Linear}. */
export interface Int8LinearOpts {
  /** Gemm's `transB` (the constant weight stored [N, K]). */
  readonly transposed: boolean;
  /** Gemm's alpha (1 for MatMul). */
  readonly alpha: number;
  /** beta·C as a row vector [N] (already scaled by beta), or undefined. */
  readonly bias?: Float32Array;
}

/**
 * `Y = alpha · DQ(x_q) × W + bias` as one int8 matmul when input `a` (a tensor of rank ≥ 2) is a
 * per-tensor `dequantize` of an 8-bit tensor in this engine and the float32 constant `w` (2-D) is
 * exactly int8 per column ({@link recoverInt8Columns}): src = x_q with zero point z_x, weights s8,
 * output scales alpha·s_x·s_w[n], bias/(alpha·s_x·s_w[n]) in the accumulation domain (oneDNN 2.6
 * adds the bias before the output scales), f32 dst with `outDims`. Drops the dequantize when
 * nothing else reads its output. Returns the dst tensor, or `undefined` (nothing emitted).
 */
export function emitInt8Linear(ctx: NodeCtx, a: number, w: TensorData, outDims: readonly number[], opts: Int8LinearOpts): number | undefined {
  const { b } = ctx;
  const dq = dequantizeOf(b, a);
  const ad = b.dims(a);
  if (!dq || ad.length < 2 || !(opts.alpha > 0) || !Number.isFinite(opts.alpha)) return undefined;
  const K = ad[ad.length - 1]!;
  // int32 accumulation: |x − z_x| ≤ 255, |q| ≤ 128.
  if (K * 255 * 128 >= 2 ** 31) return undefined;
  const wi = recoverInt8Columns(w, opts.transposed);
  if (!wi || wi.q.length % K !== 0) return undefined;
  const N = wi.scales.length;
  const sx = dq.op.scales[0]!;
  const os = Float32Array.from(wi.scales, (s) => opts.alpha * sx * s);
  if (os.some((v) => !(v > 0) || !Number.isFinite(v))) return undefined;
  const bias = opts.bias ? Float32Array.from(opts.bias, (v, n) => v / os[n]!) : undefined;
  if (bias?.some((v) => !Number.isFinite(v))) return undefined;
  dropIfUnread(b, dq.k, a, 0);
  const r = ad.length;
  const dst = b.tensor([...ad.slice(0, r - 1), N], 'f32');
  b.emit({
    kind: 'matmul', a: dq.op.src, b: econst([...new Array<number>(r - 2).fill(1), K, N], wi.q), dst,
    ...(bias ? { bias: econst([N], bias) } : {}), postOps: [], outputScales: os, srcZeroPoint: dq.op.zeroPoint,
  });
  return b.reshape(dst, outDims);
}
