/**
 * Shared int8 weight quantization helpers: symmetric per-channel int8 (scale = max|w| / 127 per
 * output channel, zero point 0), as onnxruntime's `quantize_dynamic`/`quantize_static` and
 * TensorFlow Lite quantize weights; and folding of constant `Reshape`s so weights that reach a
 * MatMul through a Reshape of an initializer are seen as constants.
 * @module
 */
import { OptiflowError } from '../ir/errors.js';
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';

/** Round half to even, as ONNX `QuantizeLinear` rounds. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes float32 weights to int8, symmetric, one scale per slice along `axis` (the output
 * channel: 0 for Conv `[M, C/group, kh, kw]`, 1 for MatMul `B` `[K, N]`).
 * `scale[c] = max|w[c]| / 127` (1 for an all-zero channel), `q = clamp(round_half_even(w / scale), -127, 127)`.
 * @param w row-major weights, `w.length` = product of `dims`
 * @param dims the weight shape
 * @param axis the channel axis, `0 <= axis < dims.length`
 * @returns `q` (same layout as `w`) and `scales` (length `dims[axis]`)
 * @throws OptiflowError `invalid_argument` for a bad axis or a length mismatch.
 */
export function quantizeWeightsPerChannel(w: Float32Array, dims: number[], axis: number): { q: Int8Array; scales: Float32Array } {
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length) {
    throw new OptiflowError('invalid_argument', `channel axis ${axis} is out of range for a rank-${dims.length} weight`);
  }
  const total = dims.reduce((a, b) => a * b, 1);
  if (total !== w.length) throw new OptiflowError('invalid_argument', `weight of shape [${dims.join(', ')}] has ${w.length} values`);
  const channels = dims[axis]!;
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i]!;
  const outer = channels === 0 || inner === 0 ? 0 : total / (channels * inner);
  const scales = new Float32Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let m = scales[c]!;
      for (let i = 0; i < inner; i++) m = Math.max(m, Math.abs(w[base + i]!));
      scales[c] = m;
    }
  }
  for (let c = 0; c < channels; c++) scales[c] = scales[c]! > 0 ? Math.fround(scales[c]! / 127) : 1;
  const q = new Int8Array(total);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const s = scales[c]!;
      for (let i = 0; i < inner; i++) q[base + i] = Math.max(-127, Math.min(127, roundHalfEven(w[base + i]! / s)));
    }
  }
  return { q, scales };
}

/** The dims a `Reshape` to `shape` gives `dims` (ONNX semantics: 0 copies, -1 infers; allowzero = 0). */
function reshapeDims(dims: readonly number[], shape: readonly number[]): number[] | undefined {
  const total = dims.reduce((a, b) => a * b, 1);
  const out = shape.map((d, i) => (d === 0 ? dims[i] ?? -2 : d));
  if (out.some((d) => d < -1)) return undefined;
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const neg = out.filter((d) => d === -1).length;
  if (neg > 1) return undefined;
  if (neg === 1) {
    if (known === 0 || total % known !== 0) return undefined;
    return out.map((d) => (d === -1 ? total / known : d));
  }
  return known === total ? out : undefined;
}

/**
 * Folds every top-level `Reshape` whose data and shape are float32/int64 initializers into a new
 * initializer named after its output (CNTK-exported models reach MatMul weights that way); removes
 * initializers no longer read. Graph outputs are left alone.
 * @returns the number of Reshapes folded.
 */
export function foldConstantReshapes(g: Graph): number {
  const outputs = new Set(g.outputs.map((o) => o.name));
  const kept: Node[] = [];
  let folded = 0;
  for (const n of g.nodes) {
    const data = g.initializers.get(n.inputs[0] ?? '');
    const shape = g.initializers.get(n.inputs[1] ?? '');
    const out = n.outputs[0] ?? '';
    if (n.opType === 'Reshape' && (n.domain === '' || n.domain === 'ai.onnx') && data && shape && shape.type === 'int64'
      && !outputs.has(out) && !g.initializers.has(out) && (n.attributes.get('allowzero')?.value ?? 0) === 0) {
      const dims = reshapeDims(data.dims, Array.from(shape.data as BigInt64Array, Number));
      if (dims) {
        g.initializers.set(out, { type: data.type, dims, data: data.data } satisfies TensorData);
        folded++;
        continue;
      }
    }
    kept.push(n);
  }
  if (folded === 0) return 0;
  g.nodes = kept;
  removeUnusedInitializers(g);
  return folded;
}

/** Deletes initializers that no node (subgraphs included, by name) and no graph output reads. */
export function removeUnusedInitializers(g: Graph): void {
  const used = new Set<string>(g.outputs.map((o) => o.name));
  const visit = (gr: Graph): void => {
    for (const n of gr.nodes) {
      for (const i of n.inputs) used.add(i);
      for (const a of n.attributes.values()) {
        if (a.type === 'graph') visit(a.value);
        else if (a.type === 'graphs') a.value.forEach(visit);
      }
    }
  };
  visit(g);
  for (const k of [...g.initializers.keys()]) {
    if (!used.has(k) && !g.inputs.some((v) => v.name === k)) g.initializers.delete(k);
  }
}
