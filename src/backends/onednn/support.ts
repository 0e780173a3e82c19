/**
 * The `onednn` backend's capability answer per node: the op must have a translator, its computed
 * inputs must be float32, and the inputs oneDNN wants constant (weights, statistics, shape and axes
 * inputs) must be initializers. Never throws.
 *
 * Source: TFLite delegate `IsNodeSupportedFn`; oneDNN 2.6 primitive requirements.
 * @module
 */
import type { Support, SupportQuery } from '../backend.js';
import { parseProgram } from '../../ops/optiflow-patterns-program.js';
import { resolveAttrs } from '../../ops/schema.js';
import { programUnsupported } from './translate-fused.js';
import { TRANSLATORS } from './translate-table.js';

type Check = (q: SupportQuery, attrs: Readonly<Record<string, unknown>>) => string | undefined;

const isConst = (q: SupportQuery, i: number): boolean => q.inputs[i]?.value !== undefined;
/** Inputs `idx` must be constants when present. */
const constInputs = (idx: readonly number[], what: string): Check => (q) =>
  idx.some((i) => q.node.inputs[i] && !isConst(q, i)) ? `${what} must be constant (initializer)` : undefined;
/** Outputs after the first must be omitted. */
const firstOutputOnly: Check = (q) => (q.node.outputs.slice(1).some((o) => o) ? 'only the first output is supported' : undefined);
const both = (...checks: Check[]): Check => (q, a) => { for (const c of checks) { const r = c(q, a); if (r) return r; } return undefined; };
const noDilation: Check = (_q, a) => ((a['dilations'] as number[] | undefined)?.some((d) => d !== 1) ? 'pooling with dilations' : undefined);
/** Conv weights of rank 3..5 (1-D to 3-D convolutions) when the rank is known. */
const convRank: Check = (q) => {
  const r = q.inputs[1]?.shape?.length;
  return r !== undefined && (r < 3 || r > 5) ? `Conv with ${r - 2} spatial dims (1 to 3 supported)` : undefined;
};
const notConst0: Check = (q) => (isConst(q, 0) ? 'input 0 is a constant (constant folding handles it)' : undefined);

/** 8-bit quantized element types oneDNN's int8 primitives read and write. */
const INT8: ReadonlySet<string> = new Set(['uint8', 'int8']);
/** Input `i` must be a uint8 or int8 tensor. */
const int8Input = (i: number): Check => (q) =>
  (INT8.has(q.inputs[i]?.dtype ?? '') ? undefined : `input ${i} is ${q.inputs[i]?.dtype ?? 'of unknown dtype'}; uint8 or int8 expected`);

/** Extra checks by `domain::opType`, beyond dtypes. */
const CHECKS: ReadonlyMap<string, Check> = new Map<string, Check>([
  ['::Conv', both(constInputs([1, 2], 'Conv weights and bias'), notConst0, convRank)],
  ['optiflow::FusedConv', both(constInputs([1, 2], 'FusedConv weights and bias'), notConst0, convRank,
    (q) => (q.node.inputs[3] && isConst(q, 3) ? 'constant residual Z' : undefined))],
  ['::MatMul', notConst0], ['optiflow::FusedMatMul', notConst0],
  ['::Gemm', notConst0], ['optiflow::FusedGemm', notConst0],
  ['::Clip', (q) => (q.opset >= 11 ? constInputs([1, 2], 'Clip bounds')(q, {}) : undefined)],
  ['::LayerNormalization', both(constInputs([1, 2], 'LayerNormalization scale and bias'), firstOutputOnly, lastAxis)],
  ['optiflow::LayerNormalization', both(constInputs([1, 2], 'LayerNormalization scale and bias'), firstOutputOnly, lastAxis)],
  ['::BatchNormalization', both(constInputs([1, 2, 3, 4], 'BatchNormalization statistics'), firstOutputOnly,
    (_q, a) => (a['training_mode'] ? 'training mode' : undefined))],
  ['::MaxPool', both(firstOutputOnly, noDilation)], ['::AveragePool', noDilation],
  ['::Concat', (q) => (q.node.inputs.some((_, i) => isConst(q, i)) ? 'constant Concat input' : undefined)],
  ['::Reshape', (q) => (q.opset >= 5 ? constInputs([1], 'Reshape shape')(q, {}) : undefined)],
  ['::Squeeze', constInputs([1], 'Squeeze axes')], ['::Unsqueeze', constInputs([1], 'Unsqueeze axes')],
  ['::Dropout', both(firstOutputOnly, constInputs([2], 'Dropout training_mode'))],
  ['::ReduceSum', constInputs([1], 'axes')], ['::ReduceMean', constInputs([1], 'axes')],
  ['::ReduceMax', constInputs([1], 'axes')], ['::ReduceMin', constInputs([1], 'axes')],
  ['::Max', (q) => (q.node.inputs.length !== 2 ? 'Max with other than 2 inputs' : undefined)],
  ['::Min', (q) => (q.node.inputs.length !== 2 ? 'Min with other than 2 inputs' : undefined)],
  ['optiflow::Attention', (q) => {
    const m = q.inputs[3];
    if (m && m.dtype === 'bool' && !isConst(q, 3)) return 'Attention with a computed bool mask';
    return [0, 1, 2].some((i) => isConst(q, i)) ? 'Attention with a constant Q, K or V' : undefined;
  }],
  ['optiflow::FusedElementwise', (q, a) => programUnsupported(parseProgram(a['program'] as string, q.node.inputs.length, q.node))],
  ['::QuantizeLinear', both(constInputs([1, 2], 'QuantizeLinear scale and zero point'), notConst0,
    (_q, a) => ((a['output_dtype'] as number | undefined) ? 'QuantizeLinear with output_dtype' : undefined),
    (_q, a) => ((a['saturate'] as number | undefined) === 0 ? 'QuantizeLinear with saturate 0' : undefined),
    (q) => (q.node.inputs[2] && !INT8.has(q.inputs[2]?.dtype ?? '') ? `QuantizeLinear to ${q.inputs[2]?.dtype ?? 'an unknown dtype'}` : undefined))],
  ['::DequantizeLinear', both(constInputs([1, 2], 'DequantizeLinear scale and zero point'), notConst0, int8Input(0))],
  ['::QLinearConv', both(constInputs([1, 2, 3, 4, 5, 6, 7, 8], 'QLinearConv scales, zero points, weights and bias'), notConst0,
    int8Input(0), (q) => convRank({ ...q, inputs: [q.inputs[0], q.inputs[3]] } as SupportQuery, {}))],
  ['::QLinearMatMul', both(constInputs([1, 2, 3, 4, 5, 6, 7], 'QLinearMatMul scales, zero points and b'), notConst0, int8Input(0),
    (q) => (q.inputs[3]?.shape && q.inputs[3].shape.length !== 2 ? 'QLinearMatMul with a b of rank other than 2' : undefined))],
]);

function lastAxis(q: SupportQuery, a: Readonly<Record<string, unknown>>): string | undefined {
  const axis = a['axis'] as number;
  const r = q.inputs[0]?.shape?.length;
  if (axis === -1 || (r !== undefined && axis === r - 1)) return undefined;
  return `normalization over axis ${axis} (only the last axis)`;
}

/** Inputs that may be non-float32 (indices, shapes, axes, masks), by `domain::opType`. */
const NON_FLOAT_INPUTS: ReadonlyMap<string, readonly number[]> = new Map([
  ['::Reshape', [1]], ['::Squeeze', [1]], ['::Unsqueeze', [1]], ['::Dropout', [1, 2]],
  ['::ReduceSum', [1]], ['::ReduceMean', [1]], ['::ReduceMax', [1]], ['::ReduceMin', [1]], ['optiflow::Attention', [3]],
  // int8 (translate-int8.ts): quantized tensors and constant scales / zero points / weights / bias, checked in CHECKS
  ['::QuantizeLinear', [1, 2]], ['::DequantizeLinear', [0, 1, 2]],
  ['::QLinearConv', [0, 1, 2, 3, 4, 5, 6, 7, 8]], ['::QLinearMatMul', [0, 1, 2, 3, 4, 5, 6, 7]],
]);

/**
 * Whether the `onednn` backend runs `q.node`.
 * @returns `{ok: true}` or the reason; never throws
 */
export function onednnSupports(q: SupportQuery): Support {
  const key = `${q.node.domain === 'ai.onnx' ? '' : q.node.domain}::${q.node.opType}`;
  if (!TRANSLATORS.has(key) || q.schema.domain !== (q.node.domain === 'ai.onnx' ? '' : q.node.domain)) {
    return { ok: false, reason: `onednn has no translation for ${q.node.opType}` };
  }
  const free = NON_FLOAT_INPUTS.get(key) ?? [];
  for (let i = 0; i < q.node.inputs.length; i++) {
    const info = q.inputs[i];
    if (!q.node.inputs[i]) continue;
    if (info?.kind && info.kind !== 'tensor') return { ok: false, reason: `onednn runs tensors only; input ${i} is a ${info.kind}` };
    if (free.includes(i)) continue;
    // An input without static facts (a value a rewrite just introduced) is judged at compile time,
    // where a non-float32 tensor fails the segment and its nodes fall back.
    if (info?.dtype !== undefined && info.dtype !== 'float32') return { ok: false, reason: `onednn runs float32 only; input ${i} is ${info.dtype}` };
  }
  if (q.node.inputs.length > 0 && q.node.inputs.every((n, i) => !n || isConst(q, i))) {
    return { ok: false, reason: 'every input is a constant (constant folding handles it)' };
  }
  try {
    const attrs = resolveAttrs(q.schema, q.node) as Readonly<Record<string, unknown>>;
    const why = CHECKS.get(key)?.(q, attrs);
    return why ? { ok: false, reason: `onednn: ${why}` } : { ok: true };
  } catch (e) {
    return { ok: false, reason: `onednn: ${e instanceof Error ? e.message : String(e)}` };
  }
}
