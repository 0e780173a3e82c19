/**
 * js kernels of MatMul and Gemm. Float types run on the blocked GEMM core (float16/bfloat16 through
 * float32, rounded at the end); int32/uint32 are computed in double precision and wrapped, int64 and
 * uint64 exactly in bigint.
 * Source: ONNX operator spec (docs/Operators.md: MatMul, Gemm).
 * @module
 */
import { isFloat, type DType, type TensorStorage } from '../../../ir/dtype.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { Gemm, MatMul } from '../../../ops/nn-gemm.js';
import { defineKernel, type AnyKernel } from '../../backend.js';
import { broadcastOffsets, numberView, out } from '../util.js';
import { gemmFor, type FloatArray } from './nn-gemm.js';
import { computeBuffer, computeView, finish } from './nn-util.js';

/** Integer operands: number views for 32-bit types, bigint arrays for 64-bit. */
function intMatmul(dtype: DType, a: TensorData, b: TensorData, m: number, n: number, k: number,
  aOffs: ArrayLike<number>, bOffs: ArrayLike<number>, aRs: number, aCs: number, bRs: number, bCs: number,
  cBias?: (i: number, j: number) => bigint | number, alpha = 1, beta = 1): TensorStorage {
  const batches = aOffs.length;
  if (dtype === 'int64' || dtype === 'uint64') {
    const va = a.data as BigInt64Array | BigUint64Array; const vb = b.data as BigInt64Array | BigUint64Array;
    const res = dtype === 'int64' ? new BigInt64Array(batches * m * n) : new BigUint64Array(batches * m * n);
    const bigAlpha = BigInt(Math.trunc(alpha)); const bigBeta = BigInt(Math.trunc(beta));
    for (let t = 0; t < batches; t++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0n;
          for (let p = 0; p < k; p++) s += va[aOffs[t]! + i * aRs + p * aCs]! * vb[bOffs[t]! + p * bRs + j * bCs]!;
          if (alpha !== 1) s *= bigAlpha;
          if (cBias) s += bigBeta * BigInt(cBias(i, j));
          res[(t * m + i) * n + j] = dtype === 'int64' ? BigInt.asIntN(64, s) : BigInt.asUintN(64, s);
        }
      }
    }
    return res;
  }
  const va = numberView(a); const vb = numberView(b);
  const res = dtype === 'uint32' ? new Uint32Array(batches * m * n) : new Int32Array(batches * m * n);
  for (let t = 0; t < batches; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += va[aOffs[t]! + i * aRs + p * aCs]! * vb[bOffs[t]! + p * bRs + j * bCs]!;
        s *= alpha;
        if (cBias) s += beta * Number(cBias(i, j));
        res[(t * m + i) * n + j] = Math.trunc(s);
      }
    }
  }
  return res;
}

/** Sizes of a numpy-style (ONNX MatMul) product of A `ad` and B `bd`. */
export interface MatMulGeometry {
  /** Rows of each product (1 for 1-D A). */
  m: number;
  /** Shared dimension. */
  k: number;
  /** Columns of each product (1 for 1-D B). */
  n: number;
  /** Batch dims of A and B (before broadcasting). */
  batchA: readonly number[];
  batchB: readonly number[];
  /** Broadcast batch dims of the output. */
  outBatch: number[];
  /** Number of products (product of `outBatch`). */
  count: number;
}

/**
 * ONNX MatMul geometry: 1-D A is `[1, K]`, 1-D B is `[K, 1]`, batch dims broadcast (dims already
 * checked by the schema's inference). Source: ONNX MatMul spec (numpy.matmul semantics).
 */
export function matmulGeometry(ad: readonly number[], bd: readonly number[]): MatMulGeometry {
  const a2 = ad.length === 1 ? [1, ad[0]!] : ad;
  const b2 = bd.length === 1 ? [bd[0]!, 1] : bd;
  const m = a2[a2.length - 2]!; const k = a2[a2.length - 1]!; const n = b2[b2.length - 1]!;
  const batchA = a2.slice(0, -2); const batchB = b2.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const outBatch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = batchA[i - rank + batchA.length] ?? 1; const y = batchB[i - rank + batchB.length] ?? 1;
    outBatch.push(x === 1 ? y : x);
  }
  return { m, k, n, batchA, batchB, outBatch, count: outBatch.reduce((p, q) => p * q, 1) };
}

const matmul = defineKernel(MatMul, {
  run: ({ inputs: [at, bt], outputs: [o] }) => {
    const { m, k, n, batchA, batchB, outBatch, count } = matmulGeometry(at!.dims, bt!.dims);
    const shape = o!.shape!;
    const bIs2d = batchB.every((d) => d === 1);
    const aIdx = broadcastOffsets(outBatch, batchA); const bIdx = broadcastOffsets(outBatch, batchB);
    const aOffs = Array.from(aIdx, (v) => v * m * k); const bOffs = Array.from(bIdx, (v) => v * k * n);
    if (!isFloat(o!.dtype)) {
      return [out(o!.dtype, shape, intMatmul(o!.dtype, at!, bt!, m, n, k, aOffs, bOffs, k, 1, n, 1))];
    }
    const a = computeView(at!); const b = computeView(bt!);
    const y = computeBuffer(o!.dtype, count * m * n);
    const gemm = gemmFor<FloatArray>(a);
    if (bIs2d && batchA.length >= batchB.length) {
      // B is one matrix: fold A's batch into M (A is contiguous).
      gemm({ m: count * m, n, k, a, aOff: 0, aRs: k, aCs: 1, b, bOff: 0, bRs: n, bCs: 1, c: y, cOff: 0, ldc: n });
    } else {
      for (let t = 0; t < count; t++) {
        gemm({ m, n, k, a, aOff: aOffs[t]!, aRs: k, aCs: 1, b, bOff: bOffs[t]!, bRs: n, bCs: 1, c: y, cOff: t * m * n, ldc: n });
      }
    }
    return [out(o!.dtype, shape, finish(o!.dtype, y))];
  },
});

const gemmKernel = defineKernel(Gemm, {
  run: ({ attrs, inputs: [at, bt, ct], outputs: [o] }) => {
    const ad = at!.dims; const bd = bt!.dims;
    const [m, k] = attrs.transA ? [ad[1]!, ad[0]!] : [ad[0]!, ad[1]!];
    const n = attrs.transB ? bd[0]! : bd[1]!;
    const aRs = attrs.transA ? 1 : k; const aCs = attrs.transA ? m : 1;
    const bRs = attrs.transB ? 1 : n; const bCs = attrs.transB ? k : 1;
    const shape = o!.shape!;
    let biasRs = 0; let biasCs = 0;
    const useC = ct !== undefined && attrs.beta !== 0;
    if (ct) {
      const cd = ct.dims.length === 2 ? ct.dims : ct.dims.length === 1 ? [1, ct.dims[0]!] : [1, 1];
      biasRs = cd[0] === 1 ? 0 : cd[1]!;
      biasCs = cd[1] === 1 ? 0 : 1;
    }
    if (!isFloat(o!.dtype)) {
      const cv = useC ? (ct!.data as ArrayLike<number | bigint>) : undefined;
      const bias = cv ? (i: number, j: number) => cv[i * biasRs + j * biasCs]! : undefined;
      return [out(o!.dtype, shape, intMatmul(o!.dtype, at!, bt!, m, n, k, [0], [0], aRs, aCs, bRs, bCs, bias, attrs.alpha, attrs.beta))];
    }
    const a = computeView(at!); const b = computeView(bt!);
    const y = computeBuffer(o!.dtype, m * n);
    gemmFor<FloatArray>(a)({
      m, n, k, a, aOff: 0, aRs, aCs, b, bOff: 0, bRs, bCs, c: y, cOff: 0, ldc: n, alpha: attrs.alpha,
      ...(useC ? { bias: computeView(ct!), biasOff: 0, biasRs, biasCs, beta: attrs.beta } : {}),
    });
    return [out(o!.dtype, shape, finish(o!.dtype, y))];
  },
});

/** The js MatMul and Gemm kernels. */
export const MATMUL_KERNELS: AnyKernel[] = [matmul, gemmKernel];
