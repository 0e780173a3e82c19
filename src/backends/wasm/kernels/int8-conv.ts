/**
 * `wasm` kernels of QLinearConv and ConvInteger (2-D NCHW, any group) on the int8 GEMM: per image
 * and group, Y_g [M/g, OH·OW] = W_g [M/g, K] · im2col(X_g) [K, OH·OW] with K = C/g·KH·KW; W_g
 * packed once at `create` (zero points subtracted) as the GEMM's A, input widened into zero-padded int16 planes
 * (`int8_dw_pad`) then im2col'ed straight into packed B (`int8_im2col_padded`), or X_g read directly for 1×1 stride-1 unpadded kernels. The
 * int32 bias and the per-output-channel multiplier are the epilogue's row tables. Depthwise
 * convolutions (one channel per group) run direct kernels: 3×3 with dilation 1 and stride 1 or 2
 * on `int8_dw3` (row-pair planes, two taps per `dot_i16x8_s`), others on `int8_dw_*`.
 * Source: ONNX operator spec (QLinearConv, ConvInteger).
 * @module
 */
import type { DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { ConvInteger, convGeometry, QLinearConv } from '../../../ops/cast-quant-integer.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { Scratch, WasmRuntime } from '../runtime.js';
import { shapeError } from './gemm-core.js';
import {
  bytesIn, int8Support, packable, f64Table, int32Table, int8Gemm, int8PackA, int8PackB, int8PackedBytes, isSigned, numbersOf,
  OUT_I32, OUT_I8, OUT_U8, requantScales,
} from './int8-core.js';
import { withScratch } from './shape-util.js';

type ConvAttrs = Parameters<typeof convGeometry>[1];

/** The epilogue's per-output-channel tables in wasm memory: int32 bias (or 0), float64 multiplier (0: int32 output). */
interface EpilogueTables { readonly bias: number; readonly scale: number; readonly zy: number }

/**
 * Packed weights (one A panel per group, or depthwise int16 taps) and, when every quantization
 * parameter is constant, the epilogue tables built once at `create` instead of on every run.
 */
interface ConvState { w?: { ptrs: number[]; m: number; k: number }; dw?: number; epi?: EpilogueTables }

/** Whether a node runs on the direct depthwise kernel: one channel per group, 8-bit output. */
function isDepthwise(w: TensorData, group: number, outType: DType): boolean {
  return outType !== 'int32' && group > 1 && w.dims[0] === group && w.dims[1] === 1;
}

/** Depthwise weights [C, KH·KW] as int16 with the zero point subtracted. */
function packDepthwise(rt: WasmRuntime, s: Scratch | undefined, w: TensorData, wz: TensorData | undefined): number {
  const m = w.dims[0]!; const kk = w.dims[2]! * w.dims[3]!;
  const z = numbersOf(wz);
  const p = s ? s.alloc(m * kk * 2) : rt.alloc(m * kk * 2);
  const v = new Int16Array(rt.memory.buffer, p, m * kk);
  const src = w.data as Int8Array | Uint8Array;
  for (let i = 0; i < m * kk; i++) v[i] = src[i]! - (z.length > 1 ? z[Math.floor(i / kk)]! : z[0] ?? 0);
  return p;
}

function packWeights(rt: WasmRuntime, s: Scratch | undefined, node: Node, w: TensorData, wz: TensorData | undefined, group: number) {
  if (w.dims.length !== 4) shapeError(node, `W must be 4-D, got [${w.dims.join(',')}]`);
  const m = w.dims[0]!; const k = w.dims[1]! * w.dims[2]! * w.dims[3]!;
  if (m % group !== 0) shapeError(node, `output channels ${m} not divisible by group ${group}`);
  const mg = m / group;
  const z = numbersOf(wz);
  const raw = bytesIn(rt, s, w.data);
  const zp = z.length > 1 ? int32Table(rt, s, z, m) : 0;
  const ptrs: number[] = [];
  try {
    for (let g = 0; g < group; g++) {
      const bytes = int8PackedBytes(rt, 'a', mg, k);
      const p = s ? s.alloc(bytes) : rt.alloc(bytes);
      int8PackA(rt, raw + g * mg * k, k, 1, mg, k, isSigned(w), zp ? zp + g * mg * 4 : 0, z[0] ?? 0, p);
      ptrs.push(p);
    }
  } finally {
    if (!s) { rt.free(raw); if (zp) rt.free(zp); }
  }
  return { ptrs, m, k };
}

/** Height and width of the int16 planes `int8_dw_pad` writes (every tap of every output inside). */
function paddedPlane(geo: { strides: number[]; dilations: number[]; pads: number[] }, h: number, w: number, kh: number, kw: number,
  oh: number, ow: number): { hp: number; wp: number } {
  const [sh, sw] = geo.strides as [number, number]; const [dh, dw] = geo.dilations as [number, number];
  return {
    hp: Math.max((oh - 1) * sh + (kh - 1) * dh + 1, geo.pads[0]! + h),
    wp: Math.max((ow - 1) * sw + (kw - 1) * dw + 1, geo.pads[1]! + w),
  };
}

/**
 * Rows (even) and columns of the row-pair int16 planes of `int8_dw3` (3×3,
 * dilation 1, stride s in both dims): the input at its pads, and every column and pair-row the
 * kernel reads for whole 8-column groups and output row pairs.
 */
function rowPairPlane(geo: { strides: number[]; pads: number[] }, h: number, w: number, oh: number, ow: number): { hp: number; wp: number } {
  const s = geo.strides[0]!;
  const lastGroup = 8 * Math.floor((ow - 1) / 8);
  const pairRows = s === 1 ? Math.floor((oh - 1) / 2) + 2 : oh + 1;
  const hp = 2 * Math.max(pairRows, Math.ceil((geo.pads[0]! + h) / 2));
  const wp = Math.max(geo.pads[1]! + w, s === 1 ? lastGroup + 10 : 2 * lastGroup + 18);
  return { hp, wp };
}

/**
 * Byte offsets of the K = cg·kh·kw im2col taps in padded int16 planes (Hp·Wp = `plane`):
 * 2·(c·plane + ky·dh·wp + kx·dw), in scratch `s`.
 */
function tapTable(rt: WasmRuntime, s: Scratch, cg: number, kh: number, kw: number, plane: number, wp: number, dh: number, dw: number): number {
  const k = cg * kh * kw;
  const p = s.alloc(Math.max(4, k * 4));
  const v = new Int32Array(rt.memory.buffer, p, k);
  let i = 0;
  for (let c = 0; c < cg; c++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) v[i++] = 2 * (c * plane + ky * dh * wp + kx * dw);
  return p;
}

/** QLinearConv's epilogue tables for `m` output channels (scratch `s`, or permanent when undefined). */
function qlinearTables(rt: WasmRuntime, s: Scratch | undefined, m: number, xs: TensorData | undefined, ws: TensorData | undefined,
  ys: TensorData | undefined, yz: TensorData | undefined, bias: TensorData | undefined): EpilogueTables {
  const scales = requantScales(numbersOf(xs)[0]!, numbersOf(ws), numbersOf(ys)[0]!, m);
  return { bias: int32Table(rt, s, numbersOf(bias), m), scale: f64Table(rt, s, scales, m, 1), zy: numbersOf(yz)[0] ?? 0 };
}

/**
 * Shared body: y = epilogue(conv(x − zx, w − zw)). `tables` gives the epilogue's tables (in the
 * run's scratch when not cached); a zero `scale` means int32 output.
 */
function runConv(rt: WasmRuntime, node: Node, attrs: ConvAttrs, st: ConvState | undefined, x: TensorData, xz: TensorData | undefined,
  w: TensorData, wz: TensorData | undefined, outType: DType, tables: (s: Scratch) => EpilogueTables): TensorData {
  const group = attrs.group;
  if (x.dims.length !== 4) shapeError(node, `X must be 4-D (NCHW), got [${x.dims.join(',')}]`);
  const [nb, c, h, wd] = x.dims as [number, number, number, number];
  if (c !== w.dims[1]! * group) shapeError(node, `channels do not match group ${group}: X [${x.dims.join(',')}], W [${w.dims.join(',')}]`);
  const geo = convGeometry(node, attrs, [h, wd], w.dims.slice(2));
  const [oh, ow] = geo.outSpatial as [number, number];
  const [kh, kw] = [w.dims[2]!, w.dims[3]!];
  const m = w.dims[0]!; const mg = m / group; const cg = c / group;
  const n = oh * ow;
  if (isDepthwise(w, group, outType) && geo.strides[1]! <= 2) {
    return withScratch(rt, (s) => {
      const wts = st?.dw ?? packDepthwise(rt, s, w, wz);
      const [sh, sw] = geo.strides as [number, number]; const [dh, dw] = geo.dilations as [number, number];
      const xp = rt.inputBytes(x, s);
      const out = rt.output([nb, m, oh, ow], outType === 'int8' ? 'int8' : 'uint8');
      const y = out.ptr;
      const { bias: biasP, scale: scaleP, zy } = tables(s);
      const signed = isSigned(x) ? 1 : 0; const zx = numbersOf(xz)[0] ?? 0;
      if (kh === 3 && kw === 3 && dh === 1 && dw === 1 && sh === sw && sh <= 2) {
        const { hp, wp } = rowPairPlane(geo, h, wd, oh, ow);
        const pad = s.alloc(c * hp * wp * 2 + 256);
        new Uint8Array(rt.memory.buffer, pad + c * hp * wp * 2, 256).fill(0);
        for (let b = 0; b < nb; b++) {
          rt.parallelFor('int8_dw3', [xp + b * c * h * wd, h, wd, hp, wp, geo.pads[0]!, geo.pads[1]!, signed, zx, pad,
            wts, sh, oh, ow, biasP, scaleP, zy, outType === 'int8' ? 1 : 0, y + b * m * n], c, c * (hp * wp + n * 9));
        }
        return out.tensor;
      }
      const { hp, wp } = paddedPlane(geo, h, wd, kh, kw, oh, ow);
      const pad = s.alloc((c * hp * wp + 128) * 2);
      new Int16Array(rt.memory.buffer, pad + c * hp * wp * 2, 128).fill(0);
      for (let b = 0; b < nb; b++) {
        rt.parallelFor('int8_dw_pad', [xp + b * c * h * wd, h, wd, hp, wp, geo.pads[0]!, geo.pads[1]!, signed, zx, pad], c, c * hp * wp);
        rt.parallelFor('int8_dw_conv', [pad, hp, wp, wts, kh, kw, sh, sw, dh, dw, oh, ow, biasP, scaleP, zy, outType === 'int8' ? 1 : 0,
          y + b * m * n], c, c * n * kh * kw);
      }
      return out.tensor;
    });
  }
  return withScratch(rt, (s) => {
    const pw = st?.w ?? packWeights(rt, s, node, w, wz, group);
    const k = pw.k;
    const xp = rt.inputBytes(x, s);
    const zx = numbersOf(xz)[0] ?? 0;
    const signed = isSigned(x);
    const esz = outType === 'int32' ? 4 : 1;
    const out = rt.output([nb, m, oh, ow], outType === 'int32' ? 'int32' : outType === 'int8' ? 'int8' : 'uint8');
    const y = out.ptr;
    const bp = s.alloc(int8PackedBytes(rt, 'b', n, k));
    const { bias: biasP, scale: scaleP, zy } = tables(s);
    const mode = outType === 'int32' ? OUT_I32 : outType === 'int8' ? OUT_I8 : OUT_U8;
    const pointwise = kh === 1 && kw === 1 && geo.strides.every((v) => v === 1) && geo.pads.every((v) => v === 0);
    const [sh, sw] = geo.strides as [number, number]; const [dh, dw] = geo.dilations as [number, number];
    const { hp, wp } = paddedPlane(geo, h, wd, kh, kw, oh, ow);
    const pad = pointwise ? 0 : s.alloc((c * hp * wp + 128) * 2);
    if (pad) new Int16Array(rt.memory.buffer, pad + c * hp * wp * 2, 128).fill(0);
    const tab = pointwise ? 0 : tapTable(rt, s, cg, kh, kw, hp * wp, wp, dh, dw);
    for (let b = 0; b < nb; b++) {
      if (pad) rt.parallelFor('int8_dw_pad', [xp + b * c * h * wd, h, wd, hp, wp, geo.pads[0]!, geo.pads[1]!, signed ? 1 : 0, zx, pad], c, c * hp * wp);
      for (let g = 0; g < group; g++) {
        if (pointwise) int8PackB(rt, xp + (b * c + g * cg) * h * wd, h * wd, 1, k, n, signed, 0, zx, bp);
        else {
          rt.parallelFor('int8_im2col_padded', [pad + g * cg * hp * wp * 2, tab, k, wp, ow, n, sh, sw, bp], Math.ceil(n / 8), n * k);
        }
        int8Gemm(rt, pw.ptrs[g]!, bp, y + ((b * m + g * mg) * n) * esz, n, mg, n, k, {
          mode, bias: biasP ? biasP + g * mg * 4 : 0, scale: scaleP ? scaleP + g * mg * 8 : 0, byRow: true, zy,
        });
      }
    }
    return out.tensor;
  });
}

const qLinearConv = defineWasmKernel(QLinearConv, {
  supports: (q) => int8Support(q, [0, 3, 7], 'conv'),
  create: ({ constants, node, attrs }, rt): ConvState => {
    const w = constants[3];
    if (!w || w.dims.length !== 4 || !packable(node, constants, 3, 5)) return {};
    // Scales, the output zero point and the bias constant (or omitted): epilogue tables now.
    const fixed = [1, 4, 6].every((i) => constants[i] !== undefined) && [7, 8].every((i) => constants[i] !== undefined || !node.inputs[i]);
    const epi = fixed ? qlinearTables(rt, undefined, w.dims[0]!, constants[1], constants[4], constants[6], constants[7], constants[8]) : undefined;
    if (isDepthwise(w, attrs.group, constants[7]?.type ?? 'uint8')) return { dw: packDepthwise(rt, undefined, w, constants[5]), epi };
    return { w: packWeights(rt, undefined, node, w, constants[5], attrs.group), epi };
  },
  dispose: (st, rt) => {
    for (const p of st.w?.ptrs ?? []) rt.free(p);
    if (st.dw) rt.free(st.dw);
    if (st.epi) { if (st.epi.bias) rt.free(st.epi.bias); rt.free(st.epi.scale); }
  },
  run: ({ inputs: [x, xs, xz, w, ws, wz, ys, yz, bias], outputs: [o], node, attrs, state }, rt) => {
    const m = w!.dims[0]!;
    const tables = (s: Scratch) => state?.epi ?? qlinearTables(rt, s, m, xs, ws, ys, yz, bias);
    return [runConv(rt, node, attrs, state, x!, xz, w!, wz, o?.dtype ?? yz!.type, tables)];
  },
});

const convInteger = defineWasmKernel(ConvInteger, {
  supports: (q) => int8Support(q, [0, 1], 'conv'),
  create: ({ constants, node, attrs }, rt): ConvState => {
    const w = constants[1];
    return w && w.dims.length === 4 && packable(node, constants, 1, 3) ? { w: packWeights(rt, undefined, node, w, constants[3], attrs.group) } : {};
  },
  dispose: (st, rt) => { for (const p of st.w?.ptrs ?? []) rt.free(p); },
  run: ({ inputs: [x, w, xz, wz], node, attrs, state }, rt) => [runConv(rt, node, attrs, state, x!, xz, w!, wz, 'int32', () => ({ bias: 0, scale: 0, zy: 0 }))],
});

/** The int8 convolution `wasm` kernels. */
export const INT8_CONV_WASM_KERNELS: readonly AnyWasmKernel[] = [qLinearConv, convInteger];
