/**
 * QDQ → integer op fusion: the QDQ pattern of a statically quantized model
 *
 *   DequantizeLinear(x_q) ─┐
 *   DequantizeLinear(w_q) ─┼─ Conv / MatMul ─ [Relu | Clip] ─ QuantizeLinear → y_q
 *   [DequantizeLinear(b_q) or float bias] ┘
 *
 * (a BatchNormalization with constant parameters may sit between Conv and the activation; it is
 * folded into the weight scales and the bias) becomes one `QLinearConv` / `QLinearMatMul` (standard ONNX ops, so exported files stay
 * standard) reading x_q and w_q directly, the bias converted to int32 at scale s_x·s_w[c]
 * (rounded half to even). A Relu or Clip between the op and the QuantizeLinear is absorbed only
 * when the output quantization's own clamp already implies it (Relu: y_zero_point is the lowest
 * quantized value; Clip: its bounds quantize to the ends of the range or beyond), so the result equals
 * the unfused graph up to the rounding of the requantization (within one quantization step).
 *
 * Conditions: every consumed intermediate (the weight's DequantizeLinear output, the op's and the
 * activation's outputs) has exactly one reader and is no graph output — x's DequantizeLinear may
 * have other readers (a residual Add, a sibling Conv reading the same activation), it then stays
 * for them; x_q's dtype equals y_q's;
 * scales and zero points are initializers; s_x and s_y per-tensor; the weight w_q is an int8/uint8
 * initializer whose scale is per-tensor or per output channel (Conv: axis 0, length M; MatMul:
 * B 2-D, axis 1, length N); no `block_size`; the capability oracle accepts the fused node in place
 * of the Conv/MatMul. The rule sits on the QuantizeLinear (the last node of the chain); the
 * consumed producers are left to dead-code elimination. Run it before constant folding (which
 * would fold the weights' DequantizeLinear into float initializers).
 *
 * Source: ONNX operator spec (QLinearConv, QLinearMatMul, QuantizeLinear, DequantizeLinear);
 * onnxruntime `qdq_transformer/qdq_selector_action_transformer.cc` (the same patterns).
 * @module
 */
import type { DType } from '../ir/dtype.js';
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import type { RewriteCtx, RewriteRule } from './pass-manager.js';

/** Lowest and highest value of an 8-bit quantized type. */
const RANGE: Partial<Record<DType, [number, number]>> = { uint8: [0, 255], int8: [-128, 127] };

interface Maps { producers: Map<string, Node> }
const mapsOf = new WeakMap<RewriteCtx, Maps>();
function producer(ctx: RewriteCtx, name: string): Node | undefined {
  let m = mapsOf.get(ctx);
  if (!m) { m = { producers: ctx.graph.producers() }; mapsOf.set(ctx, m); }
  return m.producers.get(name);
}

function singleUse(ctx: RewriteCtx, name: string): boolean {
  return ctx.uses.get(name) === 1 && !ctx.outputs.has(name);
}

function numbers(t: TensorData): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

function intAttr(n: Node, key: string, dflt: number): number {
  const a = n.attributes.get(key);
  return a && typeof a.value === 'number' ? a.value : dflt;
}

/** The quantization of a DequantizeLinear / QuantizeLinear node: scale, zero point (names and values). */
interface Quant {
  readonly node: Node;
  readonly scale: string;
  readonly zp: string;
  readonly s: number[];
  readonly z: number[];
  readonly dtype: DType;
}

/** Reads (de)quantization parameters; `undefined` unless they are initializers and dtype 8-bit. */
function quantOf(g: Graph, n: Node, dtype: DType | undefined): Quant | undefined {
  if (!dtype || !RANGE[dtype] || intAttr(n, 'block_size', 0) !== 0) return undefined;
  const s = g.initializers.get(n.inputs[1] ?? '');
  if (!s || s.type !== 'float32') return undefined;
  const zpName = n.inputs[2] ?? '';
  const zt = zpName ? g.initializers.get(zpName) : undefined;
  if (zpName && (!zt || zt.type !== dtype)) return undefined;
  return { node: n, scale: n.inputs[1]!, zp: zpName, s: numbers(s), z: zt ? numbers(zt) : [0], dtype };
}

/** A fresh initializer name derived from `base`. */
function freshName(g: Graph, base: string): string {
  const producers = g.producers();
  for (let k = 0; ; k++) {
    const c = k ? `${base}_${k}` : base;
    if (!g.initializers.has(c) && !g.valueInfo.has(c) && !producers.has(c) && !g.inputs.some((v) => v.name === c)) return c;
  }
}

/** The zero-point input name of `q`, creating a scalar zero initializer of its dtype when omitted. */
function zpInput(g: Graph, q: Quant, base: string): string {
  if (q.zp) return q.zp;
  const name = freshName(g, `${base}_zero_point`);
  g.initializers.set(name, { type: q.dtype, dims: [], data: q.dtype === 'int8' ? new Int8Array(1) : new Uint8Array(1) });
  return name;
}

/** Whether activation `act` is implied by the clamp of output quantization `y`. */
function absorbed(g: Graph, act: Node, y: Quant): boolean {
  const [qmin, qmax] = RANGE[y.dtype]!;
  const zy = y.z[0]!; const sy = y.s[0]!;
  if (act.opType === 'Relu') return zy === qmin;
  if (act.opType !== 'Clip') return false;
  const get = (i: number): number | undefined => {
    const name = act.inputs[i];
    if (!name) return undefined;
    const t = g.initializers.get(name);
    return t && t.data.length === 1 ? Number((t.data as ArrayLike<number>)[0]) : NaN;
  };
  const lo = get(1) ?? -Infinity; const hi = get(2) ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi)) return false;
  // Clip(v) quantizes like v when its bounds round to (or past) the ends of the range.
  return lo / sy + zy <= qmin + 0.5 && hi / sy + zy >= qmax - 0.5;
}

/** The float values of a bias input: a float32 initializer or DequantizeLinear of an int32 one. */
function floatBias(ctx: RewriteCtx, name: string): number[] | undefined {
  const g = ctx.graph;
  let values: number[] | undefined;
  const init = g.initializers.get(name);
  if (init?.type === 'float32') values = numbers(init);
  else {
    const dq = producer(ctx, name);
    if (!dq || dq.opType !== 'DequantizeLinear' || dq.domain || !singleUse(ctx, name)) return undefined;
    const bq = g.initializers.get(dq.inputs[0] ?? ''); const bs = g.initializers.get(dq.inputs[1] ?? '');
    const bz = dq.inputs[2] ? g.initializers.get(dq.inputs[2]) : undefined;
    if (!bq || bq.type !== 'int32' || !bs || (dq.inputs[2] && !bz)) return undefined;
    const s = numbers(bs); const z = bz ? numbers(bz) : [0];
    values = numbers(bq).map((v, i) => (v - z[z.length === 1 ? 0 : i]!) * s[s.length === 1 ? 0 : i]!);
  }
  return values;
}

/** The int32 bias initializer for channel scales fround(s_x·s_w[c]). */
function int32Bias(g: Graph, values: readonly number[], sx: number, sw: readonly number[], channels: number, base: string): string | undefined {
  if (values.length !== channels) return undefined;
  const q = values.map((v, c) => {
    const x = v / Math.fround(sx * sw[sw.length === 1 ? 0 : c]!);
    const r = Math.round(x);
    return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r; // half to even
  });
  if (q.some((v) => !Number.isFinite(v) || Math.abs(v) > 2 ** 31 - 1)) return undefined;
  const out = freshName(g, `${base}_bias_int32`);
  g.initializers.set(out, { type: 'int32', dims: [channels], data: Int32Array.from(q) });
  return out;
}

/**
 * Folds BatchNormalization (constant parameters) after a quantized Conv into the weight scales
 * and the bias: a[c] = γ[c] / √(σ²[c] + ε); s_w'[c] = fround(s_w[c]·|a[c]|), the int8 weights of
 * channels with a[c] < 0 negated (only with a zero weight zero point; −128 saturates to 127),
 * b'[c] = (b[c] − μ[c])·a[c] + β[c]. New initializers for the scales (and weights if negated).
 */
function foldBatchNorm(g: Graph, bn: Node, wq: TensorData, w: Quant, bias: number[] | undefined, channels: number, base: string):
  { wName?: string; sName: string; sw: number[]; bias: number[] } | undefined {
  const p = bn.inputs.slice(1, 5).map((n) => g.initializers.get(n));
  if (p.some((t) => !t || t.type !== 'float32' || t.data.length !== channels)) return undefined;
  const [gamma, beta, mean, variance] = p.map((t) => numbers(t!)) as [number[], number[], number[], number[]];
  const eps = (() => { const a = bn.attributes.get('epsilon'); return a && typeof a.value === 'number' ? a.value : 1e-5; })();
  const a = gamma.map((v, c) => v / Math.sqrt(variance[c]! + eps));
  const neg = a.some((v) => v < 0);
  if (neg && (w.z.some((z) => z !== 0) || wq.type !== 'int8')) return undefined;
  const sw = a.map((v, c) => Math.fround(w.s[w.s.length === 1 ? 0 : c]! * Math.abs(v)));
  if (sw.some((v) => !(v > 0) || !Number.isFinite(v))) return undefined;
  const sName = freshName(g, `${base}_w_scale_bn`);
  g.initializers.set(sName, { type: 'float32', dims: [channels], data: Float32Array.from(sw) });
  let wName: string | undefined;
  if (neg) {
    const per = wq.data.length / channels;
    const data = Int8Array.from(wq.data as Int8Array, (v, i) => (a[Math.floor(i / per)]! < 0 ? Math.min(127, -v) : v));
    wName = freshName(g, `${base}_weight_bn`);
    g.initializers.set(wName, { type: 'int8', dims: [...wq.dims], data });
  }
  return { wName, sName, sw, bias: a.map((v, c) => ((bias?.[c] ?? 0) - mean[c]!) * v + beta[c]!) };
}

/** The fused QLinearConv / QLinearMatMul replacing QuantizeLinear `qNode`, or `undefined`. */
function fuseQdq(qNode: Node, ctx: RewriteCtx): Node | undefined {
  const g = ctx.graph;
  if (qNode.domain || intAttr(qNode, 'output_dtype', 0) !== 0) return undefined;
  const yq = qNode.outputs[0]!;
  const y = quantOf(g, qNode, g.valueInfo.get(yq)?.dtype);
  if (!y || y.s.length !== 1 || y.z.length !== 1) return undefined;
  let op = producer(ctx, qNode.inputs[0]!);
  if (!op || !singleUse(ctx, qNode.inputs[0]!)) return undefined;
  if (!op.domain && (op.opType === 'Relu' || op.opType === 'Clip')) {
    if (!absorbed(g, op, y)) return undefined;
    const inner = producer(ctx, op.inputs[0]!);
    if (!inner || !singleUse(ctx, op.inputs[0]!)) return undefined;
    op = inner;
  }
  let bn: Node | undefined;
  if (!op.domain && op.opType === 'BatchNormalization' && op.outputs.filter(Boolean).length === 1) {
    bn = op;
    op = producer(ctx, bn.inputs[0]!);
    if (!op || op.opType !== 'Conv' || !singleUse(ctx, bn.inputs[0]!)) return undefined;
  }
  if (op.domain || (op.opType !== 'Conv' && op.opType !== 'MatMul')) return undefined;
  const isConv = op.opType === 'Conv';
  const [xName, wName, bName] = op.inputs;
  const dqx = producer(ctx, xName ?? ''); const dqw = producer(ctx, wName ?? '');
  if (!dqx || !dqw || dqx.opType !== 'DequantizeLinear' || dqw.opType !== 'DequantizeLinear' || dqx.domain || dqw.domain) return undefined;
  // x's DequantizeLinear may have other readers (a residual Add, a sibling Conv): the fused node
  // reads x_q itself and the DequantizeLinear stays for them (onnxruntime duplicates it instead).
  if (!singleUse(ctx, wName!)) return undefined;
  const xdt = g.valueInfo.get(dqx.inputs[0]!)?.dtype ?? g.initializers.get(dqx.inputs[0]!)?.type;
  const x = quantOf(g, dqx, xdt);
  if (!x || x.dtype !== y.dtype || x.s.length !== 1 || x.z.length !== 1) return undefined;
  const wq = g.initializers.get(dqw.inputs[0]!);
  const w = wq ? quantOf(g, dqw, wq.type) : undefined;
  if (!wq || !w) return undefined;
  const channels = isConv ? wq.dims[0]! : wq.dims[1]!;
  if (!isConv && wq.dims.length !== 2) return undefined;
  if (w.s.length > 1 || w.z.length > 1) {
    const rank = wq.dims.length;
    const axis = intAttr(dqw, 'axis', 1);
    const want = isConv ? 0 : 1;
    if ((axis < 0 ? axis + rank : axis) !== want || w.s.length !== channels || (w.z.length > 1 && w.z.length !== channels)) return undefined;
  }
  const base = op.name || yq;
  let bias = bName ? floatBias(ctx, bName) : undefined;
  if (bName && (!bias || !isConv)) return undefined;
  let wqName = dqw.inputs[0]!; let sName = w.scale; let sw = w.s;
  if (bn) {
    const folded = foldBatchNorm(g, bn, wq, w, bias, channels, base);
    if (!folded) return undefined;
    wqName = folded.wName ?? wqName; sName = folded.sName; sw = folded.sw; bias = folded.bias;
  }
  const inputs = [dqx.inputs[0]!, x.scale, zpInput(g, x, base + '_x'), wqName, sName, zpInput(g, w, base + '_w'),
    y.scale, zpInput(g, y, base + '_y')];
  if (bias) {
    const b = int32Bias(g, bias, x.s[0]!, sw, channels, base);
    if (!b) return undefined;
    inputs.push(b);
  }
  const fused: Node = {
    name: `${base}_qlinear`, opType: isConv ? 'QLinearConv' : 'QLinearMatMul', domain: '', inputs, outputs: [yq],
    attributes: isConv ? new Map(op.attributes) : new Map(),
  };
  return ctx.canReplace(fused, op) ? fused : undefined;
}

/** The QDQ fusion rules (on QuantizeLinear); see the module comment. */
export const QDQ_FUSION_RULES: readonly RewriteRule[] = [{
  opType: 'QuantizeLinear', name: 'qdq-to-qlinear',
  apply: (node, ctx) => {
    const before = new Set(ctx.graph.initializers.keys());
    const fused = fuseQdq(node, ctx);
    if (fused) return { replace: [fused] };
    // Initializers made for a fusion that did not happen go again.
    for (const k of [...ctx.graph.initializers.keys()]) if (!before.has(k)) ctx.graph.initializers.delete(k);
    return undefined;
  },
}];
