/**
 * Op families used by the optimization report: one coarse class per op type, which decides both
 * how {@link graphStats} counts a node's FLOPs and the colour the graph view gives it.
 * @module
 */
import type { Node } from '../ir/graph.js';
import { ELEMENTWISE_SCHEMAS } from '../ops/elementwise.js';
import { OPTIFLOW_DOMAIN } from '../ops/optiflow.js';

/**
 * A coarse op class:
 * - `linear`: Conv, ConvTranspose, Gemm, MatMul, Attention and their integer/quantized forms;
 * - `elementwise`: unary, binary and variadic elementwise ops, `Where`, `Clip`, (de)quantization;
 * - `normalization`: BatchNormalization, LayerNormalization & co., Softmax and its relatives;
 * - `pooling`: pooling and reductions (Reduce*, ArgMax, ArgMin);
 * - `tensor`: data movement and shape ops (Reshape, Transpose, Concat, Gather, Cast, ...);
 * - `fused`: any op of the `optiflow` domain (made by graph passes);
 * - `other`: everything else (recurrent, control flow, signal, ML ops).
 */
export type OpFamily = 'linear' | 'elementwise' | 'normalization' | 'pooling' | 'tensor' | 'fused' | 'other';

const LINEAR = new Set([
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Attention', 'ConvInteger', 'MatMulInteger',
  'QLinearConv', 'QLinearMatMul', 'DeformConv', 'Einsum',
]);
const ELEMENTWISE = new Set([
  ...ELEMENTWISE_SCHEMAS.map((s) => s.opType), 'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear',
]);
const NORMALIZATION = new Set([
  'BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization',
  'RMSNormalization', 'LpNormalization', 'MeanVarianceNormalization', 'LRN', 'Softmax', 'LogSoftmax', 'Hardmax',
]);
/** Windowed pools: cost = output elements x window size. */
export const WINDOW_POOLS: ReadonlySet<string> = new Set(['MaxPool', 'AveragePool', 'LpPool']);
/** Pools and reductions whose cost is one per input element. */
export const REDUCTIONS: ReadonlySet<string> = new Set([
  'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin',
  'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin',
]);
const POOLING = new Set([...WINDOW_POOLS, ...REDUCTIONS, 'MaxUnpool']);
const TENSOR = new Set([
  'Reshape', 'Transpose', 'Concat', 'Split', 'Slice', 'Gather', 'GatherElements', 'GatherND', 'Scatter',
  'ScatterElements', 'ScatterND', 'TensorScatter', 'Flatten', 'Squeeze', 'Unsqueeze', 'Shape', 'Size',
  'Expand', 'Tile', 'Pad', 'Identity', 'Constant', 'ConstantOfShape', 'Range', 'Cast', 'CastLike', 'BitCast',
  'Dropout', 'DepthToSpace', 'SpaceToDepth', 'Resize', 'Upsample', 'OneHot', 'NonZero', 'Compress',
  'EyeLike', 'Trilu', 'CenterCropPad', 'ReverseSequence', 'Col2Im',
]);

/**
 * The family of `n`. Ops outside the default domain are `fused` when in the `optiflow` domain and
 * `other` elsewhere (`ai.onnx.ml`, `com.microsoft`).
 */
export function opFamily(n: Pick<Node, 'opType' | 'domain'>): OpFamily {
  if (n.domain === OPTIFLOW_DOMAIN) return 'fused';
  if (n.domain !== '' && n.domain !== 'ai.onnx') return 'other';
  const t = n.opType;
  if (LINEAR.has(t)) return 'linear';
  if (ELEMENTWISE.has(t)) return 'elementwise';
  if (NORMALIZATION.has(t)) return 'normalization';
  if (POOLING.has(t)) return 'pooling';
  if (TENSOR.has(t)) return 'tensor';
  return 'other';
}

/** Display name of an op: `opType` in the default domain, `domain::opType` elsewhere. */
export function opKey(n: Pick<Node, 'opType' | 'domain'>): string {
  return n.domain === '' || n.domain === 'ai.onnx' ? n.opType : `${n.domain}::${n.opType}`;
}

/** Fill and stroke colours of each family in the graph view (light fills, dark text stays legible). */
export const FAMILY_COLORS: Readonly<Record<OpFamily, { fill: string; stroke: string; label: string }>> = {
  linear: { fill: '#cfe2ff', stroke: '#3d6fb6', label: 'conv / gemm / matmul' },
  elementwise: { fill: '#d3f2dc', stroke: '#3a8f55', label: 'elementwise' },
  normalization: { fill: '#fff1b8', stroke: '#b08900', label: 'normalization / softmax' },
  pooling: { fill: '#ffdcc2', stroke: '#c0622a', label: 'pooling / reduction' },
  tensor: { fill: '#e6e8eb', stroke: '#6c757d', label: 'tensor / shape' },
  fused: { fill: '#ecd3fa', stroke: '#8a3fb5', label: 'fused (optiflow)' },
  other: { fill: '#ffffff', stroke: '#495057', label: 'other' },
};

const BACKEND_PALETTE = ['#0b7285', '#e8590c', '#5f3dc4', '#c2255c', '#2b8a3e', '#1864ab', '#862e9c', '#a61e4d'];

/**
 * A stable colour per backend name: backends are sorted by name and take palette colours in that
 * order (so `js` gets the same colour in every report of the same backend set).
 */
export function backendColors(backends: Iterable<string>): Map<string, string> {
  const names = [...new Set(backends)].sort();
  return new Map(names.map((b, i) => [b, BACKEND_PALETTE[i % BACKEND_PALETTE.length]!]));
}
