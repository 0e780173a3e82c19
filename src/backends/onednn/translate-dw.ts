/**
 * Depthwise fusion of a translated engine: a 1x1 convolution whose output is read only by a
 * depthwise 3x3 convolution (MobileNet's pointwise → next block's depthwise) becomes one `conv`
 * with a {@link DepthwiseFusion} (oneDNN's depthwise post-op), so the 1x1 output never goes to
 * memory. Runs on the engine's op list after translation (where every reader of a tensor is
 * known), before the layout and algorithm choices.
 *
 * Source: oneDNN 2.6 `post_ops::append_dw` (1x1 conv followed by a 3x3 depthwise conv with
 * padding 1 and stride 1 or 2); MobileNet v1 (Howard et al. 2017) block structure.
 * @module
 */
import type { DepthwiseFusion, EngineOp } from './spec.js';

type ConvOp = Extract<EngineOp, { kind: 'conv' }>;

/** Tensor indices an op reads (primary operands and post-op operands). */
export function opReads(op: EngineOp): number[] {
  const r: number[] = [];
  if (op.kind === 'concat') r.push(...op.srcs);
  else if (op.kind === 'matmul' || op.kind === 'binary') {
    for (const x of [op.a, op.b]) if (typeof x === 'number') r.push(x);
  } else r.push(op.src);
  if ('postOps' in op) for (const p of op.postOps) if (p.kind !== 'eltwise') r.push(p.tensor);
  if (op.kind === 'conv' && op.depthwise) for (const p of op.depthwise.postOps) if (p.kind !== 'eltwise') r.push(p.tensor);
  return r;
}

const eltwiseOnly = (op: ConvOp): boolean => op.postOps.every((p) => p.kind === 'eltwise');
const all = (v: readonly number[], x: number): boolean => v.every((y) => y === x);

/** Whether `op` is a float 2-D 1x1 conv, stride 1, no padding, one group, eltwise post-ops only. */
function isPointwise(op: ConvOp): boolean {
  const w = op.weights.dims;
  return !op.outputScales && !op.depthwise && op.groups === 1 && w.length === 4 && w[2] === 1 && w[3] === 1
    && all(op.strides, 1) && all(op.padsBegin, 0) && all(op.padsEnd, 0) && all(op.dilations, 1) && eltwiseOnly(op);
}

/**
 * The depthwise stride when `op` is a float 2-D depthwise 3x3 conv (groups = channels, one
 * weight per group) with padding 1 at the start, dilation 1, stride 1 or 2 in both dims and the
 * output dims ceil(H/stride) x ceil(W/stride) (what oneDNN's fused form computes); else undefined.
 */
function depthwiseStride(op: ConvOp, tensors: readonly (readonly number[])[]): 1 | 2 | undefined {
  const w = op.weights.dims, src = tensors[op.src]!, dst = tensors[op.dst]!;
  if (op.outputScales || op.depthwise || src.length !== 4 || w.length !== 4 || !eltwiseOnly(op)) return undefined;
  const c = src[1]!;
  if (op.groups !== c || w[0] !== c || w[1] !== 1 || w[2] !== 3 || w[3] !== 3 || dst[1] !== c) return undefined;
  const s = op.strides[0];
  if ((s !== 1 && s !== 2) || op.strides[1] !== s || !all(op.padsBegin, 1) || !all(op.dilations, 1)) return undefined;
  if (dst[2] !== Math.ceil(src[2]! / s) || dst[3] !== Math.ceil(src[3]! / s)) return undefined;
  return s;
}

/**
 * Smallest 1x1 output plane (H·W) fused: measured here per layer with ONEDNN_VERBOSE (MobileNet
 * v1, 1 thread), the fused pair is faster than the two convolutions at 112² and 56² (batch 8:
 * 112² 23%, 56² 11-18%, 28² 4-5%; batch 1: 112² 10%, 56² equal) and slower at 14² (batch 8:
 * 3-4%, the 1x1 kernel loses its blocking over the spatial dims). Where oneDNN has only its
 * reference fused implementation the addon builds the two convolutions instead.
 */
export const MIN_FUSED_PLANE = 28 * 28;

/**
 * Fuses each 1x1 conv → depthwise 3x3 conv pair whose intermediate tensor has no other reader,
 * is not an engine output and has at least {@link MIN_FUSED_PLANE} pixels per channel. The fused
 * op takes the depthwise conv's place; the 1x1 conv is dropped.
 * @param ops the engine's ops in execution order
 * @param tensors dims of each engine tensor
 * @param outputs the engine's output tensor indices
 * @returns the new op list (`ops` itself when nothing fused)
 */
export function fuseDepthwise(ops: readonly EngineOp[], tensors: readonly (readonly number[])[], outputs: readonly number[]): readonly EngineOp[] {
  const readers = new Map<number, number>();
  for (const op of ops) for (const t of opReads(op)) readers.set(t, (readers.get(t) ?? 0) + 1);
  for (const t of outputs) readers.set(t, (readers.get(t) ?? 0) + 1);
  const producer = new Map<number, number>();
  ops.forEach((op, k) => { if ('dst' in op) producer.set(op.dst, k); });
  const out: (EngineOp | undefined)[] = [...ops];
  let fused = false;
  ops.forEach((op, k) => {
    if (op.kind !== 'conv') return;
    const stride = depthwiseStride(op, tensors);
    const p = producer.get(op.src);
    const mid = tensors[op.src]!;
    if (stride === undefined || p === undefined || readers.get(op.src) !== 1 || mid[2]! * mid[3]! < MIN_FUSED_PLANE) return;
    const pw = out[p];
    if (pw?.kind !== 'conv' || !isPointwise(pw) || tensors[pw.src]!.length !== 4) return;
    const depthwise: DepthwiseFusion = { weights: op.weights, ...(op.bias ? { bias: op.bias } : {}), stride, postOps: op.postOps };
    out[k] = { ...pw, dst: op.dst, depthwise };
    out[p] = undefined;
    fused = true;
  });
  return fused ? out.filter((op): op is EngineOp => op !== undefined) : ops;
}
