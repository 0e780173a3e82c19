/**
 * QDQ insertion (onnxruntime's QDQ format): every float activation input of a quantizable node is
 * routed through `QuantizeLinear → DequantizeLinear` with the scale and zero point of its calibrated
 * range (one pair per tensor, shared by all its readers); float constant inputs become int8
 * initializers (symmetric: zero point 0, left out as DequantizeLinear's default) followed by
 * `DequantizeLinear` — per-channel (`axis`) for the weight of Conv
 * (axis 0), Gemm (the output axis of B) and MatMul (the last axis of B), per-tensor for other
 * constants. Conv and Gemm biases stay float32 (the runtime and onnxruntime fuse them as float).
 *
 * Opset: per-axis DequantizeLinear needs ai.onnx opset 13. A model below 13 is raised to 13 only
 * when every node is an op whose semantics did not change up to opset 13 (see {@link SAFE_SINCE});
 * otherwise weights are quantized per tensor (needs opset ≥ 10, raised to 10 under the same rule),
 * and a model that cannot reach opset 10 is left unquantized with the reason in the report.
 * Names (see `names.ts`): quantized nodes keep their names and outputs (only their inputs are
 * rewired to `DequantizeLinear` outputs); the inserted tensors and Q/DQ nodes get short generated
 * names, and equal scales and zero points are stored once (one uint8 zero point 0 serves every
 * activation whose range starts at 0).
 * Sources: ONNX operator spec (QuantizeLinear/DequantizeLinear, Changelog); onnxruntime
 * `quantization/qdq_quantizer.py`.
 * @module
 */
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import type { Range } from './range.js';
import type { QuantizeEntry } from './types.js';
import { ConstantPool, Namer } from './names.js';
import { quantizeWeightsPerChannel, removeUnusedInitializers, roundHalfEven } from './weights.js';

/** The op types quantized by default. */
export const DEFAULT_STATIC_OP_TYPES: readonly string[] = [
  'Conv', 'MatMul', 'Gemm', 'Add', 'Mul', 'Relu', 'Clip', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Concat',
];

/**
 * Ops whose semantics (for the inputs and attributes they can carry at that opset) are unchanged
 * from the given opset up to opset 13, so the model's ai.onnx opset can be raised to 13.
 */
export const SAFE_SINCE: Readonly<Record<string, number>> = {
  Conv: 1, ConvTranspose: 1, MatMul: 1, Relu: 6, LeakyRelu: 6, Sigmoid: 6, Tanh: 6, Identity: 1,
  Add: 7, Sub: 7, Mul: 7, Div: 7, Sum: 8, Max: 8, Min: 8, Gemm: 7, MaxPool: 8, AveragePool: 7,
  GlobalAveragePool: 1, GlobalMaxPool: 1, Reshape: 5, Flatten: 1, Concat: 4, Transpose: 1, Shape: 1,
  Gather: 1, Cast: 6, Constant: 1, BatchNormalization: 9, Exp: 6, Log: 6, Sqrt: 6, Neg: 6, Abs: 6,
  Pow: 7, Erf: 9, QuantizeLinear: 10, DequantizeLinear: 10, LRN: 1, Softplus: 1, Elu: 6, PRelu: 7,
};

/** A planned quantization: per node, the inputs that are activations (by index) and constants. */
export interface QdqPlan {
  /** Nodes to quantize, with the indices of their activation and constant float inputs. */
  nodes: { node: Node; activations: number[]; constants: number[] }[];
  skipped: QuantizeEntry[];
  /** Activation tensors needing a calibrated range (graph inputs included). */
  tensors: string[];
  /** ai.onnx opset the QDQ model will use (13 for per-channel weights). */
  opset: number;
  perChannel: boolean;
}

/** The ai.onnx opset key of `g` ('' or 'ai.onnx'). */
function onnxKey(g: Graph): string { return g.opsets.has('ai.onnx') && !g.opsets.has('') ? 'ai.onnx' : ''; }

/** Whether every node can be run unchanged under ai.onnx opset `target`. */
function canRaise(g: Graph, from: number, target: number): string | undefined {
  if (from >= target) return undefined;
  for (const n of g.nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    const since = SAFE_SINCE[n.opType];
    if (since === undefined || from < since) return `${n.opType} '${n.name}' may change meaning between opset ${from} and ${target}`;
  }
  return undefined;
}

/** The float32-ness of a tensor (graph input, initializer or inferred value). */
function isFloat(g: Graph, name: string): boolean {
  const init = g.initializers.get(name);
  if (init) return init.type === 'float32';
  const vi = g.inputs.find((v) => v.name === name) ?? g.valueInfo.get(name);
  return vi?.dtype === 'float32';
}

/** Indices of inputs that must stay as they are (shapes, bias, clip bounds...). */
function fixedInputs(n: Node): Set<number> {
  switch (n.opType) {
    case 'Conv': return new Set([2]);
    case 'Gemm': return new Set([2]);
    case 'Clip': return new Set([1, 2]);
    default: return new Set();
  }
}

/**
 * Chooses the nodes to quantize and the activation tensors to calibrate.
 * @param g a graph with value infos (dtypes) inferred; constant Reshapes already folded
 */
export function planQdq(g: Graph, opTypes: readonly string[], exclude: readonly string[]): QdqPlan {
  const key = onnxKey(g);
  const from = g.opsets.get(key) ?? 1;
  const skipped: QuantizeEntry[] = [];
  let opset = Math.max(from, 13); let perChannel = true;
  const why13 = canRaise(g, from, 13);
  if (why13) {
    perChannel = false; opset = Math.max(from, 10);
    const why10 = canRaise(g, from, 10);
    if (why10) {
      for (const n of g.nodes) skipped.push({ node: n.name, opType: n.opType, detail: `model opset ${from} < 10 (QuantizeLinear) and cannot be raised: ${why10}` });
      return { nodes: [], skipped, tensors: [], opset: from, perChannel: false };
    }
  }
  const ops = new Set(opTypes); const ex = new Set(exclude);
  const nodes: QdqPlan['nodes'] = []; const tensors = new Set<string>();
  const producer = new Map<string, Node>(); const readers = new Map<string, number>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  }
  const outputs = new Set(g.outputs.map((o) => o.name));
  const epilogueOf = new Set<Node>(); // compute nodes and the float epilogues fused after them
  for (const n of g.nodes) {
    const entry = (detail: string): void => { skipped.push({ node: n.name, opType: n.opType, detail }); };
    if (n.domain !== '' && n.domain !== 'ai.onnx') { entry(`domain '${n.domain}' is not quantized`); continue; }
    if (!ops.has(n.opType)) { entry(DEFAULT_STATIC_OP_TYPES.includes(n.opType) ? 'op type not selected (--op-types)' : 'op type not quantizable'); continue; }
    if (ex.has(n.name)) { entry('excluded (--exclude)'); continue; }
    const src = producer.get(n.inputs[0] ?? '');
    const single = readers.get(n.inputs[0] ?? '') === 1 && !outputs.has(n.inputs[0] ?? '');
    const constOperand = (n.opType === 'Add' || n.opType === 'Mul') && n.inputs.length === 2 && g.initializers.has(n.inputs[1] ?? '');
    if (src && single && epilogueOf.has(src) && (constOperand || n.opType === 'Relu' || n.opType === 'Clip')) {
      // onnxruntime's QDQ convention: bias adds and activations after Conv/MatMul/Gemm stay in the
      // float epilogue; the QDQ pair goes on the epilogue's output (fused by int8 kernels).
      epilogueOf.add(n);
      entry(`epilogue of ${src.opType} '${src.name}' (bias/activation fused; its output is quantized)`);
      continue;
    }
    const fixed = fixedInputs(n);
    const activations: number[] = []; const constants: number[] = [];
    n.inputs.forEach((name, i) => {
      if (name === '' || fixed.has(i) || !isFloat(g, name)) return;
      (g.initializers.has(name) ? constants : activations).push(i);
    });
    if (activations.length === 0) { entry('no float activation input'); continue; }
    if (n.opType === 'Conv' && !constants.includes(1)) { entry('weight is not a constant'); continue; }
    nodes.push({ node: n, activations, constants });
    if (n.opType === 'Conv' || n.opType === 'MatMul' || n.opType === 'Gemm') epilogueOf.add(n);
    // A residual Add (two activations, each quantized) keeps its activation in the float epilogue
    // too: Add → Relu → Q, without a requantization between them.
    else if (n.opType === 'Add' && activations.length === 2) epilogueOf.add(n);
    for (const i of activations) tensors.add(n.inputs[i]!);
  }
  return { nodes, skipped, tensors: [...tensors], opset, perChannel };
}

/** Scale and zero point of an activation range (onnxruntime's convention: the range includes 0). */
export function activationParams(r: Range, type: 'uint8' | 'int8'): { scale: number; zeroPoint: number } {
  const lo = Math.min(r.min, 0); const hi = Math.max(r.max, 0);
  if (type === 'int8') {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    return { scale: a > 0 ? Math.fround(a / 127) : 1, zeroPoint: 0 };
  }
  if (hi - lo <= 0) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  return { scale, zeroPoint: Math.max(0, Math.min(255, roundHalfEven(-lo / scale))) };
}

/** The per-channel axis of the constant input `i` of `n`, or -1 for per-tensor. */
function weightAxis(n: Node, i: number, w: TensorData): number {
  if (n.opType === 'Conv' && i === 1) return 0;
  if (n.opType === 'Gemm' && i === 1) return (n.attributes.get('transB')?.value ?? 0) === 1 ? 0 : 1;
  if (n.opType === 'MatMul' && i === 1 && w.dims.length >= 2) return w.dims.length - 1;
  return -1;
}

const scalar = (type: 'float32' | 'uint8' | 'int8', v: number): TensorData => ({
  type, dims: [], data: type === 'float32' ? Float32Array.of(v) : type === 'uint8' ? Uint8Array.of(v) : Int8Array.of(v),
});

/**
 * Rewrites `g` in place into QDQ form following `plan`; raises the opset as planned.
 * @param ranges calibrated range per activation tensor of the plan
 * @returns the report entries of the quantized nodes
 */
export function insertQdq(g: Graph, plan: QdqPlan, ranges: ReadonlyMap<string, Range>, actType: 'uint8' | 'int8'): QuantizeEntry[] {
  if (plan.nodes.length === 0) return [];
  g.opsets.set(onnxKey(g), plan.opset);
  // IR version 7 is the first for opset 13 (ONNX 1.8); older IR versions also require initializers as inputs.
  if (plan.opset >= 13 && g.metadata.irVersion < 7) g.metadata.irVersion = 7;
  const dq = new Map<string, string>(); // tensor → its dequantized name
  const newNodes = new Map<Node | null, Node[]>(); // inserted after the producer (null = at the top)
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const namer = new Namer(g);
  const pool = new ConstantPool(g, namer);
  const add = (after: Node | null, n: Node): void => { const l = newNodes.get(after) ?? []; l.push(n); newNodes.set(after, l); };
  const quantized: QuantizeEntry[] = [];
  for (const { node, activations, constants } of plan.nodes) {
    for (const i of activations) {
      const t = node.inputs[i]!;
      let d = dq.get(t);
      if (!d) {
        const r = ranges.get(t);
        if (!r) continue;
        const { scale, zeroPoint } = activationParams(r, actType);
        const s = pool.add(scalar('float32', scale), 's'); const z = pool.add(scalar(actType, zeroPoint), 'z');
        const q = namer.short('q'); d = namer.short('d');
        const at = producer.get(t) ?? null;
        add(at, { name: namer.short('n'), opType: 'QuantizeLinear', domain: '', inputs: [t, s, z], outputs: [q], attributes: new Map() });
        add(at, { name: namer.short('n'), opType: 'DequantizeLinear', domain: '', inputs: [q, s, z], outputs: [d], attributes: new Map() });
        g.valueInfo.set(q, { name: q, dtype: actType, ...(g.valueInfo.get(t)?.shape ? { shape: g.valueInfo.get(t)!.shape! } : {}) });
        g.valueInfo.set(d, { name: d, dtype: 'float32', ...(g.valueInfo.get(t)?.shape ? { shape: g.valueInfo.get(t)!.shape! } : {}) });
        dq.set(t, d);
      }
    }
    let weights = '';
    for (const i of constants) {
      const name = node.inputs[i]!; const w = g.initializers.get(name)!;
      let axis = plan.perChannel ? weightAxis(node, i, w) : -1;
      const key = `${name}_w${axis}`;
      let d = dq.get(key);
      if (!d) {
        const data = w.data as Float32Array;
        const { q, scales } = quantizeWeightsPerChannel(data, axis >= 0 ? [...w.dims] : [1, data.length], axis >= 0 ? axis : 0);
        if (scales.length === 1 && axis >= 0) axis = -1;
        const qn = pool.add({ type: 'int8', dims: [...w.dims], data: q }, 'w');
        const s = pool.add(axis >= 0 ? { type: 'float32', dims: [scales.length], data: scales } : scalar('float32', scales[0]!), 's');
        // Symmetric int8 weights have zero point 0, DequantizeLinear's default: the input is left
        // out (int8 is x's own type; onnxruntime's QDQ fusions and fuse-qdq fill an omitted one in).
        d = namer.short('d');
        // DequantizeLinear's axis defaults to 1 (a MatMul weight [K, N]): written only when it differs.
        const attributes = new Map(axis >= 0 && axis !== 1 ? [['axis', { type: 'int', value: axis }] as const] : []);
        add(null, { name: namer.short('n'), opType: 'DequantizeLinear', domain: '', inputs: [qn, s], outputs: [d], attributes: attributes as Node['attributes'] });
        g.valueInfo.set(d, { name: d, dtype: 'float32', shape: [...w.dims] });
        dq.set(key, d);
      }
      weights = axis >= 0 ? `int8 per-channel weights (axis ${axis})` : 'int8 per-tensor constants';
    }
    quantized.push({ node: node.name, opType: node.opType, detail: [`${actType} activations`, ...(weights ? [weights] : [])].join(', ') });
  }
  // Rewire readers of planned nodes (only quantized nodes read the DQ outputs).
  for (const { node, activations, constants } of plan.nodes) {
    for (const i of activations) { const d = dq.get(node.inputs[i]!); if (d) node.inputs[i] = d; }
    for (const i of constants) {
      const name = node.inputs[i]!; const w = g.initializers.get(name)!;
      const axis = plan.perChannel ? weightAxis(node, i, w) : -1;
      const d = dq.get(`${name}_w${axis}`) ?? dq.get(`${name}_w-1`);
      if (d) node.inputs[i] = d;
    }
  }
  const out: Node[] = [...(newNodes.get(null) ?? [])];
  for (const n of g.nodes) { out.push(n); out.push(...(newNodes.get(n) ?? [])); }
  g.nodes = out;
  removeUnusedInitializers(g);
  return quantized;
}
