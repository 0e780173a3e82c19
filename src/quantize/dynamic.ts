/**
 * Dynamic-range int8 quantization (onnxruntime `quantize_dynamic`, TensorFlow Lite "dynamic
 * range"): constant weights of MatMul, Gemm and Conv become int8, symmetric, per output channel
 * (zero point 0); activations are quantized on the fly to uint8 with `DynamicQuantizeLinear`:
 * `DynamicQuantizeLinear(A) → MatMulInteger|ConvInteger(A_q, W_q, A_zp) → Cast(float) →
 * Mul(A_scale · W_scales)` (+ `Add` of the bias for Gemm's C and Conv's B); the weights' zero
 * point is 0, the optional input's default, and is not written. Everything else stays float.
 * The opset is raised to 11 when lower (`DynamicQuantizeLinear` is opset 11), the IR version to 6.
 *
 * Names (see `names.ts`): the integer op keeps the name of the node it replaces, the chain's last
 * node (`Mul` or `Add`) produces the replaced node's output tensor, every other inserted tensor and
 * node gets a short generated name, and equal constants are stored once.
 * @module
 */
import type { Attribute, Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import type { QuantizeEntry, QuantizeOptions, QuantizeReport } from './types.js';
import { ConstantPool, Namer } from './names.js';
import { foldConstantReshapes, quantizeWeightsPerChannel, removeUnusedInitializers } from './weights.js';

export { Namer } from './names.js';

/** Op types dynamic mode can quantize. */
export const DYNAMIC_OP_TYPES: readonly string[] = ['MatMul', 'Gemm', 'Conv'];

/** Builds a standard-domain node. */
export function mkNode(name: string, opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attribute> = {}): Node {
  return { name, opType, domain: '', inputs, outputs, attributes: new Map(Object.entries(attrs)) };
}

function intAttr(n: Node, k: string, d: number): number {
  const a = n.attributes.get(k);
  return a && (a.type === 'int' || a.type === 'float') ? a.value : d;
}

/** Transposes a 2-D float32 matrix. */
function transpose2d(t: TensorData): TensorData {
  const [r, c] = t.dims as [number, number];
  const src = t.data as Float32Array; const dst = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) dst[j * r + i] = src[i * c + j]!;
  return { type: 'float32', dims: [c, r], data: dst };
}

/**
 * Quantizes `g` in place, dynamic mode.
 * @param g a graph with shapes inferred (valueInfo dtypes are used to check for float32 activations)
 * @returns the report (quantized and skipped nodes with reasons)
 */
export function quantizeDynamic(g: Graph, o: QuantizeOptions): QuantizeReport {
  foldConstantReshapes(g);
  const report: QuantizeReport = { mode: 'dynamic', quantized: [], skipped: [] };
  const exclude = new Set(o.exclude ?? []);
  const opTypes = new Set(o.opTypes ?? DYNAMIC_OP_TYPES);
  const namer = new Namer(g);
  const pool = new ConstantPool(g, namer);
  const dq = new Map<string, [string, string, string]>();
  const dtypeOf = (v: string): string | undefined => g.valueInfo.get(v)?.dtype ?? g.inputs.find((x) => x.name === v)?.dtype ?? g.initializers.get(v)?.type;
  const out: Node[] = [];
  for (const n of g.nodes) {
    const skip = (detail: string): void => { report.skipped.push({ node: n.name, opType: n.opType, detail }); out.push(n); };
    if (!DYNAMIC_OP_TYPES.includes(n.opType) || (n.domain !== '' && n.domain !== 'ai.onnx')) { out.push(n); continue; }
    if (exclude.has(n.name)) { skip('excluded (--exclude)'); continue; }
    if (!opTypes.has(n.opType)) { skip('op type not selected (--op-types)'); continue; }
    const a = n.inputs[0]!; const wName = n.inputs[1]!;
    const w = g.initializers.get(wName);
    if (!w) { skip('weight is not a constant initializer'); continue; }
    if (w.type !== 'float32' || dtypeOf(a) !== 'float32') { skip('not float32'); continue; }
    let entry: QuantizeEntry | undefined;
    let wT = w; let axis = 1; let alpha = 1; let bias: string | undefined; let biasShape: number[] | undefined;
    if (n.opType === 'MatMul') {
      if (w.dims.length !== 2) { skip(`weight of rank ${w.dims.length}; only 2-D MatMul weights are quantized`); continue; }
    } else if (n.opType === 'Gemm') {
      if (intAttr(n, 'transA', 0) !== 0) { skip('transA = 1 is not quantized'); continue; }
      if (intAttr(n, 'transB', 0) !== 0) wT = transpose2d(w);
      alpha = intAttr(n, 'alpha', 1);
      const c = n.inputs[2];
      if (c) {
        const beta = intAttr(n, 'beta', 1);
        const ct = g.initializers.get(c);
        if (beta !== 1) {
          if (!ct || ct.type !== 'float32') { skip('beta ≠ 1 with a non-constant C'); continue; }
          bias = pool.add({ type: 'float32', dims: ct.dims, data: Float32Array.from(ct.data as Float32Array, (v) => v * beta) }, 'b');
        } else bias = c;
      }
    } else {
      if (w.dims.length < 3) { skip('Conv weight of rank < 3'); continue; }
      axis = 0;
      if (n.inputs[2]) { bias = n.inputs[2]; biasShape = [w.dims[0]!, ...w.dims.slice(2).map(() => 1)]; }
    }
    const { q, scales } = quantizeWeightsPerChannel(wT.data as Float32Array, [...wT.dims], axis);
    if (alpha !== 1) for (let i = 0; i < scales.length; i++) scales[i] = Math.fround(scales[i]! * alpha);
    const qName = pool.add({ type: 'int8', dims: [...wT.dims], data: q }, 'w');
    const sName = pool.add({ type: 'float32', dims: axis === 0 ? [scales.length, ...w.dims.slice(2).map(() => 1)] : [scales.length], data: scales }, 's');
    let aq = dq.get(a);
    if (!aq) {
      aq = [namer.short('q'), namer.short('s'), namer.short('z')];
      dq.set(a, aq);
      out.push(mkNode(namer.short('n'), 'DynamicQuantizeLinear', [a], [...aq]));
    }
    const y = n.outputs[0]!;
    const yi = namer.short('t'); const yf = namer.short('t'); const sc = namer.short('t');
    // The integer op keeps the replaced node's name (reports, `--exclude`, compareLayers use it).
    if (n.opType === 'Conv') {
      const attrs: Record<string, Attribute> = {};
      for (const [k, v] of n.attributes) attrs[k] = v;
      out.push(mkNode(n.name, 'ConvInteger', [aq[0], qName, aq[2]], [yi], attrs));
    } else {
      out.push(mkNode(n.name, 'MatMulInteger', [aq[0], qName, aq[2]], [yi]));
    }
    out.push(mkNode(namer.short('n'), 'Cast', [yi], [yf], { to: { type: 'int', value: 1 } }));
    out.push(mkNode(namer.short('n'), 'Mul', [aq[1], sName], [sc]));
    if (bias) {
      let b = bias;
      if (biasShape) {
        const bt = g.initializers.get(bias);
        if (bt) {
          b = pool.add({ type: bt.type, dims: biasShape, data: bt.data }, 'b');
        } else {
          const shp = pool.add({ type: 'int64', dims: [biasShape.length], data: BigInt64Array.from(biasShape, BigInt) }, 'c');
          b = namer.short('t');
          out.push(mkNode(namer.short('n'), 'Reshape', [bias, shp], [b]));
        }
      }
      const ym = namer.short('t');
      out.push(mkNode(namer.short('n'), 'Mul', [yf, sc], [ym]));
      out.push(mkNode(namer.short('n'), 'Add', [ym, b], [y]));
    } else {
      out.push(mkNode(namer.short('n'), 'Mul', [yf, sc], [y]));
    }
    entry = { node: n.name, opType: n.opType, detail: `int8 per-channel weights (${scales.length} channels), dynamic uint8 activations (${n.opType === 'Conv' ? 'ConvInteger' : 'MatMulInteger'})` };
    report.quantized.push(entry);
  }
  if (report.quantized.length > 0) {
    if ((g.opsetFor('') ?? 0) < 11) g.opsets.set('', 11);
    // IR version 6 is the first for opset 11 (ONNX 1.6); IR < 4 would also list initializers as inputs.
    if (g.metadata.irVersion < 6) g.metadata.irVersion = 6;
  }
  g.nodes = out;
  removeUnusedInitializers(g);
  return report;
}
