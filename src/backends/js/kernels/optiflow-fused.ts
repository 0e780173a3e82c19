/**
 * js kernels of the `optiflow` fused ops: FusedConv, FusedGemm, FusedMatMul. Each runs the nn
 * family's code for its base op (conv strategies and the blocked GEMM core, with the bias fused
 * into the GEMM's output write) and then one epilogue pass adding the residual and applying the
 * activation. The `create` phase resolves the activation, decodes constant weights and biases once
 * (float16/bfloat16 to float32), resolves the conv window parameters, and transposes a constant
 * Gemm B with transB = 1 to row-major [K, N] so the GEMM packs it with unit-stride reads.
 * Float types only (float16/bfloat16 computed in float32, rounded at the end).
 * Source: ONNX operator spec (Conv, Gemm, MatMul and the activations).
 * @module
 */
import type { DType } from '../../../ir/dtype.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { windowGeometry, windowParams, type WindowParams } from '../../../ops/nn-shape.js';
import { FusedConv, FusedGemm, FusedMatMul, type FusedActivation } from '../../../ops/optiflow-fused.js';
import { resolveActivation } from '../../../ops/optiflow-fused-activation.js';
import { fail } from '../../../ops/shape-utils.js';
import { defineKernel, type AnyKernel } from '../../backend.js';
import { broadcastOffsets, out } from '../util.js';
import { conv3, convCompute, type Conv3 } from './nn-conv.js';
import { gemmFor, type FloatArray } from './nn-gemm.js';
import { matmulGeometry } from './nn-matmul.js';
import { computeBuffer, computeView, finish, spatialRankSupport } from './nn-util.js';
import { applyEpilogue } from './optiflow-fused-epilogue.js';

const FLOATS: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];

/** A constant's compute view, decoded once. */
function constView(t: TensorData | undefined): FloatArray | undefined {
  return t ? computeView(t) : undefined;
}

/** Builds a tensor result from a compute buffer. */
function result(dtype: DType, shape: readonly number[], y: FloatArray): TensorData {
  return out(dtype, shape, finish(dtype, y));
}

// ---------------------------------------------------------------------------------------------
// FusedConv

interface ConvState {
  act: FusedActivation;
  w?: FloatArray;
  b?: FloatArray;
  /** Window parameters when the kernel extent is known at create time. */
  params?: WindowParams;
  /** Geometry of the last input spatial shape seen (`key` = its dims joined). */
  geo?: { key: string; g: Conv3 };
}

const fusedConv = defineKernel(FusedConv, {
  dtypes: FLOATS,
  supports: spatialRankSupport,
  create: ({ attrs, node, constants: [, w, b] }): ConvState => {
    const act = resolveActivation(node, attrs.activation, attrs.activation_params);
    const kernel = attrs.kernel_shape ?? w?.dims.slice(2);
    const params = kernel ? windowParams(node, kernel.length, attrs, kernel) : undefined;
    return { act, w: constView(w), b: constView(b), params };
  },
  run: ({ attrs, node, state, inputs: [xt, wt, bt, zt], outputs: [o] }) => {
    const xd = xt!.dims; const wd = wt!.dims;
    const r = xd.length - 2;
    if (r < 1 || r > 3) fail(node, 'shape_mismatch', `js FusedConv handles 1 to 3 spatial axes, input has rank ${xd.length}`);
    const shape = o!.shape!;
    if (zt && (zt.dims.length !== shape.length || zt.dims.some((d, i) => d !== shape[i]))) {
      fail(node, 'shape_mismatch', `residual Z [${zt.dims.join(',')}] must have the output's shape [${shape.join(',')}]`);
    }
    const key = xd.join(',');
    let g = state.geo?.key === key ? state.geo.g : undefined;
    if (!g) {
      const p = state.params ?? windowParams(node, r, attrs, attrs.kernel_shape ?? wd.slice(2));
      const geo = windowGeometry(node, xd.slice(2), p);
      g = conv3(xd.slice(2), geo.out, p.kernel, p.strides, p.dilations, geo.padsBegin);
      state.geo = { key, g };
    }
    const y = computeBuffer(o!.dtype, shape.reduce((a, b) => a * b, 1));
    if (y.length > 0) {
      const bias = state.b ?? constView(bt);
      convCompute(computeView(xt!), xd[0]!, xd[1]!, state.w ?? computeView(wt!), wd[0]!, bias, attrs.group, g, y);
      applyEpilogue(y, state.act, { residual: constView(zt) });
    }
    return [result(o!.dtype, shape, y)];
  },
});

// ---------------------------------------------------------------------------------------------
// FusedGemm

interface GemmState {
  act: FusedActivation;
  /** Constant B as row-major op(B) = [K, N] (transposed here when transB). */
  bKN?: FloatArray;
  c?: FloatArray;
}

/** Row-major transpose of an `rows × cols` matrix. */
function transpose(v: FloatArray, rows: number, cols: number): FloatArray {
  const t = v instanceof Float64Array ? new Float64Array(v.length) : new Float32Array(v.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = v[i * cols + j]!;
  return t;
}

const fusedGemm = defineKernel(FusedGemm, {
  dtypes: FLOATS,
  create: ({ attrs, node, constants: [, b, c] }): GemmState => {
    const act = resolveActivation(node, attrs.activation, attrs.activation_params);
    let bKN: FloatArray | undefined;
    if (b && b.dims.length === 2) bKN = attrs.transB ? transpose(computeView(b), b.dims[0]!, b.dims[1]!) : computeView(b);
    return { act, bKN, c: constView(c) };
  },
  run: ({ attrs, state, inputs: [at, bt, ct], outputs: [o] }) => {
    const ad = at!.dims; const bd = bt!.dims;
    const [m, k] = attrs.transA ? [ad[1]!, ad[0]!] : [ad[0]!, ad[1]!];
    const n = attrs.transB ? bd[0]! : bd[1]!;
    const packed = state.bKN !== undefined;
    const bRs = packed || !attrs.transB ? n : 1; const bCs = packed || !attrs.transB ? 1 : k;
    const useC = ct !== undefined && attrs.beta !== 0;
    let biasRs = 0; let biasCs = 0;
    if (ct) {
      const cd = ct.dims.length === 2 ? ct.dims : ct.dims.length === 1 ? [1, ct.dims[0]!] : [1, 1];
      biasRs = cd[0] === 1 ? 0 : cd[1]!;
      biasCs = cd[1] === 1 ? 0 : 1;
    }
    const a = computeView(at!);
    const y = computeBuffer(o!.dtype, m * n);
    gemmFor<FloatArray>(a)({
      m, n, k, a, aOff: 0, aRs: attrs.transA ? 1 : k, aCs: attrs.transA ? m : 1,
      b: state.bKN ?? computeView(bt!), bOff: 0, bRs, bCs, c: y, cOff: 0, ldc: n, alpha: attrs.alpha,
      ...(useC ? { bias: state.c ?? computeView(ct!), biasOff: 0, biasRs, biasCs, beta: attrs.beta } : {}),
    });
    applyEpilogue(y, state.act);
    return [result(o!.dtype, o!.shape!, y)];
  },
});

// ---------------------------------------------------------------------------------------------
// FusedMatMul

interface MatMulState {
  act: FusedActivation;
  b?: FloatArray;
  bias?: FloatArray;
}

const fusedMatMul = defineKernel(FusedMatMul, {
  dtypes: FLOATS,
  create: ({ attrs, node, constants: [, b, bias] }): MatMulState => ({
    act: resolveActivation(node, attrs.activation, attrs.activation_params), b: constView(b), bias: constView(bias),
  }),
  run: ({ node, state, inputs: [at, bt, biasT], outputs: [o] }) => {
    const bd = bt!.dims;
    const { m, k, n, batchA, batchB, outBatch, count } = matmulGeometry(at!.dims, bd);
    const shape = o!.shape!;
    const bias = state.bias ?? constView(biasT);
    const last = shape[shape.length - 1];
    if (bias && bias.length !== last) {
      fail(node, 'shape_mismatch', `bias has ${bias.length} elements; the output's last dim is ${last ?? 'absent'}`);
    }
    // With a 2-D (or batched) B the bias runs along N: fuse it into the GEMM's output write.
    const gemmBias = bias && bd.length >= 2 ? { bias, biasOff: 0, biasRs: 0, biasCs: 1 } : {};
    const a = computeView(at!); const b = state.b ?? computeView(bt!);
    const y = computeBuffer(o!.dtype, count * m * n);
    const gemm = gemmFor<FloatArray>(a);
    if (batchB.every((d) => d === 1) && batchA.length >= batchB.length) {
      // B is one matrix: fold A's batch into M (A is contiguous).
      gemm({ m: count * m, n, k, a, aOff: 0, aRs: k, aCs: 1, b, bOff: 0, bRs: n, bCs: 1, c: y, cOff: 0, ldc: n, ...gemmBias });
    } else {
      const aIdx = broadcastOffsets(outBatch, batchA); const bIdx = broadcastOffsets(outBatch, batchB);
      for (let t = 0; t < count; t++) {
        gemm({
          m, n, k, a, aOff: aIdx[t]! * m * k, aRs: k, aCs: 1, b, bOff: bIdx[t]! * k * n, bRs: n, bCs: 1,
          c: y, cOff: t * m * n, ldc: n, ...gemmBias,
        });
      }
    }
    applyEpilogue(y, state.act, bias && bd.length < 2 ? { bias } : {});
    return [result(o!.dtype, shape, y)];
  },
});

/** The js kernels of FusedConv, FusedGemm and FusedMatMul. */
export const FUSED_KERNELS: readonly AnyKernel[] = [fusedConv, fusedGemm, fusedMatMul];
