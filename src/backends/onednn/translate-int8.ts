/**
 * Per-op translators of the quantized ops (QDQ models after `fuse-qdq`): QuantizeLinear and
 * DequantizeLinear (per tensor or per axis, uint8 / int8) become oneDNN reorders with scales and
 * a zero point; QLinearConv (groups and depthwise too) and QLinearMatMul become oneDNN's int8
 * convolution / matmul (u8 or s8 activations × s8 weights, int32 accumulation, output scales
 * x_scale·w_scale[c]/y_scale, runtime src/dst zero points; see {@link Int8Fields}). Float ops
 * between a DequantizeLinear and a QuantizeLinear stay float32 islands translated as usual, except
 * the residual Add (+ Relu), which becomes one int8 binary or folds into the int8 convolution
 * producing one operand (`int8-residual.ts`), and MaxPool, which pools the 8-bit
 * tensor ({@link fuseQuantizedMaxPool}).
 *
 * Weights with a nonzero zero point (or uint8 weights) are shifted to s8 here (w − w_zp) when the
 * result fits in -128..127; otherwise the node is declined. The int32 bias B is passed as f32 (exact
 * up to |B| ≤ 2^24, else declined), since oneDNN 2.6 adds the bias before the output scales.
 *
 * Source: ONNX operator spec (QuantizeLinear, DequantizeLinear, QLinearConv, QLinearMatMul);
 * oneDNN 2.6 developer guide ("Int8 computation", "Primitive attributes: quantization").
 * @module
 */
import type { TensorData } from '../../ir/tensor-data.js';
import { windowGeometry, windowParams } from '../../ops/nn-shape.js';
import type { EngineDType } from './spec.js';
import { fuseQuantizedMaxPool, privateTensor } from './int8-fuse.js';
import { emitResidualConv, planResidualConv } from './int8-residual.js';
import { decline, econst, FLT_MAX, sameDims, type NodeCtx, type Translator } from './translate-builder.js';

/** Engine dtype of an ONNX 8-bit type; `undefined` for others. */
function q8(type: string | undefined): 'u8' | 's8' | undefined {
  return type === 'uint8' ? 'u8' : type === 'int8' ? 's8' : undefined;
}

/** The constant input `i` (declines a computed tensor or an omitted input when `required`). */
function constAt(ctx: NodeCtx, i: number, what: string): TensorData | undefined {
  const v = ctx.inputs[i];
  if (!v) return undefined;
  if (v.kind !== 'const') decline(ctx, `${what} must be a constant (initializer)`);
  return v.data;
}

function numbers(t: TensorData): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Positive finite float32 scales of input `i`. */
function scalesAt(ctx: NodeCtx, i: number, what: string): number[] {
  const t = constAt(ctx, i, what);
  if (!t || (t.type !== 'float32' && t.type !== 'float64')) decline(ctx, `${what} must be a float32 constant`);
  const s = numbers(t);
  if (s.length === 0 || s.some((v) => !(v > 0) || !Number.isFinite(v))) decline(ctx, `${what} must be finite and > 0`);
  return s;
}

/** A single zero point of input `i` (all equal), 0 when omitted, with its engine dtype. */
function zeroPointAt(ctx: NodeCtx, i: number, what: string, dflt: 'u8' | 's8' = 'u8'): { z: number; dtype: 'u8' | 's8' } {
  const t = constAt(ctx, i, what);
  if (!t) return { z: 0, dtype: dflt };
  const dtype = q8(t.type);
  if (!dtype) decline(ctx, `${what} of type ${t.type} (uint8 or int8 only)`);
  const z = numbers(t);
  if (z.some((v) => v !== z[0])) decline(ctx, `${what} varies along the axis (oneDNN 2.6 reorders take one zero point)`);
  return { z: z[0] ?? 0, dtype };
}

/** The normalized `axis` of per-axis scales of length `n` over `dims`, or undefined for per-tensor. */
function axisOf(ctx: NodeCtx, dims: readonly number[], n: number): number | undefined {
  if (n === 1) return undefined;
  if ((ctx.attrs['block_size'] as number | undefined) ?? 0) decline(ctx, 'blocked quantization (block_size)');
  const a = (ctx.attrs['axis'] as number | undefined) ?? 1;
  const axis = a < 0 ? a + dims.length : a;
  if (axis < 0 || axis >= dims.length || dims[axis] !== n) decline(ctx, `per-axis scales of length ${n} do not match dims[${a}]`);
  return axis;
}

/** QuantizeLinear: f32 tensor → u8/s8. */
const quantizeLinear: Translator = (ctx) => {
  const { b } = ctx;
  const src = b.tensorOf(ctx, ctx.inputs[0], 'x');
  if (b.dtype(src) !== 'f32') decline(ctx, 'QuantizeLinear of a non-float32 input');
  if (((ctx.attrs['output_dtype'] as number | undefined) ?? 0) !== 0) decline(ctx, 'QuantizeLinear with output_dtype');
  if (((ctx.attrs['saturate'] as number | undefined) ?? 1) !== 1) decline(ctx, 'QuantizeLinear with saturate 0');
  const scales = scalesAt(ctx, 1, 'y_scale');
  const { z, dtype } = zeroPointAt(ctx, 2, 'y_zero_point');
  const axis = axisOf(ctx, b.dims(src), scales.length);
  if (axis === undefined) {
    const fused = residualAdd(ctx, src, scales[0]!, z, dtype) ?? (b.fold ? fuseQuantizedMaxPool(b, src, scales[0]!, z, dtype) : undefined);
    if (fused !== undefined) { b.bind(ctx.node.outputs[0], fused); return; }
  }
  const dst = b.tensor(ctx.outDims[0]!, dtype);
  b.emit({ kind: 'quantize', src, dst, scales: Float32Array.from(scales), zeroPoint: z, ...(axis !== undefined ? { axis } : {}) });
  b.bind(ctx.node.outputs[0], dst);
};

/**
 * The int8 residual Add: when `src` (the QuantizeLinear's input) is `Add(DequantizeLinear(p),
 * DequantizeLinear(q))`, optionally followed by Relu, over full-size tensors p and q of the output's
 * 8-bit type, quantized per tensor, with every intermediate read only along this chain, emits one
 * binary over p and q with scales [s_p, s_q] and post-ops linear(1/s_y, z_y − (s_p·z_p + s_q·z_q)/s_y)
 * [then clip(z_y, ∞) for the Relu: round(max(v, 0)/s_y) + z_y = round(max(v/s_y + z_y, z_y)) for an
 * integer z_y], drops the float island's ops and returns the quantized tensor; else undefined.
 * When one operand is the output of an int8 conv read only here (and folding is on), that conv
 * absorbs the Add instead, as a `sum` post-op ({@link planResidualConv}, {@link emitResidualConv}).
 */
function residualAdd(ctx: NodeCtx, src: number, sy: number, zy: number, dtype: 'u8' | 's8'): number | undefined {
  const { b } = ctx;
  if (!privateTensor(b, src)) return undefined;
  let k = b.producerOf(src);
  if (k === undefined) return undefined;
  let relu = false; let reluOp: number | undefined;
  const isRelu = (op: ReturnType<typeof b.op>): boolean => op.kind === 'eltwise' && op.alg === 'relu' && op.alpha === 0;
  const first = b.op(k);
  if (isRelu(first) && first.kind === 'eltwise') {
    if (b.readsOf(first.src) !== 1 || !privateTensor(b, first.src)) return undefined;
    reluOp = k; relu = true;
    k = b.producerOf(first.src);
    if (k === undefined) return undefined;
  }
  const add = b.op(k);
  if (add.kind !== 'binary' || add.alg !== 'add' || add.srcScales || typeof add.a !== 'number' || typeof add.b !== 'number') return undefined;
  const post = b.postOpsOf(k);
  if (post.length > 1 || (post.length === 1 && (relu || post[0]!.kind !== 'eltwise' || post[0]!.alg !== 'relu' || post[0]!.alpha !== 0))) return undefined;
  if (post.length === 1) relu = true;
  const dqs = [add.a, add.b].map((t) => {
    const j = b.producerOf(t);
    const op = j === undefined ? undefined : b.op(j);
    if (!op || op.kind !== 'dequantize' || op.scales.length !== 1 || b.readsOf(t) !== 1 || !privateTensor(b, t)) return undefined;
    if (b.dtype(op.src) !== dtype || !sameDims(b.dims(op.src), b.dims(add.dst))) return undefined;
    return { j: j!, op };
  });
  if (!dqs[0] || !dqs[1] || add.a === add.b) return undefined;
  const fold = b.fold ? planResidualConv(b, [dqs[0], dqs[1]], dtype) : undefined;
  for (const j of [dqs[0].j, dqs[1].j, k, ...(reluOp !== undefined ? [reluOp] : [])]) b.removeOp(j);
  if (fold) return emitResidualConv(b, fold, relu, sy, zy);
  const [p, q] = [dqs[0].op, dqs[1].op];
  const c = p.scales[0]! * p.zeroPoint + q.scales[0]! * q.zeroPoint;
  const dst = b.tensor(b.dims(add.dst), dtype);
  b.emit({
    kind: 'binary', alg: 'add', a: p.src, b: q.src, dst, srcScales: [p.scales[0]!, q.scales[0]!],
    postOps: [{ kind: 'eltwise', alg: 'linear', alpha: 1 / sy, beta: zy - c / sy },
      ...(relu ? [{ kind: 'eltwise' as const, alg: 'clip' as const, alpha: zy, beta: FLT_MAX }] : [])],
  });
  return dst;
}

/** DequantizeLinear: u8/s8 tensor → f32. */
const dequantizeLinear: Translator = (ctx) => {
  const { b } = ctx;
  const src = b.tensorOf(ctx, ctx.inputs[0], 'x');
  const st = b.dtype(src);
  if (st !== 'u8' && st !== 's8') decline(ctx, `DequantizeLinear of a ${st} input (uint8 or int8 only)`);
  const scales = scalesAt(ctx, 1, 'x_scale');
  const { z } = zeroPointAt(ctx, 2, 'x_zero_point', st);
  const axis = axisOf(ctx, b.dims(src), scales.length);
  const dst = b.tensor(ctx.outDims[0]!, 'f32');
  b.emit({ kind: 'dequantize', src, dst, scales: Float32Array.from(scales), zeroPoint: z, ...(axis !== undefined ? { axis } : {}) });
  b.bind(ctx.node.outputs[0], dst);
};

/**
 * Weights `w` (uint8/int8, `channels` along dim `axis`) minus their zero point(s) as s8, and
 * the per-channel scales.
 */
function s8Weights(ctx: NodeCtx, w: TensorData, wScale: number[], wZp: TensorData | undefined, channels: number, axis: number): Int8Array {
  if (!q8(w.type)) decline(ctx, `weights of type ${w.type} (uint8 or int8 only)`);
  if (wScale.length !== 1 && wScale.length !== channels) decline(ctx, `w_scale has ${wScale.length} values for ${channels} output channels`);
  const zs = wZp ? numbers(wZp) : [0];
  if (zs.length !== 1 && zs.length !== channels) decline(ctx, `w_zero_point has ${zs.length} values for ${channels} output channels`);
  const vals = numbers(w);
  if (w.type === 'int8' && zs.every((v) => v === 0)) return w.data as Int8Array;
  const dims = w.dims;
  const inner = dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  const out = new Int8Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    const c = Math.floor(i / inner) % dims[axis]!;
    const v = vals[i]! - zs[zs.length === 1 ? 0 : c]!;
    if (v < -128 || v > 127) decline(ctx, 'weights minus their zero point do not fit int8 (oneDNN 2.6 has no weight zero points for convolution)');
    out[i] = v;
  }
  return out;
}

/** Output scales x_scale·w_scale[c]/y_scale as float32. */
function outputScales(sx: number, sw: readonly number[], sy: number): Float32Array {
  return Float32Array.from(sw, (s) => (sx * s) / sy);
}

/** The int32 bias input `i` as f32 values (exact). */
function biasAt(ctx: NodeCtx, i: number, channels: number): Float32Array | undefined {
  const t = constAt(ctx, i, 'bias B');
  if (!t) return undefined;
  if (t.type !== 'int32') decline(ctx, `bias B of type ${t.type} (int32 only)`);
  const v = numbers(t);
  if (v.length !== channels) decline(ctx, `bias B has ${v.length} values for ${channels} channels`);
  if (v.some((x) => Math.abs(x) > 2 ** 24)) decline(ctx, 'bias B beyond ±2^24 (not exact in float32)');
  return Float32Array.from(v);
}

/** Destination dtype of a QLinear op from its y_zero_point (uint8 when omitted). */
function dstType(ctx: NodeCtx, i: number): { z: number; dtype: EngineDType } {
  return zeroPointAt(ctx, i, 'y_zero_point');
}

/** QLinearConv (x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B). */
const qlinearConv: Translator = (ctx) => {
  const { b, node } = ctx;
  const src = b.tensorOf(ctx, ctx.inputs[0], 'x');
  if (b.dtype(src) !== 'u8' && b.dtype(src) !== 's8') decline(ctx, 'QLinearConv x must be uint8 or int8');
  const dims = b.dims(src); const r = dims.length - 2;
  if (r < 1 || r > 3) decline(ctx, `QLinearConv with ${r} spatial dims`);
  const sx = scalesAt(ctx, 1, 'x_scale'); const zx = zeroPointAt(ctx, 2, 'x_zero_point').z;
  const w = constAt(ctx, 3, 'w');
  if (!w) return decline(ctx, 'w is missing');
  const channels = w.dims[0]!;
  const sw = scalesAt(ctx, 4, 'w_scale');
  const wq = s8Weights(ctx, w, sw, constAt(ctx, 5, 'w_zero_point'), channels, 0);
  const sy = scalesAt(ctx, 6, 'y_scale'); const y = dstType(ctx, 7);
  if (sx.length !== 1 || sy.length !== 1) decline(ctx, 'per-axis x_scale or y_scale');
  const bias = biasAt(ctx, 8, channels);
  const p = windowParams(node, r, ctx.attrs as never, w.dims.slice(2));
  const g = windowGeometry(node, dims.slice(2), p);
  const dst = b.tensor(ctx.outDims[0]!, y.dtype);
  b.emit({
    kind: 'conv', src, dst, weights: econst(w.dims, wq), ...(bias ? { bias: econst([channels], bias) } : {}),
    strides: p.strides, padsBegin: g.padsBegin, padsEnd: g.padsEnd, dilations: p.dilations, groups: ctx.attrs['group'] as number,
    postOps: [], outputScales: outputScales(sx[0]!, sw, sy[0]!), srcZeroPoint: zx, dstZeroPoint: y.z,
  });
  b.bind(node.outputs[0], dst);
};

/** QLinearMatMul (a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp) with a constant 2-D b. */
const qlinearMatMul: Translator = (ctx) => {
  const { b, node } = ctx;
  const a = b.tensorOf(ctx, ctx.inputs[0], 'a');
  if (b.dtype(a) !== 'u8' && b.dtype(a) !== 's8') decline(ctx, 'QLinearMatMul a must be uint8 or int8');
  const ad = b.dims(a);
  if (ad.length < 2) decline(ctx, 'QLinearMatMul with a 1-D a');
  const sa = scalesAt(ctx, 1, 'a_scale'); const za = zeroPointAt(ctx, 2, 'a_zero_point').z;
  const w = constAt(ctx, 3, 'b');
  if (!w || w.dims.length !== 2) return decline(ctx, 'QLinearMatMul b must be a 2-D constant');
  const n = w.dims[1]!;
  const sb = scalesAt(ctx, 4, 'b_scale');
  const wq = s8Weights(ctx, w, sb, constAt(ctx, 5, 'b_zero_point'), n, 1);
  const sy = scalesAt(ctx, 6, 'y_scale'); const y = dstType(ctx, 7);
  if (sa.length !== 1 || sy.length !== 1) decline(ctx, 'per-axis a_scale or y_scale');
  const out = ctx.outDims[0]!;
  const wdims = [...new Array<number>(ad.length - 2).fill(1), ...w.dims];
  const dst = b.tensor(out, y.dtype);
  b.emit({
    kind: 'matmul', a, b: econst(wdims, wq), dst, postOps: [],
    outputScales: outputScales(sa[0]!, sb, sy[0]!), srcZeroPoint: za, dstZeroPoint: y.z,
  });
  b.bind(node.outputs[0], dst);
};

/** The int8 translators, keyed `domain::opType`. */
export const INT8_TRANSLATORS: ReadonlyMap<string, Translator> = new Map<string, Translator>([
  ['::QuantizeLinear', quantizeLinear], ['::DequantizeLinear', dequantizeLinear],
  ['::QLinearConv', qlinearConv], ['::QLinearMatMul', qlinearMatMul],
]);
