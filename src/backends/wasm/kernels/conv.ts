/**
 * `wasm` kernels of Conv and optiflow::FusedConv (float32, 1 or 2 spatial axes; 1-D runs as 2-D
 * with H = 1). Per image and group:
 * - depthwise (one input and one output channel per group): the direct kernel
 *   `conv_depthwise_f32`, all planes at once;
 * - pointwise (1×1, stride 1, no padding): the GEMM W[M, C] · X[C, H·W], X packed as B;
 * - otherwise im2col written straight into packed B strips (`conv_im2col_packed_f32`), then the GEMM.
 * Weights are packed once at `create` (per group, as the GEMM's A); the bias is the GEMM's row
 * bias, FusedConv's residual Z and activation its epilogue.
 * Source: ONNX operator spec (Conv); optiflow-fused.ts (FusedConv).
 * @module
 */
import type { TensorData } from '../../../ir/tensor-data.js';
import { Conv } from '../../../ops/nn-conv.js';
import { windowGeometry, windowParams, type WindowAttrs } from '../../../ops/nn-shape.js';
import { FusedConv } from '../../../ops/optiflow-fused.js';
import type { CreateCtx, KernelCtx, Support, SupportQuery } from '../../backend.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { Scratch, WasmRuntime } from '../runtime.js';
import {
  epilogue, freePacked, fusedActivationCode, gemmPacked, IDENTITY, packA, packB, packConstant, packedASize, packedBSize,
  preferTransposed, scratchFloats, shapeError, tileOf, type ActivationCode, type Epilogue, type Packed,
} from './gemm-core.js';
import { float32Support, int32Block, withScratch } from './shape-util.js';

type ConvAttrs = WindowAttrs & { readonly group: number };

interface ConvState {
  /** Whether W is a constant (packed into the state rather than per call). */
  readonly constW: boolean;
  /**
   * Per group, constant weights packed as the GEMM's A (output channels as rows), or as its B
   * (Wᵀ, for outputs computed transposed): one of the two at a time, switched at the first run
   * that needs the other (the weights stay packed once).
   */
  packed?: Packed[];
  packedT?: Packed[];
  /** Constant depthwise weights `[C, KH, KW]`. */
  readonly raw?: number;
  readonly bias?: number;
  readonly act: ActivationCode;
}

/** Whether a conv with these channel counts is depthwise (one in and one out channel per group). */
function isDepthwise(c: number, m: number, group: number): boolean {
  return group > 1 && c === group && m === group;
}

/**
 * The zero-padded plane the depthwise kernel copies each input plane into (strides 1 and 2): tall
 * enough for every kernel row, wide enough for the input row and for whole 4-output vectors (the
 * stride-2 loads read one float past the last tap); the width a multiple of 4.
 */
export function depthwisePadded(h: number, w: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
  ph: number, pw: number, oh: number, ow: number): { hp: number; wp: number } {
  const owVec = Math.ceil(ow / 4) * 4;
  const reach = (owVec - 1) * sw + (kw - 1) * dw + 1 + (sw === 2 ? 1 : 0);
  const wp = Math.ceil(Math.max(pw + w, reach) / 4) * 4;
  const hp = Math.max(ph + h, (oh - 1) * sh + (kh - 1) * dh + 1);
  return { hp, wp };
}

function createConv(ctx: CreateCtx<ConvAttrs>, rt: WasmRuntime, act: ActivationCode): ConvState {
  const [, wt, bt] = ctx.constants;
  const group = ctx.attrs.group;
  const bias = bt && bt.type === 'float32' ? rt.persist(bt.data as Float32Array) : undefined;
  const constW = !!wt && wt.type === 'float32' && wt.dims.length >= 3;
  const out = { act, constW, ...(bias !== undefined ? { bias } : {}) };
  if (!constW) return out;
  const m = wt!.dims[0]!; const cg = wt!.dims[1]!;
  const kSize = wt!.dims.slice(2).reduce((p, q) => p * q, 1);
  if (isDepthwise(cg * group, m, group)) return { ...out, raw: rt.persist(wt!.data as Float32Array) };
  return { ...out, packed: packWeights(rt, wt!, group, m / group, cg * kSize, false) };
}

function disposeConv(st: ConvState, rt: WasmRuntime): void {
  for (const p of st.packed ?? []) freePacked(rt, p);
  for (const p of st.packedT ?? []) freePacked(rt, p);
  if (st.raw !== undefined) rt.free(st.raw);
  if (st.bias !== undefined) rt.free(st.bias);
}

function runConv(ctx: KernelCtx<ConvAttrs, ConvState>, rt: WasmRuntime): TensorData[] {
  const [xt, wt, bt, zt] = ctx.inputs;
  const { node, attrs, state: st } = ctx;
  const xd = xt!.dims; const wd = wt!.dims;
  const r = xd.length - 2;
  if (r !== 1 && r !== 2) shapeError(node, `handles 1 or 2 spatial axes, input has rank ${xd.length}`);
  const p = windowParams(node, r, attrs, attrs.kernel_shape ?? wd.slice(2));
  const g = windowGeometry(node, xd.slice(2), p);
  // 1-D as 2-D with a unit H axis.
  const two = (v: readonly number[], unit: number): [number, number] => (r === 1 ? [unit, v[0]!] : [v[0]!, v[1]!]);
  const [h, w] = two(xd.slice(2), 1); const [kh, kw] = two(p.kernel, 1); const [sh, sw] = two(p.strides, 1);
  const [dh, dw] = two(p.dilations, 1); const [ph, pw] = two(g.padsBegin, 0); const [oh, ow] = two(g.out, 1);
  const n = xd[0]!; const c = xd[1]!; const m = wd[0]!; const group = attrs.group;
  const cg = c / group; const mg = m / group;
  if (wd[1] !== cg || m % group !== 0) shapeError(node, `weights [${wd.join(',')}] do not fit ${c} channels in ${group} groups`);
  const y = rt.output(ctx.outputs[0]!.shape!);
  const inSz = h * w; const outSz = oh * ow;
  if (n * m * outSz === 0) return [y.tensor];
  withScratch(rt, (s) => {
    const x = rt.input(xt!, s);
    const bias = st.bias ?? (bt ? rt.input(bt, s) : 0);
    const res = zt ? rt.input(zt, s) : 0;
    const { act, p0, p1 } = st.act;
    if (isDepthwise(c, m, group)) {
      const wPtr = st.raw ?? rt.input(wt!, s);
      const { hp, wp } = depthwisePadded(h, w, kh, kw, sh, sw, dh, dw, ph, pw, oh, ow);
      const geo = int32Block(rt, s, [c, h, w, kh, kw, sh, sw, dh, dw, ph, pw, oh, ow, hp, wp]);
      const pads = sw <= 2 ? scratchFloats(s, n * c * hp * wp) : 0;
      rt.parallelFor('conv_depthwise_f32', [x, wPtr, bias, res, y.ptr, geo, pads, act, p0, p1], n * c, n * c * outSz * kh * kw);
      return;
    }
    const k = cg * kh * kw;
    const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0 && outSz === inSz;
    const geo = pointwise ? 0 : int32Block(rt, s, [cg, h, w, kh, kw, sh, sw, dh, dw, ph, pw, oh, ow]);
    const { mr, nr } = tileOf(rt);
    const epi = (gi: number, yOff: number, asRows: boolean): Epilogue => epilogue({ act, p0, p1 }, {
      [asRows ? 'rowBias' : 'colBias']: bias ? bias + gi * mg * 4 : 0, res: res ? res + yOff : 0, resLd: outSz,
    });
    if (preferTransposed(rt, mg, outSz)) {
      // Few pixels, many channels: Yᵀ = colᵀ · Wᵀ with pixels as the GEMM's rows, stored transposed.
      const wT = weightsFor(rt, s, st, wt!, group, mg, k, true);
      const ap = scratchFloats(s, packedASize(rt, outSz, k));
      for (let b = 0; b < n; b++) {
        for (let gi = 0; gi < group; gi++) {
          const xOff = x + (b * c + gi * cg) * inSz * 4;
          const yOff = (b * m + gi * mg) * outSz * 4;
          if (pointwise) packA(rt, { ptr: xOff, rs: 1, cs: inSz }, outSz, k, ap);
          else rt.parallelFor('conv_im2col_packed_a_f32', [xOff, geo, ap], Math.ceil(outSz / mr), k * outSz);
          gemmPacked(rt, ap, wT[gi]!.ptr, y.ptr + yOff, outSz, outSz, mg, k, epi(gi, yOff, false), true);
        }
      }
      return;
    }
    const packed = weightsFor(rt, s, st, wt!, group, mg, k, false);
    const bp = scratchFloats(s, packedBSize(rt, k, outSz));
    for (let b = 0; b < n; b++) {
      for (let gi = 0; gi < group; gi++) {
        const xOff = x + (b * c + gi * cg) * inSz * 4;
        const yOff = (b * m + gi * mg) * outSz * 4;
        if (pointwise) packB(rt, { ptr: xOff, rs: inSz, cs: 1 }, k, outSz, bp);
        else rt.parallelFor('conv_im2col_packed_f32', [xOff, geo, bp], Math.ceil(outSz / nr), k * outSz);
        gemmPacked(rt, packed[gi]!.ptr, bp, y.ptr + yOff, outSz, mg, outSz, k, epi(gi, yOff, true));
      }
    }
  });
  return [y.tensor];
}

/** Packs constant weights per group: as the GEMM's A (Mg×K), or as its B (Wᵀ, K×Mg) when `trans`. */
function packWeights(rt: WasmRuntime, wt: TensorData, group: number, mg: number, k: number, trans: boolean): Packed[] {
  const data = wt.data as Float32Array;
  return Array.from({ length: group }, (_, gi) => (trans
    ? packConstant(rt, 'b', data, gi * mg * k, k, mg, true)
    : packConstant(rt, 'a', data, gi * mg * k, mg, k, false)));
}

/**
 * The weights per group packed for the direct GEMM (as A) or the transposed one (as B, `trans`):
 * from the state for constant weights (re-packed, and the other form freed, when the form
 * changes), into scratch otherwise.
 */
function weightsFor(rt: WasmRuntime, s: Scratch, st: ConvState, wt: TensorData, group: number, mg: number, k: number,
  trans: boolean): Packed[] {
  if (st.constW) {
    const have = trans ? st.packedT : st.packed;
    if (have) return have;
    for (const p of (trans ? st.packed : st.packedT) ?? []) freePacked(rt, p);
    const packed = packWeights(rt, wt, group, mg, k, trans);
    if (trans) { st.packedT = packed; st.packed = undefined; } else { st.packed = packed; st.packedT = undefined; }
    return packed;
  }
  const wPtr = rt.input(wt, s);
  return Array.from({ length: group }, (_, gi) => {
    const src = wPtr + gi * mg * k * 4;
    const ptr = scratchFloats(s, trans ? packedBSize(rt, k, mg) : packedASize(rt, mg, k));
    if (trans) packB(rt, { ptr: src, rs: 1, cs: k }, k, mg, ptr);
    else packA(rt, { ptr: src, rs: k, cs: 1 }, mg, k, ptr);
    return { ptr };
  });
}

function convSupport(q: SupportQuery): Support {
  const f = float32Support(q);
  if (!f.ok) return f;
  const r = q.inputs[0]?.shape?.length ?? q.inputs[1]?.shape?.length;
  if (r !== undefined && r !== 3 && r !== 4) {
    return { ok: false, reason: `wasm ${q.node.opType} handles 1 or 2 spatial axes, input has rank ${r}` };
  }
  const ks = q.node.attributes.get('kernel_shape');
  if (ks?.type === 'ints' && ks.value.length > 2) return { ok: false, reason: `wasm ${q.node.opType} handles 1 or 2 spatial axes` };
  return { ok: true };
}

const conv = defineWasmKernel(Conv, {
  supports: convSupport,
  create: (ctx, rt) => createConv(ctx, rt, IDENTITY),
  dispose: disposeConv,
  run: runConv,
});

const fusedConv = defineWasmKernel(FusedConv, {
  supports: convSupport,
  create: (ctx, rt) => createConv(ctx, rt, fusedActivationCode(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params)),
  dispose: disposeConv,
  run: runConv,
});

/** The wasm Conv and FusedConv kernels. */
export const CONV_WASM_KERNELS: AnyWasmKernel[] = [conv, fusedConv];
