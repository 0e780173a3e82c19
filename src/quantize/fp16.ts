/**
 * float16 conversion (onnxconverter-common's `convert_float_to_float16`, TensorRT/TFLite fp16):
 * float32 initializers become float16 (raw IEEE half bits), float32 activations flow as float16,
 * graph inputs and outputs keep float32 with `Cast`s at the boundary, and op types that overflow
 * easily (reductions, Softmax, normalizations) run in float32 with `Cast`s around them. Only
 * float32 values are touched: int64/shape tensors never change. Inputs that ONNX fixes to float32
 * whatever T is (Resize `roi`/`scales`, Upsample `scales`, Dropout `ratio`) stay float32.
 * @module
 */
import type { Graph, Node } from '../ir/graph.js';
import { float32ArrayToHalf } from '../ir/float16.js';
import type { TensorData } from '../ir/tensor-data.js';
import { mkNode, Namer } from './dynamic.js';
import type { QuantizeOptions, QuantizeReport } from './types.js';
import { removeUnusedInitializers } from './weights.js';

/** Op types kept in float32 by default (`--keep-fp32` replaces this list). */
export const DEFAULT_KEEP_FP32: readonly string[] = [
  'ReduceSum', 'ReduceMean', 'ReduceSumSquare', 'ReduceL2', 'ReduceLogSumExp', 'ReduceProd',
  'Softmax', 'LogSoftmax', 'LayerNormalization', 'BatchNormalization', 'InstanceNormalization',
  'GroupNormalization', 'RMSNormalization',
];

/** Op types whose output dtype comes from an attribute; always kept float32. */
const DTYPE_ATTR_OPS = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'EyeLike', 'Bernoulli', 'Multinomial']);

/** Inputs that are float32 by the ONNX spec whatever the node's T is. */
const FIXED_FP32_INPUTS: Readonly<Record<string, readonly number[]>> = { Resize: [1, 2], Upsample: [1], Dropout: [1] };

const FLOAT = 1;
const FLOAT16 = 10;

function toHalf(t: TensorData): TensorData {
  return { type: 'float16', dims: t.dims, data: float32ArrayToHalf(t.data as Float32Array) };
}

/**
 * Converts `g` in place to float16 where safe.
 * @param g a graph with dtypes inferred (`g.valueInfo`)
 * @returns the report: nodes run in float16 (quantized) and nodes kept float32 with the reason
 */
export function quantizeFp16(g: Graph, o: QuantizeOptions): QuantizeReport {
  const report: QuantizeReport = { mode: 'fp16', quantized: [], skipped: [] };
  const keep = new Set(o.keepFp32 ?? DEFAULT_KEEP_FP32);
  const exclude = new Set(o.exclude ?? []);
  const opTypes = o.opTypes ? new Set(o.opTypes) : undefined;
  const namer = new Namer(g);
  const inputNames = new Set(g.inputs.map((v) => v.name));
  const dtypeOf = (v: string): string | undefined =>
    g.initializers.get(v)?.type ?? g.valueInfo.get(v)?.dtype ?? g.inputs.find((x) => x.name === v)?.dtype;
  const isFloat = (v: string): boolean => v !== '' && dtypeOf(v) === 'float32';
  const fixed = (n: Node, i: number): boolean => (FIXED_FP32_INPUTS[n.opType] ?? []).includes(i);

  // Decide each node's precision.
  const half = new Set<Node>();
  for (const n of g.nodes) {
    const touchesFloat = n.inputs.some((v, i) => isFloat(v) && !fixed(n, i)) || n.outputs.some(isFloat);
    if (!touchesFloat) continue;
    let why: string | undefined;
    if (n.domain !== '' && n.domain !== 'ai.onnx') why = `domain '${n.domain}' is not converted`;
    else if (exclude.has(n.name)) why = 'excluded (--exclude)';
    else if (opTypes && !opTypes.has(n.opType)) why = 'op type not selected (--op-types)';
    else if (keep.has(n.opType)) why = 'overflow-prone op kept in float32 (--keep-fp32)';
    else if (DTYPE_ATTR_OPS.has(n.opType)) why = 'output dtype set by an attribute';
    else if ([...n.attributes.values()].some((a) => a.type === 'graph' || a.type === 'graphs')) why = 'control flow with subgraphs is kept float32';
    if (why) report.skipped.push({ node: n.name, opType: n.opType, detail: why });
    else { half.add(n); report.quantized.push({ node: n.name, opType: n.opType, detail: 'float16' }); }
  }
  if (half.size === 0) return report;

  // Home precision of each float32 value: initializers read by a float16 node become float16.
  const homeHalf = new Set<string>();
  for (const n of half) {
    n.inputs.forEach((v, i) => { if (g.initializers.has(v) && isFloat(v) && !fixed(n, i) && !inputNames.has(v)) homeHalf.add(v); });
    for (const v of n.outputs) if (isFloat(v)) homeHalf.add(v);
  }
  // Graph outputs produced in float16: the producer writes `<name>_fp16`, a Cast restores float32.
  const outRename = new Map<string, string>();
  for (const v of g.outputs) {
    if (homeHalf.has(v.name) && !g.initializers.has(v.name)) outRename.set(v.name, namer.fresh(`${v.name}_fp16`));
  }
  const rn = (v: string): string => outRename.get(v) ?? v;
  for (const [name, t] of g.initializers) if (homeHalf.has(name)) g.initializers.set(name, toHalf(t));

  const casts = new Map<string, string>();
  const out: Node[] = [];
  const castTo = (v: string, toHalfPrec: boolean): string => {
    const key = `${toHalfPrec ? 'h' : 'f'}:${v}`;
    let c = casts.get(key);
    if (!c) {
      c = namer.fresh(`${v}_${toHalfPrec ? 'fp16' : 'fp32'}`);
      out.push(mkNode(namer.fresh(`${v}_cast_${toHalfPrec ? 'fp16' : 'fp32'}`), 'Cast', [rn(v)], [c], { to: { type: 'int', value: toHalfPrec ? FLOAT16 : FLOAT } }));
      casts.set(key, c);
    }
    return c;
  };
  for (const n of g.nodes) {
    const isHalf = half.has(n);
    n.inputs = n.inputs.map((v, i) => {
      if (!isFloat(v) && !homeHalf.has(v)) return v;
      const want = isHalf && !fixed(n, i);
      const have = homeHalf.has(v);
      return want === have ? rn(v) : castTo(v, want);
    });
    n.outputs = n.outputs.map(rn);
    if (isHalf) {
      if (n.opType === 'Cast' && n.attributes.get('to')?.value === FLOAT) n.attributes.set('to', { type: 'int', value: FLOAT16 });
      for (const [k, a] of n.attributes) if (a.type === 'tensor' && a.value.type === 'float32') n.attributes.set(k, { type: 'tensor', value: toHalf(a.value) });
    }
    out.push(n);
  }
  for (const [orig, renamed] of outRename) out.push(mkNode(namer.fresh(`${orig}_cast_fp32`), 'Cast', [renamed], [orig], { to: { type: 'int', value: FLOAT } }));
  g.nodes = out;
  removeUnusedInitializers(g);
  return report;
}
