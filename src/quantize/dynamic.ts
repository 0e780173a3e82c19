/**
 * Dynamic-range int8 quantization (onnxruntime `quantize_dynamic`, TensorFlow Lite "dynamic
 * range"): constant weights of MatMul, Gemm and Conv become int8, symmetric, per output channel
 * (zero point 0); activations are quantized on the fly to uint8 with `DynamicQuantizeLinear`:
 * `DynamicQuantizeLinear(A) → MatMulInteger|ConvInteger(A_q, W_q, A_zp, 0) → Cast(float) →
 * Mul(A_scale · W_scales)` (+ `Add` of the bias for Gemm's C and Conv's B). Everything else stays float.
 * The opset is raised to 11 when lower (`DynamicQuantizeLinear` is opset 11).
 * @module
 */
import type { Attribute, Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import type { QuantizeEntry, QuantizeOptions, QuantizeReport } from './types.js';
import { foldConstantReshapes, quantizeWeightsPerChannel, removeUnusedInitializers } from './weights.js';

/** Op types dynamic mode can quantize. */
export const DYNAMIC_OP_TYPES: readonly string[] = ['MatMul', 'Gemm', 'Conv'];

/** Unique-name source over everything already named in a graph. */
export class Namer {
  private readonly used = new Set<string>();
  constructor(g: Graph) {
    for (const v of [...g.inputs, ...g.outputs]) this.used.add(v.name);
    for (const k of g.initializers.keys()) this.used.add(k);
    for (const n of g.nodes) { this.used.add(n.name); for (const o of n.outputs) this.used.add(o); }
  }
  /** `base`, or `base_1`, `base_2`, ... the first unused. */
  fresh(base: string): string {
    let name = base; let i = 1;
    while (this.used.has(name)) name = `${base}_${i++}`;
    this.used.add(name);
    return name;
  }
}

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
  const dq = new Map<string, [string, string, string]>();
  const zeroI8 = namer.fresh('zp_i8');
  let usedZero = false;
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
          const nc = namer.fresh(`${c}_beta`);
          g.initializers.set(nc, { type: 'float32', dims: ct.dims, data: Float32Array.from(ct.data as Float32Array, (v) => v * beta) });
          bias = nc;
        } else bias = c;
      }
    } else {
      if (w.dims.length < 3) { skip('Conv weight of rank < 3'); continue; }
      axis = 0;
      if (n.inputs[2]) { bias = n.inputs[2]; biasShape = [w.dims[0]!, ...w.dims.slice(2).map(() => 1)]; }
    }
    const { q, scales } = quantizeWeightsPerChannel(wT.data as Float32Array, [...wT.dims], axis);
    if (alpha !== 1) for (let i = 0; i < scales.length; i++) scales[i] = Math.fround(scales[i]! * alpha);
    const qName = namer.fresh(`${wName}_q`);
    const sName = namer.fresh(`${wName}_s`);
    g.initializers.set(qName, { type: 'int8', dims: [...wT.dims], data: q });
    g.initializers.set(sName, { type: 'float32', dims: axis === 0 ? [scales.length, ...w.dims.slice(2).map(() => 1)] : [scales.length], data: scales });
    usedZero = true;
    let aq = dq.get(a);
    if (!aq) {
      aq = [namer.fresh(`${a}_q`), namer.fresh(`${a}_s`), namer.fresh(`${a}_zp`)];
      dq.set(a, aq);
      out.push(mkNode(namer.fresh(`${a}_dql`), 'DynamicQuantizeLinear', [a], [...aq]));
    }
    const y = n.outputs[0]!;
    const yi = namer.fresh(`${y}_i32`); const yf = namer.fresh(`${y}_f`); const sc = namer.fresh(`${y}_s`);
    if (n.opType === 'Conv') {
      const attrs: Record<string, Attribute> = {};
      for (const [k, v] of n.attributes) attrs[k] = v;
      out.push(mkNode(namer.fresh(`${n.name}_qop`), 'ConvInteger', [aq[0], qName, aq[2], zeroI8], [yi], attrs));
    } else {
      out.push(mkNode(namer.fresh(`${n.name}_qop`), 'MatMulInteger', [aq[0], qName, aq[2], zeroI8], [yi]));
    }
    out.push(mkNode(namer.fresh(`${n.name}_cast`), 'Cast', [yi], [yf], { to: { type: 'int', value: 1 } }));
    out.push(mkNode(namer.fresh(`${n.name}_smul`), 'Mul', [aq[1], sName], [sc]));
    if (bias) {
      let b = bias;
      if (biasShape) {
        const bt = g.initializers.get(bias);
        if (bt) {
          b = namer.fresh(`${bias}_reshaped`);
          g.initializers.set(b, { type: bt.type, dims: biasShape, data: bt.data });
        } else {
          const shp = namer.fresh(`${bias}_shape`);
          g.initializers.set(shp, { type: 'int64', dims: [biasShape.length], data: BigInt64Array.from(biasShape, BigInt) });
          b = namer.fresh(`${bias}_reshaped`);
          out.push(mkNode(namer.fresh(`${n.name}_bias_reshape`), 'Reshape', [bias, shp], [b]));
        }
      }
      const ym = namer.fresh(`${y}_m`);
      out.push(mkNode(namer.fresh(`${n.name}_mul`), 'Mul', [yf, sc], [ym]));
      out.push(mkNode(namer.fresh(`${n.name}_add`), 'Add', [ym, b], [y]));
    } else {
      out.push(mkNode(namer.fresh(`${n.name}_mul`), 'Mul', [yf, sc], [y]));
    }
    entry = { node: n.name, opType: n.opType, detail: `int8 per-channel weights (${scales.length} channels), dynamic uint8 activations (${n.opType === 'Conv' ? 'ConvInteger' : 'MatMulInteger'})` };
    report.quantized.push(entry);
  }
  if (usedZero) {
    g.initializers.set(zeroI8, { type: 'int8', dims: [], data: new Int8Array(1) });
    if ((g.opsetFor('') ?? 0) < 11) g.opsets.set('', 11);
  }
  g.nodes = out;
  removeUnusedInitializers(g);
  return report;
}
