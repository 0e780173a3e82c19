/**
 * Folding of per-channel affine ops into the weights of the Conv or Gemm before them (`extended`
 * level). Each folded op is `y = a[c] · x + b[c]` over the producer's output channel `c` (dim 1):
 * - `BatchNormalization` in inference form: `a = scale / sqrt(var + epsilon)`, `b = B - mean · a`;
 * - `Mul` / `Div` by a constant: `a = k` / `a = 1 / k`, `b = 0`;
 * - `Add` / `Sub` of a constant: `a = 1`, `b = ±k`.
 * The producer becomes one node with `W'[c, …] = W[c, …] · a[c]` and bias `B'[c] = B[c] · a[c] + b[c]`
 * (created when absent and `b` is not all zero). For Gemm (`Y = alpha · A' · B' + beta · C`, output `[M, N]`),
 * column `n` of `B'` is scaled and `C' = beta · C · a + b` with `beta = 1`.
 *
 * The rule sits on the folded op and returns the new producer, named after the original and
 * producing the folded op's outputs; the old producer is left to dead-code elimination. It does
 * not fire unless: the producer's output has exactly this one reader and is not a graph output;
 * weights, bias and the folded op's operands are float32 initializers; the constant broadcasts
 * per channel only; BatchNormalization has a single output and is not in training mode; and the
 * capability oracle accepts the new node. New weights are new initializers with fresh names;
 * existing initializers are never modified (they may be shared).
 * Source: ONNX operator spec (Conv, Gemm, BatchNormalization); onnxruntime `ConvBNFusion`,
 * `ConvMulFusion`, `ConvAddFusion`.
 * @module
 */
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import type { RewriteCtx, RewriteRule } from './pass-manager.js';
import { producerOf } from './rules-noop.js';

/** A per-channel affine map `y = a[c] · x + b[c]`, `a` and `b` of length C. */
interface Affine { a: Float64Array; b: Float64Array }

/** A float32 initializer, or `undefined` (absent, not constant, other dtype). */
function f32Const(g: Graph, name: string | undefined): TensorData | undefined {
  const t = name ? g.initializers.get(name) : undefined;
  return t?.type === 'float32' ? t : undefined;
}

/** A float attribute with a default. */
function floatAttr(n: Node, name: string, dflt: number): number {
  const a = n.attributes.get(name);
  return a?.type === 'float' ? a.value : a?.type === 'int' ? a.value : dflt;
}

/** An int attribute with a default. */
function intAttr(n: Node, name: string, dflt: number): number {
  const a = n.attributes.get(name);
  return a?.type === 'int' ? a.value : dflt;
}

/** A name not used by any initializer, value info, graph input or node output of `g`. */
function freshName(g: Graph, base: string): string {
  const taken = (s: string) => g.initializers.has(s) || g.valueInfo.has(s) || g.inputs.some((v) => v.name === s)
    || g.nodes.some((n) => n.outputs.includes(s) || n.inputs.includes(s));
  if (!taken(base)) return base;
  for (let i = 1; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
}

/**
 * The per-channel values of constant `k` for an output of rank `rank` with `c` channels on dim 1:
 * `k` must broadcast without growing the output, with every dim 1 except possibly dim 1 (= c).
 */
function perChannel(k: TensorData, rank: number, c: number): Float64Array | undefined {
  if (k.dims.length > rank) return undefined;
  const off = rank - k.dims.length;
  let perC = false;
  for (let i = 0; i < k.dims.length; i++) {
    const d = k.dims[i]!;
    if (d === 1) continue;
    if (off + i !== 1 || d !== c) return undefined;
    perC = true;
  }
  const data = k.data as Float32Array;
  return Float64Array.from({ length: c }, (_, m) => data[perC ? m : 0]!);
}

/** The producer of the folded op's data input `x`, when it is a foldable Conv or Gemm. */
interface Target { node: Node; w: TensorData; bias?: TensorData; channels: number; rank: number }

/**
 * Looks up the Conv/Gemm producing `x` and checks the conditions shared by all folds.
 * @returns the target, or `undefined` when folding must not happen
 */
function targetOf(ctx: RewriteCtx, x: string | undefined): Target | undefined {
  if (!x || ctx.outputs.has(x) || (ctx.uses.get(x) ?? 0) !== 1) return undefined;
  const p = producerOf(ctx, x);
  if (!p || p.domain !== '' || p.outputs.length !== 1 || (p.opType !== 'Conv' && p.opType !== 'Gemm')) return undefined;
  const g = ctx.graph;
  const w = f32Const(g, p.inputs[1]);
  const bias = p.inputs[2] ? f32Const(g, p.inputs[2]) : undefined;
  if (!w || (p.inputs[2] && !bias)) return undefined;
  if (p.opType === 'Conv') {
    if (w.dims.length < 3) return undefined;
    const channels = w.dims[0]!;
    if (bias && bias.dims.length !== 1) return undefined;
    return { node: p, w, bias, channels, rank: w.dims.length };
  }
  if (w.dims.length !== 2) return undefined;
  const channels = intAttr(p, 'transB', 0) ? w.dims[0]! : w.dims[1]!;
  if (bias && bias.dims.length > 2) return undefined;
  return { node: p, w, bias, channels, rank: 2 };
}

/** Conv: `W'[m, …] = W[m, …] · a[m]`, `B'[m] = B[m] · a[m] + b[m]`. */
function foldConv(t: Target, f: Affine): { w: TensorData; bias: TensorData } {
  const src = t.w.data as Float32Array;
  const per = src.length / t.channels;
  const w = new Float32Array(src.length);
  for (let m = 0; m < t.channels; m++) {
    const s = f.a[m]!;
    for (let i = m * per; i < (m + 1) * per; i++) w[i] = src[i]! * s;
  }
  const old = t.bias?.data as Float32Array | undefined;
  const bias = Float32Array.from({ length: t.channels }, (_, m) => (old ? old[m]! : 0) * f.a[m]! + f.b[m]!);
  return { w: { type: 'float32', dims: [...t.w.dims], data: w }, bias: { type: 'float32', dims: [t.channels], data: bias } };
}

/**
 * Gemm: column n of `B'` scaled by `a[n]`, `C' = beta · C · a + b` broadcast over rows of C
 * (the caller checked that C's last dim is 1 or N).
 */
function foldGemm(t: Target, f: Affine): { w: TensorData; bias: TensorData } {
  const src = t.w.data as Float32Array;
  const n = t.channels;
  const transB = intAttr(t.node, 'transB', 0) === 1;
  const w = Float32Array.from(src, (v, i) => v * f.a[transB ? Math.floor(i / (src.length / n)) : i % n]!);
  const beta = floatAttr(t.node, 'beta', 1);
  const c = t.bias;
  const rows = c && c.dims.length === 2 ? c.dims[0]! : 1;
  const cols = c && c.dims.length > 0 ? c.dims[c.dims.length - 1]! : 1;
  const cd = c?.data as Float32Array | undefined;
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      const cv = cd ? beta * cd[r * cols + (cols === 1 ? 0 : j)]! : 0;
      out[r * n + j] = cv * f.a[j]! + f.b[j]!;
    }
  }
  return { w: { type: 'float32', dims: [...t.w.dims], data: w }, bias: { type: 'float32', dims: c && c.dims.length === 2 ? [rows, n] : [n], data: out } };
}

/**
 * Builds the folded producer and its new initializers; fires only when the oracle accepts it.
 * @returns the rule result replacing `anchor` with the folded producer, or `undefined`
 */
function fold(ctx: RewriteCtx, anchor: Node, t: Target, f: Affine): ReturnType<RewriteRule['apply']> {
  const g = ctx.graph;
  const isGemm = t.node.opType === 'Gemm';
  if (isGemm && t.bias && t.bias.dims.length > 0) {
    const cols = t.bias.dims[t.bias.dims.length - 1]!;
    if (cols !== 1 && cols !== t.channels) return undefined;
  }
  const { w, bias } = isGemm ? foldGemm(t, f) : foldConv(t, f);
  const wName = freshName(g, `${t.node.name}_${anchor.opType}_W`);
  g.initializers.set(wName, w);
  // A Mul/Div on a producer without bias needs no bias afterwards either.
  const bName = t.bias || f.b.some((v) => v !== 0) ? freshName(g, `${t.node.name}_${anchor.opType}_B`) : undefined;
  if (bName) g.initializers.set(bName, bias);
  const attributes = new Map(t.node.attributes);
  if (isGemm) attributes.set('beta', { type: 'float', value: 1 });
  const folded: Node = {
    name: t.node.name, opType: t.node.opType, domain: t.node.domain,
    inputs: [t.node.inputs[0]!, wName, ...(bName ? [bName] : [])], outputs: [anchor.outputs[0]!], attributes,
  };
  if (!ctx.canReplace(folded, anchor)) {
    g.initializers.delete(wName); if (bName) g.initializers.delete(bName);
    return undefined;
  }
  return { replace: [folded] };
}

/** True when every input of `n` in `idx` is a float32 initializer of `c` elements (dims `[c]`). */
function channelConsts(g: Graph, n: Node, idx: readonly number[], c: number): TensorData[] | undefined {
  const ts = idx.map((i) => f32Const(g, n.inputs[i]));
  return ts.every((t) => t && t.dims.length === 1 && t.dims[0] === c) ? (ts as TensorData[]) : undefined;
}

const batchNormRule: RewriteRule = {
  opType: 'BatchNormalization', name: 'fold-BatchNormalization-into-Conv-Gemm',
  apply: (n, ctx) => {
    if (n.outputs.slice(1).some((o) => o) || intAttr(n, 'training_mode', 0) !== 0) return undefined;
    if (n.attributes.has('spatial') && intAttr(n, 'spatial', 1) !== 1) return undefined;
    const t = targetOf(ctx, n.inputs[0]);
    const p = t && channelConsts(ctx.graph, n, [1, 2, 3, 4], t.channels);
    if (!t || !p) return undefined;
    const [scale, beta, mean, variance] = p.map((x) => x.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const eps = floatAttr(n, 'epsilon', 1e-5);
    const a = Float64Array.from(scale, (s, i) => s / Math.sqrt(variance[i]! + eps));
    const b = Float64Array.from(beta, (v, i) => v - mean[i]! * a[i]!);
    return fold(ctx, n, t, { a, b });
  },
};

/** Mul/Div/Add/Sub of the producer's output (either side for Mul/Add, left side for Div/Sub). */
const elementwiseRule = (opType: 'Mul' | 'Div' | 'Add' | 'Sub'): RewriteRule => ({
  opType, name: `fold-${opType}-into-Conv-Gemm`,
  apply: (n, ctx) => {
    const commutative = opType === 'Mul' || opType === 'Add';
    const side = commutative && ctx.graph.initializers.has(n.inputs[0] ?? '') ? 1 : 0;
    const t = targetOf(ctx, n.inputs[side]);
    const kt = t && f32Const(ctx.graph, n.inputs[1 - side]);
    const k = kt && perChannel(kt, t.rank, t.channels);
    if (!t || !k || (opType === 'Div' && k.some((v) => v === 0))) return undefined;
    const c = t.channels;
    const ones = new Float64Array(c).fill(1); const zeros = new Float64Array(c);
    const f: Affine = opType === 'Mul' ? { a: k, b: zeros }
      : opType === 'Div' ? { a: k.map((v) => 1 / v), b: zeros }
        : opType === 'Add' ? { a: ones, b: k } : { a: ones, b: k.map((v) => -v) };
    return fold(ctx, n, t, f);
  },
});

/** The folding rules of the `extended` level, applied in one rule-set pass (see the module doc). */
export const FOLDING_RULES: readonly RewriteRule[] = [
  batchNormRule, elementwiseRule('Mul'), elementwiseRule('Div'), elementwiseRule('Add'), elementwiseRule('Sub'),
];
