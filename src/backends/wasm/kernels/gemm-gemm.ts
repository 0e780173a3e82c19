/**
 * `wasm` kernels of Gemm and optiflow::FusedGemm (float32): `Y = act(alpha·A'·B' + beta·C)` on
 * the packed GEMM core. Constant A or B are packed once at `create` (transposes resolved by the
 * packing, alpha folded into packed A). C maps onto the epilogue by its broadcast: a scalar or
 * [M, 1] becomes the row bias, [N] / [1, N] the column bias, a full [M, N] the residual, each
 * scaled by beta.
 * Source: ONNX operator spec (Gemm); optiflow-fused.ts (FusedGemm).
 * @module
 */
import type { TensorData } from '../../../ir/tensor-data.js';
import { Gemm } from '../../../ops/nn-gemm.js';
import { FusedGemm } from '../../../ops/optiflow-fused.js';
import type { CreateCtx, KernelCtx, Support, SupportQuery } from '../../backend.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { Scratch, WasmRuntime } from '../runtime.js';
import {
  epilogue, freePacked, fusedActivationCode, gemmPacked, IDENTITY, packA, packB, packConstant, packedASize, packedBSize,
  scratchFloats, shapeError, vectorIn, type ActivationCode, type Epilogue, type Packed,
} from './gemm-core.js';
import { float32Support, withScratch } from './shape-util.js';

/** Gemm attributes both schemas share. */
interface GemmAttrs {
  readonly alpha: number;
  readonly beta: number;
  readonly transA: number;
  readonly transB: number;
}

interface GemmState {
  readonly a?: Packed;
  readonly b?: Packed;
  readonly act: ActivationCode;
}

function createGemm(ctx: CreateCtx<GemmAttrs>, rt: WasmRuntime, act: ActivationCode): GemmState {
  const [at, bt] = ctx.constants;
  const { alpha, transA, transB } = ctx.attrs;
  let a: Packed | undefined; let b: Packed | undefined;
  if (at && at.type === 'float32' && at.dims.length === 2) {
    const [m, k] = transA ? [at.dims[1]!, at.dims[0]!] : [at.dims[0]!, at.dims[1]!];
    a = packConstant(rt, 'a', at.data as Float32Array, 0, m, k, !!transA, alpha);
  }
  if (bt && bt.type === 'float32' && bt.dims.length === 2) {
    const [k, n] = transB ? [bt.dims[1]!, bt.dims[0]!] : [bt.dims[0]!, bt.dims[1]!];
    b = packConstant(rt, 'b', bt.data as Float32Array, 0, k, n, !!transB);
  }
  return { ...(a ? { a } : {}), ...(b ? { b } : {}), act };
}

/** The epilogue parts for C (dims right-aligned to [M, N]) scaled by beta. */
function cEpilogue(rt: WasmRuntime, s: Scratch, ct: TensorData | undefined, beta: number, m: number, n: number,
  act: ActivationCode): Epilogue {
  if (!ct || beta === 0) return epilogue(act);
  const d = ct.dims.length === 2 ? ct.dims : ct.dims.length === 1 ? [1, ct.dims[0]!] : [1, 1];
  const rows = d[0] === m && m !== 1; const cols = d[1] === n && n !== 1;
  const data = ct.data as Float32Array;
  if (rows && cols) {
    if (beta === 1) return epilogue(act, { res: rt.input(ct, s), resLd: n });
    return epilogue(act, { res: vectorIn(rt, s, data, 0, 1, m * n, beta), resLd: n });
  }
  if (cols) return epilogue(act, { colBias: vectorIn(rt, s, data, 0, 1, n, beta) });
  return epilogue(act, { rowBias: vectorIn(rt, s, data, 0, rows ? d[1]! : 0, m, beta) });
}

function runGemm(ctx: KernelCtx<GemmAttrs, GemmState>, rt: WasmRuntime): TensorData[] {
  const [at, bt, ct] = ctx.inputs;
  const { alpha, beta, transA, transB } = ctx.attrs;
  const ad = at!.dims; const bd = bt!.dims;
  if (ad.length !== 2 || bd.length !== 2) shapeError(ctx.node, `needs 2-D A and B, got [${ad.join(',')}] and [${bd.join(',')}]`);
  const [m, k] = transA ? [ad[1]!, ad[0]!] : [ad[0]!, ad[1]!];
  const [kb, n] = transB ? [bd[1]!, bd[0]!] : [bd[0]!, bd[1]!];
  if (k !== kb) shapeError(ctx.node, `inner dims differ: ${k} vs ${kb}`);
  const y = rt.output([m, n]);
  const st = ctx.state;
  withScratch(rt, (s) => {
    let ap = st.a?.ptr;
    if (ap === undefined) {
      ap = scratchFloats(s, packedASize(rt, m, k));
      packA(rt, { ptr: rt.input(at!, s), rs: transA ? 1 : k, cs: transA ? m : 1 }, m, k, ap, alpha);
    }
    let bp = st.b?.ptr;
    if (bp === undefined) {
      bp = scratchFloats(s, packedBSize(rt, k, n));
      packB(rt, { ptr: rt.input(bt!, s), rs: transB ? 1 : n, cs: transB ? k : 1 }, k, n, bp);
    }
    gemmPacked(rt, ap, bp, y.ptr, n, m, n, k, cEpilogue(rt, s, ct, beta, m, n, st.act));
  });
  return [y.tensor];
}

function disposeGemm(st: GemmState, rt: WasmRuntime): void {
  freePacked(rt, st.a);
  freePacked(rt, st.b);
}

function gemmSupport(q: SupportQuery): Support {
  const f = float32Support(q);
  if (!f.ok) return f;
  const r = q.inputs[0]?.shape?.length;
  if (r !== undefined && r !== 2) return { ok: false, reason: `wasm ${q.node.opType} needs 2-D A, got rank ${r}` };
  return { ok: true };
}

const gemm = defineWasmKernel(Gemm, {
  supports: gemmSupport,
  create: (ctx, rt) => createGemm(ctx, rt, IDENTITY),
  dispose: disposeGemm,
  run: runGemm,
});

const fusedGemm = defineWasmKernel(FusedGemm, {
  supports: gemmSupport,
  create: (ctx, rt) => createGemm(ctx, rt, fusedActivationCode(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params)),
  dispose: disposeGemm,
  run: runGemm,
});

/** The wasm Gemm and FusedGemm kernels. */
export const GEMM_GEMM_WASM_KERNELS: AnyWasmKernel[] = [gemm, fusedGemm];
