/**
 * js kernel of `optiflow::Attention` (ONNX Attention-23 for 4-D inputs). Per batch and head: one
 * GEMM `S = scale·Q·Kᵀ + mask` (Kᵀ as a strided view of K, the mask fused as the GEMM's broadcast
 * bias), a row softmax in place, and one GEMM `Y = P·V` written straight into the output. Uses the
 * nn family's blocked GEMM core; float32 data stays float32 (accumulation in double inside the
 * GEMM), other float types run in float64.
 * Source: ONNX operator spec (Attention-23) and its reference implementation's softmax (a row of
 * all -∞ scores gives NaN).
 * @module
 */
import type { TensorData } from '../../../ir/tensor-data.js';
import { OptiflowAttention } from '../../../ops/optiflow-patterns.js';
import { defineKernel, type AnyKernel } from '../../backend.js';
import { floatView, fromNumbers, out } from '../util.js';
import { gemmFor, type FloatArray } from './nn-gemm.js';

/** Element strides of the mask broadcast to `[B, Hq, Sq, T]` (numpy rules; 0 where it repeats). */
function maskStrides(mask: TensorData): number[] {
  const md = mask.dims; const r = md.length;
  const st = [0, 0, 0, 0];
  let acc = 1;
  for (let a = r - 1; a >= 0; a--) {
    st[4 - r + a] = md[a] === 1 ? 0 : acc;
    acc *= md[a]!;
  }
  return st;
}

/** Softmax of each of `rows` rows of length `t` of `s`, in place (float64 arithmetic). */
function softmaxRows(s: FloatArray, rows: number, t: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += t) {
    let mx = -Infinity;
    for (let j = 0; j < t; j++) { const v = s[o + j]!; if (v > mx || Number.isNaN(v)) mx = v; }
    let sum = 0;
    for (let j = 0; j < t; j++) { const e = Math.exp(s[o + j]! - mx); s[o + j] = e; sum += e; }
    const inv = 1 / sum;
    for (let j = 0; j < t; j++) s[o + j]! *= inv;
  }
}

const attention = defineKernel(OptiflowAttention, {
  run: ({ attrs, inputs: [q, k, v, mask], outputs: [o] }) => {
    const [bsz, hq, sq, d] = q!.dims as [number, number, number, number];
    const [, hk, t] = k!.dims as [number, number, number];
    const dv = v!.dims[3]!;
    const f32 = q!.type === 'float32';
    const view = (x: TensorData): FloatArray => (f32 ? floatView(x) : Float64Array.from(floatView(x)));
    const qv = view(q!); const kv = view(k!); const vv = view(v!);
    let mv: FloatArray | undefined;
    if (mask?.type === 'bool') {
      const bits = mask.data as Uint8Array;
      mv = (f32 ? new Float32Array(bits.length) : new Float64Array(bits.length)).map((_, i) => (bits[i] ? 0 : -Infinity));
    } else if (mask) mv = view(mask);
    const ms = mask ? maskStrides(mask) : [0, 0, 0, 0];
    const scale = attrs.scale ?? 1 / Math.sqrt(d);
    const gemm = gemmFor(qv);
    const scores = f32 ? new Float32Array(sq * t) : new Float64Array(sq * t);
    const y = f32 ? new Float32Array(bsz * hq * sq * dv) : new Float64Array(bsz * hq * sq * dv);
    for (let b = 0; b < bsz; b++) {
      for (let h = 0; h < hq; h++) {
        const kh = hk === 1 ? 0 : h;
        const kBase = (b * hk + kh) * t * d; const vBase = (b * hk + kh) * t * dv;
        gemm({
          m: sq, n: t, k: d, alpha: scale,
          a: qv, aOff: ((b * hq + h) * sq) * d, aRs: d, aCs: 1,
          b: kv, bOff: kBase, bRs: 1, bCs: d,
          c: scores, cOff: 0, ldc: t,
          ...(mv ? { bias: mv, biasOff: b * ms[0]! + h * ms[1]!, biasRs: ms[2]!, biasCs: ms[3]! } : {}),
        });
        softmaxRows(scores, sq, t);
        gemm({
          m: sq, n: dv, k: t,
          a: scores, aOff: 0, aRs: t, aCs: 1,
          b: vv, bOff: vBase, bRs: dv, bCs: 1,
          c: y, cOff: ((b * hq + h) * sq) * dv, ldc: dv,
        });
      }
    }
    const dims = [bsz, hq, sq, dv];
    return [out(o!.dtype, dims, y instanceof Float32Array ? y : fromNumbers(o!.dtype, y))];
  },
});

/** The optiflow Attention kernel. */
export const PATTERN_ATTENTION_KERNELS: AnyKernel[] = [attention];
