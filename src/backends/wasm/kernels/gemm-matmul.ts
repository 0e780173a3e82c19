/**
 * `wasm` kernels of MatMul and optiflow::FusedMatMul (float32): numpy matmul with broadcast batch
 * dims on the packed GEMM core (gemm-core.ts). A constant B (a weight) is packed once at `create`;
 * when B is one matrix and A's batch is contiguous, A's batch folds into M (one GEMM); otherwise
 * each batch packs its operands (re-packing only when the broadcast index changes). FusedMatMul's
 * bias is the GEMM's column bias and its activation the GEMM epilogue.
 * Source: ONNX operator spec (MatMul); optiflow-fused.ts (FusedMatMul).
 * @module
 */
import type { TensorData } from '../../../ir/tensor-data.js';
import { MatMul } from '../../../ops/nn-gemm.js';
import { FusedMatMul } from '../../../ops/optiflow-fused.js';
import type { CreateCtx, KernelCtx, Support, SupportQuery } from '../../backend.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { WasmRuntime } from '../runtime.js';
import { broadcastIndex } from './gemm-batch.js';
import {
  epilogue, freePacked, fusedActivationCode, gemmPacked, IDENTITY, packA, packB, packConstant, packedASize, packedBSize,
  scratchFloats, shapeError, type ActivationCode, type Packed,
} from './gemm-core.js';
import { float32Support, withScratch } from './shape-util.js';

/** What `create` prepared: B packed per batch matrix, the bias copied in (both when constant). */
interface MatMulState {
  readonly b?: readonly Packed[];
  readonly bias?: number;
  readonly act: ActivationCode;
}

/** [batch dims, rows, cols] of a matmul operand (1-D A is [1, K], 1-D B is [K, 1]). */
function operand(dims: readonly number[], isB: boolean): { batch: number[]; rows: number; cols: number } {
  if (dims.length === 1) return isB ? { batch: [], rows: dims[0]!, cols: 1 } : { batch: [], rows: 1, cols: dims[0]! };
  return { batch: dims.slice(0, -2), rows: dims[dims.length - 2]!, cols: dims[dims.length - 1]! };
}

function createMatMul(constants: readonly (TensorData | undefined)[], rt: WasmRuntime, act: ActivationCode): MatMulState {
  const bt = constants[1]; const biasT = constants[2];
  let b: Packed[] | undefined;
  if (bt && bt.type === 'float32' && bt.dims.length >= 1) {
    const { batch, rows, cols } = operand(bt.dims, true);
    const count = batch.reduce((p, q) => p * q, 1);
    b = [];
    for (let t = 0; t < count; t++) b.push(packConstant(rt, 'b', bt.data as Float32Array, t * rows * cols, rows, cols, false));
  }
  const bias = biasT && biasT.type === 'float32' ? rt.persist(biasT.data as Float32Array) : undefined;
  return { ...(b ? { b } : {}), ...(bias !== undefined ? { bias } : {}), act };
}

function disposeMatMul(st: MatMulState, rt: WasmRuntime): void {
  for (const p of st.b ?? []) freePacked(rt, p);
  if (st.bias !== undefined) rt.free(st.bias);
}

function runMatMul(ctx: KernelCtx<unknown, MatMulState>, rt: WasmRuntime): TensorData[] {
  const [at, bt, biasT] = ctx.inputs;
  const A = operand(at!.dims, false); const B = operand(bt!.dims, true);
  const m = A.rows; const k = A.cols; const n = B.cols;
  if (B.rows !== k) shapeError(ctx.node, `inner dims differ: A [${at!.dims.join(',')}], B [${bt!.dims.join(',')}]`);
  const shape = ctx.outputs[0]!.shape!;
  const y = rt.output(shape);
  const st = ctx.state;
  withScratch(rt, (s) => {
    const aPtr = rt.input(at!, s);
    const colBias = st.bias ?? (biasT ? rt.input(biasT, s) : 0);
    const e = epilogue(st.act, { colBias });
    const { outBatch, aIdx, bIdx } = broadcastIndex(ctx.node, A.batch, B.batch);
    const count = outBatch.reduce((p, q) => p * q, 1);
    if (count === 0) return;
    const bOne = B.batch.every((d) => d === 1);
    const bPtr = st.b ? 0 : rt.input(bt!, s);
    const bp = st.b ? 0 : scratchFloats(s, packedBSize(rt, k, n));
    if (bOne && A.batch.length >= B.batch.length) {
      // One B: all of A's rows in one GEMM.
      const rows = count * m;
      const ap = scratchFloats(s, packedASize(rt, rows, k));
      packA(rt, { ptr: aPtr, rs: k, cs: 1 }, rows, k, ap);
      if (!st.b) packB(rt, { ptr: bPtr, rs: n, cs: 1 }, k, n, bp);
      gemmPacked(rt, ap, st.b ? st.b[0]!.ptr : bp, y.ptr, n, rows, n, k, e);
      return;
    }
    const ap = scratchFloats(s, packedASize(rt, m, k));
    let lastA = -1; let lastB = -1;
    for (let t = 0; t < count; t++) {
      const ai = aIdx[t]!; const bi = bIdx[t]!;
      if (ai !== lastA) { packA(rt, { ptr: aPtr + ai * m * k * 4, rs: k, cs: 1 }, m, k, ap); lastA = ai; }
      if (!st.b && bi !== lastB) { packB(rt, { ptr: bPtr + bi * k * n * 4, rs: n, cs: 1 }, k, n, bp); lastB = bi; }
      gemmPacked(rt, ap, st.b ? st.b[bi]!.ptr : bp, y.ptr + t * m * n * 4, n, m, n, k, e);
    }
  });
  return [y.tensor];
}

function matmulSupport(q: SupportQuery): Support {
  const f = float32Support(q);
  if (!f.ok) return f;
  for (const i of [0, 1]) {
    const r = q.inputs[i]?.shape?.length;
    if (r === 0) return { ok: false, reason: `wasm ${q.node.opType} needs operands of rank >= 1` };
  }
  return { ok: true };
}

const matmul = defineWasmKernel(MatMul, {
  supports: matmulSupport,
  create: (ctx: CreateCtx<unknown>, rt) => createMatMul(ctx.constants, rt, IDENTITY),
  dispose: disposeMatMul,
  run: runMatMul,
});

const fusedMatMul = defineWasmKernel(FusedMatMul, {
  supports: matmulSupport,
  create: (ctx, rt) => createMatMul(ctx.constants, rt,
    fusedActivationCode(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params)),
  dispose: disposeMatMul,
  run: runMatMul,
});

/** The wasm MatMul and FusedMatMul kernels. */
export const GEMM_MATMUL_WASM_KERNELS: AnyWasmKernel[] = [matmul, fusedMatMul];
