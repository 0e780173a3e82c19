/**
 * Per-layer accuracy of a quantized model against its float reference: where the error grows
 * most, and so which nodes to exclude from quantization first.
 *
 * Observation reuses calibration's mechanism (see `calibrate.ts`): a copy of each model whose
 * outputs also list every observed tensor runs in the ordinary runtime. The tensors observed are
 * the float tensors present under the same name in both models. The quantizers keep the names of
 * activations and nodes (they rename only constants and give the tensors they insert short names,
 * see `names.ts` and `compact.ts`): a QDQ model keeps each quantized node and its float output
 * (`Conv → Y`, its inputs rewired to `DequantizeLinear` outputs); dynamic mode's
 * `ConvInteger/MatMulInteger → Cast → Mul (→ Add)` chain ends in the replaced node's output name
 * and its integer op carries the replaced node's name; fp16 keeps node and tensor names. Graph rewrites before
 * quantizing (BatchNormalization/bias folding) make a reference tensor such as the Conv output
 * before its bias Add disappear; the fused node then produces the Add's output, which still matches.
 *
 * Each matched tensor is a layer, attributed to the node of the other model that produces it, found
 * by walking back from its producer through tensors the reference does not have (the dequantized,
 * int32 and scale tensors a quantizer inserted) to tensors the reference has (the layer's inputs).
 * The node to `--exclude` is that producer, or for dynamic mode the node the integer op replaced
 * (the integer op's own name; files from earlier versions named it `<node>_qop`, suffix dropped).
 *
 * Metrics over all examples (sums over every element of every example), with r the reference
 * tensor and q the other model's:
 * - SNR (dB) = 10·log10(Σr² / Σ(r − q)²); relative error = √(Σ(r − q)² / Σr²) (relative L2).
 * - noise-to-signal ratio NSR = Σ(r − q)² / Σr² = 10^(−SNR/10).
 * - input SNR = the worst SNR among the compared tensors the layer reads (∞ for graph inputs and
 *   constants); SNR drop = input SNR − SNR (∞ when the layer reads exact tensors and adds error).
 * - added noise (dB) = −10·log10(NSR − NSR_in): the SNR the layer would have if its inputs were
 *   exact (∞ when the NSR does not grow). The "exclude first" ranking sorts by it, worst first:
 *   for equal input SNRs it orders layers as the SNR drop does, and it stays finite for the first
 *   layers (whose input SNR is ∞), so a layer that takes 40 dB to 20 dB outranks one that takes
 *   ∞ to 40 dB. It assumes a layer passes relative noise through unchanged (a heuristic).
 * @module
 */
import { OptiflowError } from '../ir/errors.js';
import { halfArrayToFloat32 } from '../ir/float16.js';
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { exportOnnx } from '../exporters/onnx/export.js';
import { InferenceSession, Tensor } from '../index.js';
import { loadGraph } from '../runtime/prepare.js';

/** Error of one layer (one float tensor present in both models), over all examples. */
export interface LayerComparison {
  /** The tensor compared (same name in both models). */
  tensor: string;
  /** The node of the other model this layer is attributed to (the name `--exclude` takes). */
  node: string;
  /** Its op type (for dynamic mode, the replaced op: `Conv`, `MatMul`, `Gemm`). */
  opType: string;
  /** The reference model's node producing the tensor. */
  referenceNode: string;
  /** Whether the node is quantized (reads a DequantizeLinear output, is an integer op, or computes in float16). */
  quantized: boolean;
  /** Elements compared. */
  count: number;
  /** 10·log10(Σr² / Σ(r − q)²), dB; `Infinity` when identical, `-Infinity` when r is all zero and q is not. */
  snrDb: number;
  /** √(Σ(r − q)² / Σr²), relative L2 error. */
  relError: number;
  maxAbsError: number;
  /** Worst SNR among the compared tensors the layer reads, dB (`Infinity` when they are exact). */
  inputSnrDb: number;
  /** `inputSnrDb − snrDb`, dB: how much the layer lowers the SNR (`Infinity` from exact inputs; 0 when both exact). */
  snrDropDb: number;
  /** −10·log10(NSR − NSR_in), dB: the SNR of the noise this layer adds (`Infinity` when none). Lower is worse. */
  addedNoiseDb: number;
  /**
   * QDQ models: SNR of the layer's worst quantized activation input (the `DequantizeLinear` output
   * of `QuantizeLinear(t)` against the reference `t`), dB; `Infinity` when it has none. When it is
   * close to `snrDb`, the layer's error is the quantization of that input (its calibrated range),
   * not of the layer's weights: excluding the layer moves that quantization to the next quantized
   * reader, so a different calibration method (or excluding those readers too) is the fix.
   */
  inputQuantSnrDb: number;
  /** The reference tensor behind `inputQuantSnrDb` (absent when none). */
  inputQuantTensor?: string;
}

/** Result of {@link compareLayers}. */
export interface LayerReport {
  /** Every layer, in the other model's graph order. */
  layers: LayerComparison[];
  /**
   * Nodes to exclude first, worst first: the quantized layers (all layers when none is quantized)
   * that add noise, ranked by `addedNoiseDb` ascending; one entry per node.
   */
  ranked: LayerComparison[];
}

/** Options of {@link compareLayers}. */
export interface CompareLayersOptions {
  /** Execution providers of both observing sessions (default: the runtime's defaults, as calibration uses). */
  executionProviders?: string[];
}

const FLOAT_TYPES = new Set(['float32', 'float16', 'float64']);
const INTEGER_OPS = new Set(['ConvInteger', 'MatMulInteger', 'QLinearConv', 'QLinearMatMul']);

/** Float view of a tensor's data (float16 bits widened). */
export function floatView(t: TensorData): ArrayLike<number> {
  return t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : t.data as ArrayLike<number>;
}

/** Running sums of one tensor's error. */
export class ErrorAcc {
  count = 0; sumRef2 = 0; sumErr2 = 0; maxAbs = 0;
  /** Adds one example. @throws OptiflowError `shape_mismatch` naming the tensor. */
  add(ref: TensorData, q: TensorData, name: string): void {
    if (ref.dims.join() !== q.dims.join()) {
      throw new OptiflowError('shape_mismatch', `tensor '${name}' has shape [${ref.dims.join(', ')}] in the reference and [${q.dims.join(', ')}] in the other model`, [name]);
    }
    const a = floatView(ref); const b = floatView(q);
    for (let i = 0; i < a.length; i++) {
      const e = Math.abs(a[i]! - b[i]!);
      if (!(e <= this.maxAbs)) this.maxAbs = Number.isNaN(e) ? NaN : Math.max(this.maxAbs, e);
      this.sumRef2 += a[i]! * a[i]!; this.sumErr2 += e * e;
    }
    this.count += a.length;
  }
  /** Σ(r − q)² / Σr² (0 when exact, `Infinity` when r is all zero and q is not). */
  nsr(): number { return this.sumErr2 === 0 ? 0 : this.sumErr2 / this.sumRef2; }
}

/** NSR → SNR in dB. */
const nsrDb = (nsr: number): number => (nsr === 0 ? Infinity : -10 * Math.log10(nsr));

/** A layer as matched, before measuring. */
interface Match {
  tensor: string; node: string; opType: string; referenceNode: string; quantized: boolean; reads: string[];
  /** Activation inputs quantized in the other model: DequantizeLinear output and the reference tensor it stands for. */
  actInputs: { dq: string; of: string }[];
}

function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

const dtypeOf = (g: Graph, t: string): string | undefined =>
  g.valueInfo.get(t)?.dtype ?? g.inputs.find((v) => v.name === t)?.dtype ?? g.outputs.find((v) => v.name === t)?.dtype;

/**
 * Matches the float tensors of `ref` and `other` by name and attributes each to a node of `other`
 * (see the module comment). Both graphs must have dtypes inferred.
 */
export function matchLayers(ref: Graph, other: Graph): Match[] {
  const refProd = producers(ref); const prod = producers(other);
  const refNames = new Set<string>([...refProd.keys(), ...ref.inputs.map((v) => v.name), ...ref.initializers.keys()]);
  const matches: Match[] = [];
  for (const n of other.nodes) {
    for (const t of n.outputs) {
      const rn = refProd.get(t);
      if (!t || !rn || !FLOAT_TYPES.has(dtypeOf(ref, t) ?? '') || !FLOAT_TYPES.has(dtypeOf(other, t) ?? '')) continue;
      // Walk back through tensors the reference does not have: the nodes a quantizer put in place of one.
      const sub: Node[] = []; const seen = new Set<Node>(); const reads = new Set<string>(); const stack = [n];
      while (stack.length) {
        const m = stack.pop()!;
        if (seen.has(m)) continue;
        seen.add(m); sub.push(m);
        for (const i of m.inputs) {
          if (!i) continue;
          if (refNames.has(i)) reads.add(i);
          else { const p = prod.get(i); if (p) stack.push(p); }
        }
      }
      const actInputs: Match['actInputs'] = [];
      for (const m of sub) {
        const q = m.opType === 'DequantizeLinear' ? prod.get(m.inputs[0] ?? '') : undefined;
        if (q?.opType === 'QuantizeLinear' && refNames.has(q.inputs[0] ?? '') && !ref.initializers.has(q.inputs[0]!)) actInputs.push({ dq: m.outputs[0]!, of: q.inputs[0]! });
      }
      const integer = sub.find((m) => INTEGER_OPS.has(m.opType));
      const readsDq = n.inputs.some((i) => prod.get(i)?.opType === 'DequantizeLinear');
      const half = dtypeOf(other, t) === 'float16' && dtypeOf(ref, t) !== 'float16';
      const node = integer ? integer.name.replace(/_qop(_\d+)?$/, '') : n.name;
      const opType = integer ? (integer.opType === 'ConvInteger' || integer.opType === 'QLinearConv' ? 'Conv' : (ref.nodes.find((m) => m.name === node)?.opType ?? 'MatMul')) : n.opType;
      matches.push({ tensor: t, node, opType, referenceNode: rn.name, quantized: Boolean(integer) || readsDq || half, reads: [...reads], actInputs });
    }
  }
  return matches;
}

/** A session over `g` whose outputs also list `tensors` (calibration's observers). */
async function observer(g: Graph, tensors: readonly string[], o: CompareLayersOptions): Promise<InferenceSession> {
  const outs = new Set(g.outputs.map((v) => v.name));
  for (const t of tensors) {
    if (outs.has(t)) continue;
    const vi = g.valueInfo.get(t);
    g.outputs.push({ name: t, kind: 'tensor', ...(vi?.dtype ? { dtype: vi.dtype } : {}), ...(vi?.shape ? { shape: vi.shape } : {}) });
    outs.add(t);
  }
  return InferenceSession.create(exportOnnx(g), { executionProviders: o.executionProviders });
}

/**
 * Runs `reference` and `other` (paths or ONNX bytes) on every example with observers on the float
 * tensors both models have, and measures each layer's error (see the module comment).
 * @throws OptiflowError `invalid_argument` with no examples or when the models share no float
 *   tensor; `shape_mismatch` when a shared tensor has different shapes; as `InferenceSession.create`/`run`.
 */
export async function compareLayers(reference: string | Uint8Array, other: string | Uint8Array,
  examples: readonly Record<string, TensorData>[], o: CompareLayersOptions = {}): Promise<LayerReport> {
  if (examples.length === 0) throw new OptiflowError('invalid_argument', 'no inputs to compare on');
  const gr = (await loadGraph(reference)).graph;
  const go = (await loadGraph(other)).graph;
  const matches = matchLayers(gr, go);
  if (matches.length === 0) throw new OptiflowError('invalid_argument', 'the two models share no float tensor name; per-layer comparison needs a model quantized from the reference');
  const tensors = matches.map((m) => m.tensor);
  const inputs = new Set(gr.inputs.map((v) => v.name));
  const dqs = new Map(matches.flatMap((m) => m.actInputs.map((a) => [a.dq, a.of] as const)));
  const refFetch = [...new Set([...tensors, ...[...dqs.values()].filter((t) => !inputs.has(t))])];
  const otherFetch = [...tensors, ...dqs.keys()];
  const sr = await observer(gr, refFetch, o);
  const so = await observer(go, otherFetch, o).catch(async (e: unknown) => { await sr.release(); throw e; });
  const accs = new Map(otherFetch.map((t) => [t, new ErrorAcc()]));
  try {
    for (const ex of examples) {
      const feeds: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(ex)) feeds[k] = v instanceof Tensor ? v : new Tensor(v.type, v.data, v.dims);
      const a = await sr.run(feeds, refFetch);
      const b = await so.run(feeds, otherFetch);
      for (const [t, acc] of accs) {
        const of = dqs.get(t) ?? t;
        acc.add((inputs.has(of) ? ex[of] : a[of])!, b[t]!, t);
      }
    }
  } finally {
    await sr.release();
    await so.release();
  }
  const layers: LayerComparison[] = matches.map((m) => {
    const acc = accs.get(m.tensor)!;
    const nsr = acc.nsr();
    let nsrIn = 0;
    for (const t of m.reads) if (!inputs.has(t)) nsrIn = Math.max(nsrIn, accs.get(t)?.nsr() ?? 0);
    const snrDb = acc.sumRef2 === 0 && acc.sumErr2 > 0 ? -Infinity : nsrDb(nsr);
    const inputSnrDb = nsrDb(nsrIn);
    const added = nsr - nsrIn;
    let worst: { dq: string; of: string } | undefined;
    for (const a of m.actInputs) if (!worst || accs.get(a.dq)!.nsr() > accs.get(worst.dq)!.nsr()) worst = a;
    return {
      tensor: m.tensor, node: m.node, opType: m.opType, referenceNode: m.referenceNode, quantized: m.quantized, count: acc.count,
      snrDb, relError: Math.sqrt(nsr), maxAbsError: acc.maxAbs, inputSnrDb,
      snrDropDb: nsr === nsrIn ? 0 : inputSnrDb - snrDb,
      addedNoiseDb: added > 0 ? (Number.isFinite(added) ? -10 * Math.log10(added) : -Infinity) : Infinity,
      inputQuantSnrDb: worst ? nsrDb(accs.get(worst.dq)!.nsr()) : Infinity,
      ...(worst ? { inputQuantTensor: worst.of } : {}),
    };
  });
  return { layers, ranked: rankLayers(layers) };
}

/**
 * The "exclude first" ranking: quantized layers (all layers when none is quantized) that add
 * noise, by `addedNoiseDb` ascending then `snrDropDb` descending, one entry per node (its worst).
 */
export function rankLayers(layers: readonly LayerComparison[]): LayerComparison[] {
  const pool = layers.some((l) => l.quantized) ? layers.filter((l) => l.quantized) : [...layers];
  const sorted = pool.filter((l) => l.addedNoiseDb !== Infinity)
    .sort((a, b) => (a.addedNoiseDb - b.addedNoiseDb) || (b.snrDropDb - a.snrDropDb) || 0);
  const seen = new Set<string>();
  return sorted.filter((l) => (seen.has(l.node) ? false : (seen.add(l.node), true)));
}

/** A layer whose input quantization SNR is within this many dB of its own SNR is activation-bound. */
const ACTIVATION_BOUND_DB = 3;

const db = (v: number): string => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v.toFixed(2));

/**
 * Text form: the ranked "exclude first" list (top `top`, all when `top` is `Infinity`) with a
 * `--exclude` line to paste, then, when `all` is set, every layer in graph order.
 */
export function formatLayers(r: LayerReport, top = 5, all = false): string {
  const lines: string[] = [];
  const row = (l: LayerComparison): string => `${l.node}\t${l.opType}\t${l.tensor}\t${db(l.snrDb)}\t${db(l.snrDropDb)}\t${db(l.addedNoiseDb)}\t${l.relError.toPrecision(3)}\t${db(l.inputQuantSnrDb)}`;
  const head = 'node\top\ttensor\tSNR dB\tdrop dB\tadded dB\trel err\tinput-Q dB';
  const shown = r.ranked.slice(0, top);
  lines.push(`layers where the error grows most (${shown.length} of ${r.ranked.length}; ranked by the noise each adds, lowest "added dB" first):`);
  if (shown.length) {
    lines.push(head, ...shown.map(row));
    lines.push(`exclude first: --exclude ${shown.map((l) => l.node).join(',')}`);
    for (const l of shown) {
      if (l.inputQuantTensor !== undefined && l.inputQuantSnrDb <= l.snrDb + ACTIVATION_BOUND_DB) {
        lines.push(`note: ${l.node}'s error is the quantization of its input '${l.inputQuantTensor}' (${db(l.inputQuantSnrDb)} dB): its calibrated range clips or is coarse; excluding ${l.node} alone may only move that quantization to the next quantized reader — try another --method, or exclude those readers too`);
      }
    }
  } else lines.push('  no layer adds error');
  if (all) lines.push(`all ${r.layers.length} layer(s) in graph order:`, head, ...r.layers.map(row));
  return lines.join('\n');
}
