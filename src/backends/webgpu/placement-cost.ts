/**
 * Transfer-cost placement of `webgpu` segments: a segment is only sent to the GPU when its
 * estimated work beats the cost of its copies (the TFLite GPU delegate's and TF-TRT's "is this
 * partition worth it" question, decided here from static shapes).
 *
 * Model: moving a segment to the GPU saves at most the CPU time of its work, `FLOPs / R_cpu` (the
 * GPU's own time is small next to it), and costs `copy bytes / B_copy` for the uploads of its
 * inputs and the readbacks of its outputs. The break-even work per copied byte is therefore about
 * `R_cpu / B_copy`: with a SIMD CPU backend at ~100–200 GFLOP/s (wasm, js are slower) and copies
 * at ~10–25 GB/s (PCIe 4, or staging through unified memory; browsers' `mapAsync` is slower still),
 * that is ~4–20 FLOP/byte, hence the default {@link DEFAULT_MIN_FLOPS_PER_BYTE} of 10. Elementwise
 * islands do 1 FLOP per element for ≥ 8 copied bytes per element (0.125 FLOP/byte) and are refused;
 * whole CNNs do thousands of FLOPs per copied byte (MobileNet v1 batch 1: ~1.1 GFLOP for ~0.6 MB,
 * ~1900 FLOP/byte) and are kept. A machine with a many-core oneDNN CPU (~1 TFLOP/s) would rather
 * use ~50–100.
 *
 * Work (FLOPs) from static shapes, symbolic dims counted as 1: Conv (and the fused / NHWC forms)
 * `2 · |Y| · (C/group · kh · kw)`; MatMul / Gemm (and fused forms) `2 · |Y| · K`; Attention
 * `4 · |Q| · S_kv`; everything else 1 per element of its largest non-constant input or output.
 * Copies: every segment input (uploaded as its GPU dtype: int64 narrowed to int32) plus every
 * segment output that is read back (not left on the GPU by `outputLocations`).
 * @module
 */
import type { DType } from '../../ir/dtype.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { SegmentSpec } from '../backend.js';
import { gpuDTypeBytes, gpuDTypeOf } from './buffers.js';
import { staticInfo } from './segment.js';

/**
 * Default minimum work per copied byte of a `webgpu` segment, FLOP/byte (see the module comment
 * for the derivation: about a CPU backend's FLOP rate over the host↔GPU copy bandwidth).
 */
export const DEFAULT_MIN_FLOPS_PER_BYTE = 10;

/** The estimate of {@link estimateSegmentCost}. */
export interface SegmentCost {
  /** Nodes in the segment. */
  readonly nodes: number;
  /** Estimated floating-point operations per run. */
  readonly flops: number;
  /** Bytes uploaded (segment inputs) plus read back (segment outputs) per run. */
  readonly copyBytes: number;
}

/** Dims of a value from static info; symbolic or unknown dims count as 1. */
function dimsOf(g: Graph, name: string): number[] {
  const s = name ? staticInfo(g, name)?.shape : undefined;
  return (s ?? []).map((d) => (typeof d === 'number' ? d : 1));
}

const numel = (d: readonly number[]): number => d.reduce((a, x) => a * x, 1);

function dtypeOf(g: Graph, name: string): DType | undefined {
  return staticInfo(g, name)?.dtype;
}

/** Bytes one copy of `name` moves (GPU dtype; 4 bytes per element when not a GPU dtype). */
function copyBytesOf(g: Graph, name: string, fp16: boolean): number {
  const t = dtypeOf(g, name);
  const gt = t ? gpuDTypeOf(t, fp16) ?? 'int32' : 'float32';
  return numel(dimsOf(g, name)) * gpuDTypeBytes(gt);
}

function intAttr(node: Node, name: string): number {
  const a = node.attributes.get(name);
  return a?.type === 'int' ? a.value : 0;
}

/** Estimated FLOPs of one node (see the module comment). */
export function nodeFlops(g: Graph, node: Node): number {
  const y = numel(dimsOf(g, node.outputs[0] ?? ''));
  const input = (i: number): number[] => dimsOf(g, node.inputs[i] ?? '');
  switch (node.opType) {
    case 'Conv': case 'FusedConv': case 'NhwcConv': {
      const w = input(1);
      return 2 * y * numel(w.slice(1));
    }
    case 'MatMul': case 'FusedMatMul': {
      const a = input(0);
      return 2 * y * (a[a.length - 1] ?? 1);
    }
    case 'Gemm': case 'FusedGemm': {
      const a = input(0);
      return 2 * y * ((intAttr(node, 'transA') ? a[0] : a[1]) ?? 1);
    }
    case 'Attention': {
      const q = input(0); const k = input(1);
      return 4 * numel(q) * (k[k.length - 2] ?? 1);
    }
    default: {
      const live = node.inputs.filter((n) => n && !g.initializers.has(n)).map((n) => numel(dimsOf(g, n)));
      return Math.max(y, ...live, ...node.outputs.slice(1).filter((n) => n).map((n) => numel(dimsOf(g, n))));
    }
  }
}

/**
 * Work and copy bytes of a segment per run, from static shapes (symbolic dims as 1).
 * @param fp16 copies move float16 (precision `fp16` with `shader-f16`)
 * @returns never throws; values without static info count as one element
 */
export function estimateSegmentCost(spec: SegmentSpec, fp16 = false): SegmentCost {
  const g = spec.graph;
  const flops = spec.nodes.reduce((a, n) => a + nodeFlops(g, n), 0);
  const up = spec.inputs.reduce((a, n) => a + copyBytesOf(g, n, fp16), 0);
  const down = spec.outputs.reduce((a, n, k) => a + (spec.outputLocations?.[k] === 'gpu-buffer' ? 0 : copyBytesOf(g, n, fp16)), 0);
  return { nodes: spec.nodes.length, flops, copyBytes: up + down };
}

function si(v: number, unit: string): string {
  const steps: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  const [f, p] = steps.find(([s]) => v >= s) ?? [1, ''];
  return `${Number((v / f).toPrecision(3))} ${p}${unit}`;
}

/**
 * Why a segment is refused, or `undefined` when its work per copied byte reaches `minFlopsPerByte`
 * (always `undefined` for a threshold ≤ 0 or a segment that copies nothing).
 * @returns e.g. `segment of 3 nodes: 24 FLOP for 192 B of copies (0.125 FLOP/byte) is below the
 *   10 FLOP/byte threshold, left on the CPU`
 */
export function refuseReason(cost: SegmentCost, minFlopsPerByte: number): string | undefined {
  if (!(minFlopsPerByte > 0) || cost.copyBytes === 0) return undefined;
  const ratio = cost.flops / cost.copyBytes;
  if (ratio >= minFlopsPerByte) return undefined;
  return `segment of ${cost.nodes} node${cost.nodes === 1 ? '' : 's'}: ${si(cost.flops, 'FLOP')} for ${si(cost.copyBytes, 'B')} of copies `
    + `(${Number(ratio.toPrecision(3))} FLOP/byte) is below the ${minFlopsPerByte} FLOP/byte threshold, left on the CPU`;
}
