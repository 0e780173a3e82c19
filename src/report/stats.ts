/**
 * Static cost statistics of a graph: node counts by op type, FLOPs from static shapes, and
 * parameter bytes.
 *
 * FLOP counting convention (one multiply-add = 2 FLOPs; only top-level nodes are counted):
 * - Conv, ConvInteger, QLinearConv: `2 * |Y| * prod(W.dims[1:])` — W is `[M, C/group, k...]`, so
 *   groups and depthwise convolutions are covered without reading `group`.
 * - ConvTranspose: `2 * |X| * prod(W.dims[1:])` — W is `[C, M/group, k...]`: every input element
 *   scatters into `M/group * prod(k)` outputs.
 * - Gemm: `2 * |Y| * K` with `K = |A| / M` (independent of `transA`).
 * - MatMul, MatMulInteger, QLinearMatMul: `2 * |Y| * K`, `K` = last dim of A (its only dim when A is
 *   1-D; the second-to-last when a fused MatMul has `transA = 1`).
 * - Attention (ai.onnx, 3-D or 4-D Q/K/V, and `optiflow::Attention` with the same inputs):
 *   `2 * (|Q| + |Y|) * S_kv` — QK^T plus the probabilities times V; scale, mask and softmax are not
 *   counted. `S_kv` is read from `present_key` when the node has it, else from K.
 * - `optiflow::FusedConv`, `FusedGemm`, `FusedMatMul`: as their base op; the fused bias and
 *   activation epilogue is not counted (nor is a Conv bias).
 * - Elementwise (unary, binary, variadic, Where, Clip, PRelu, (de)quantization), normalization and
 *   softmax ops, and other `optiflow` ops: 1 per output element.
 * - MaxPool, AveragePool, LpPool: `|Y| * prod(kernel_shape)`; global pools and reductions: 1 per
 *   input element.
 * - Data movement and shape ops (Reshape, Transpose, Concat, Gather, Cast, ...): 0.
 * - Anything else (recurrent, control flow, Einsum, ML ops): 0, and its op type is listed in
 *   {@link GraphStats.uncountedOpTypes}.
 * A node whose needed shapes are not static counts 0 and is counted in
 * {@link GraphStats.unknownShapeNodes}; bind symbolic dims (the batch `N`) with `dims` to avoid that.
 * @module
 */
import type { DType } from '../ir/dtype.js';
import type { Dim, Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { opFamily, opKey, REDUCTIONS, WINDOW_POOLS } from './op-family.js';

/** What {@link graphStats} returns. */
export interface GraphStats {
  /** Number of top-level nodes. */
  nodes: number;
  /** Node count per op type (`domain::opType` outside ai.onnx, e.g. `optiflow::FusedConv`). */
  byOpType: Record<string, number>;
  /** Total FLOPs of one run, per the counting convention of this module. */
  flops: number;
  /** Sum of the byte sizes of the top-level initializers (as stored in ONNX: 4-bit types packed). */
  parameterBytes: number;
  /** Nodes that have a cost model but whose needed shapes were not static (counted as 0 FLOPs). */
  unknownShapeNodes: number;
  /** Op types with no cost model (counted as 0 FLOPs), sorted. */
  uncountedOpTypes: string[];
}

/** Options of {@link graphStats}. */
export interface StatsOptions {
  /** Values for symbolic dims, e.g. `{ N: 1 }` to count FLOPs at batch 1. */
  dims?: Readonly<Record<string, number>>;
}

/** Ops whose cost is a matrix product over inputs A (index `a`) and W/B (index `w`). */
const PRODUCT_INPUTS: Readonly<Record<string, { kind: 'conv' | 'convT' | 'gemm' | 'matmul'; a: number; w: number }>> = {
  Conv: { kind: 'conv', a: 0, w: 1 },
  ConvInteger: { kind: 'conv', a: 0, w: 1 },
  QLinearConv: { kind: 'conv', a: 0, w: 3 },
  ConvTranspose: { kind: 'convT', a: 0, w: 1 },
  Gemm: { kind: 'gemm', a: 0, w: 1 },
  MatMul: { kind: 'matmul', a: 0, w: 1 },
  MatMulInteger: { kind: 'matmul', a: 0, w: 1 },
  QLinearMatMul: { kind: 'matmul', a: 0, w: 3 },
  FusedConv: { kind: 'conv', a: 0, w: 1 },
  FusedGemm: { kind: 'gemm', a: 0, w: 1 },
  FusedMatMul: { kind: 'matmul', a: 0, w: 1 },
};

/** Bits per element of each dtype as ONNX stores it (strings are counted by their UTF-8 bytes). */
function bitsPerElement(t: DType): number {
  switch (t) {
    case 'float64': case 'int64': case 'uint64': case 'complex64': return 64;
    case 'complex128': return 128;
    case 'float32': case 'int32': case 'uint32': return 32;
    case 'float16': case 'bfloat16': case 'int16': case 'uint16': return 16;
    case 'int4': case 'uint4': case 'float4e2m1': return 4;
    case 'int2': case 'uint2': return 2;
    case 'string': return 0;
    default: return 8;
  }
}

/**
 * Byte size of a tensor as ONNX stores it: `ceil(elements * bits / 8)`; strings: total UTF-8 bytes.
 */
export function tensorBytes(t: TensorData): number {
  let n = 1;
  for (const d of t.dims) n *= d;
  if (t.type === 'string') {
    let b = 0;
    for (const s of t.data as string[]) b += Buffer.byteLength(s, 'utf8');
    return b;
  }
  return Math.ceil((n * bitsPerElement(t.type)) / 8);
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * Counts nodes by op type, FLOPs (see the module doc for the convention) and parameter bytes.
 * Reads shapes from initializers, graph inputs/outputs and `g.valueInfo` (run shape inference
 * first); does not modify `g`.
 */
export function graphStats(g: Graph, o: StatsOptions = {}): GraphStats {
  const declared = new Map<string, readonly Dim[] | undefined>();
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo.values()]) if (v.shape) declared.set(v.name, v.shape);
  const shapeOf = (name: string | undefined): number[] | undefined => {
    if (!name) return undefined;
    const t = g.initializers.get(name);
    if (t) return [...t.dims];
    const s = declared.get(name);
    if (!s) return undefined;
    const out: number[] = [];
    for (const d of s) {
      const v = typeof d === 'number' ? d : o.dims?.[d];
      if (v === undefined || !Number.isFinite(v) || v < 0) return undefined;
      out.push(v);
    }
    return out;
  };

  const byOpType: Record<string, number> = {};
  const uncounted = new Set<string>();
  let flops = 0;
  let unknownShapeNodes = 0;
  for (const n of g.nodes) {
    const key = opKey(n);
    byOpType[key] = (byOpType[key] ?? 0) + 1;
    const c = nodeFlops(n, shapeOf);
    if (c === 'uncounted') uncounted.add(key);
    else if (c === undefined) unknownShapeNodes++;
    else flops += c;
  }
  let parameterBytes = 0;
  for (const t of g.initializers.values()) parameterBytes += tensorBytes(t);
  return {
    nodes: g.nodes.length, byOpType, flops, parameterBytes, unknownShapeNodes,
    uncountedOpTypes: [...uncounted].sort(),
  };
}

/**
 * FLOPs of one node: a number, `undefined` when a needed shape is not static, or `'uncounted'`
 * when the op has no cost model.
 */
export function nodeFlops(n: Node, shapeOf: (name: string | undefined) => number[] | undefined): number | undefined | 'uncounted' {
  const family = opFamily(n);
  const base = family === 'linear' || family === 'fused' ? PRODUCT_INPUTS[n.opType] : undefined;
  if (base) return productFlops(n, base, shapeOf);
  if (n.opType === 'Attention' && (family === 'linear' || family === 'fused')) return attentionFlops(n, shapeOf);
  const y = shapeOf(n.outputs[0]);
  switch (family) {
    case 'tensor': return 0;
    case 'elementwise': case 'normalization': case 'fused':
      return y ? product(y) : undefined;
    case 'pooling': {
      if (WINDOW_POOLS.has(n.opType)) {
        const k = n.attributes.get('kernel_shape');
        if (!y || k?.type !== 'ints') return undefined;
        return product(y) * product(k.value);
      }
      if (REDUCTIONS.has(n.opType)) {
        const x = shapeOf(n.inputs[0]);
        return x ? product(x) : undefined;
      }
      return 'uncounted';
    }
    default: return 'uncounted';
  }
}

/** 2 x multiply-adds of a Conv / ConvTranspose / Gemm / MatMul (see the module doc). */
function productFlops(n: Node, p: (typeof PRODUCT_INPUTS)[string], shapeOf: (name: string | undefined) => number[] | undefined): number | undefined {
  const a = shapeOf(n.inputs[p.a]);
  const w = shapeOf(n.inputs[p.w]);
  const y = shapeOf(n.outputs[0]);
  switch (p.kind) {
    case 'conv':
      return y && w && w.length >= 2 ? 2 * product(y) * product(w.slice(1)) : undefined;
    case 'convT':
      return a && w && w.length >= 2 ? 2 * product(a) * product(w.slice(1)) : undefined;
    case 'gemm':
      return a && y && y.length === 2 && y[0]! > 0 ? 2 * product(y) * (product(a) / y[0]!) : undefined;
    case 'matmul': {
      if (!a || !y || a.length === 0) return undefined;
      const transA = n.attributes.get('transA');
      const k = a.length === 1 ? a[0]! : transA?.type === 'int' && transA.value ? a[a.length - 2]! : a[a.length - 1]!;
      return 2 * product(y) * k;
    }
  }
}

/** 2 x multiply-adds of QK^T and P·V in an Attention node with 3-D or 4-D Q, K, V. */
function attentionFlops(n: Node, shapeOf: (name: string | undefined) => number[] | undefined): number | undefined {
  const q = shapeOf(n.inputs[0]);
  const k = shapeOf(n.inputs[1]);
  const y = shapeOf(n.outputs[0]);
  if (!q || !k || !y || q.length !== k.length || (q.length !== 3 && q.length !== 4)) return undefined;
  const present = shapeOf(n.outputs[1]);
  const skv = present?.length === 4 ? present[2]! : q.length === 4 ? k[2]! : k[1]!;
  return 2 * (product(q) + product(y)) * skv;
}
