/**
 * The int8 residual add folded into a convolution (the oneDNN int8 ResNet recipe): in
 * `QuantizeLinear(Relu?(DequantizeLinear(c_q) + DequantizeLinear(r_q)))`, where c_q is the 8-bit
 * output of an int8 `conv` read only here, the convolution computes the whole expression with a
 * `sum` post-op reading r_q (the dst buffer starts as r_q; the addon reuses r_q's buffer when
 * nothing reads r_q later, else copies it first), so neither c_q nor the add's separate pass over
 * memory exists. Called by the QuantizeLinear translator's residual-add fusion
 * (`translate-int8.ts`), which emits one int8 binary instead when this declines.
 *
 * Source: ONNX operator spec (QuantizeLinear, DequantizeLinear, QLinearConv, Add, Relu); oneDNN
 * 2.6 developer guide ("Int8 computation", "Primitive attributes: post-ops", sum with a zero
 * point: `post_ops::append_sum(scale, zero_point)`).
 * @module
 */
import type { EngineOp, PostOp } from './spec.js';
import { privateTensor } from './int8-fuse.js';
import type { NodeCtx } from './translate-builder.js';

type Builder = NodeCtx['b'];
type Dequantize = Extract<EngineOp, { kind: 'dequantize' }>;
type Conv = Extract<EngineOp, { kind: 'conv' }>;

/** One operand of the residual Add: the per-tensor `dequantize` op `op` (index `j`) feeding it. */
export interface ResidualOperand {
  readonly j: number;
  readonly op: Dequantize;
}

/** A residual fold chosen by {@link planResidualConv}. */
export interface ResidualConvPlan {
  /** Index of the int8 conv whose output feeds the Add (dropped and re-emitted fused). */
  readonly k: number;
  readonly conv: Conv;
  /** The Add operand the conv produces (its dequantize gives s_c, z_c). */
  readonly c: ResidualOperand;
  /** The other operand: r_q (its dequantize gives s_r, z_r), read by the sum post-op. */
  readonly r: ResidualOperand;
}

/** Whether tensor `t` is some op's `sum` post-op operand. */
function readBySum(b: Builder, t: number): boolean {
  for (let k = 0; k < b.opCount(); k++) if (b.postOpsOf(k).some((p) => p.kind === 'sum' && p.tensor === t)) return true;
  return false;
}

/**
 * The conv operand of the residual Add `operands` that can absorb it, or `undefined`: its
 * dequantize reads the dst of an int8 `conv` (output scales present, no post-ops, no depthwise
 * fusion) whose dst has type `dtype` and zero point equal to the dequantize's, is read by nothing
 * else (no other op, no graph node, not a segment output, no sum post-op); the other operand (same
 * type and dims, checked by the caller) becomes the sum's operand. Of two candidates, the one
 * emitted later (its operand, the earlier tensor, is more likely dead by then: r_q's buffer reused).
 */
export function planResidualConv(b: Builder, operands: readonly [ResidualOperand, ResidualOperand], dtype: 'u8' | 's8'): ResidualConvPlan | undefined {
  let best: ResidualConvPlan | undefined;
  for (const [c, r] of [[operands[0], operands[1]], [operands[1], operands[0]]] as const) {
    if (c.op.axis !== undefined || r.op.axis !== undefined || c.op.src === r.op.src) continue;
    const t = c.op.src;
    const k = b.producerOf(t);
    if (k === undefined) continue;
    const conv = b.op(k);
    if (conv.kind !== 'conv' || !conv.outputScales || conv.depthwise || b.postOpsOf(k).length > 0) continue;
    if (b.dtype(conv.dst) !== dtype || b.dtype(r.op.src) !== dtype || (conv.dstZeroPoint ?? 0) !== c.op.zeroPoint) continue;
    if (b.readsOf(t) !== 1 || !privateTensor(b, t) || readBySum(b, t)) continue;
    if (!best || k > best.k) best = { k, conv, c, r };
  }
  return best;
}

/**
 * Emits the conv of `plan` with the residual Add (+ Relu when `relu`) and the output quantization
 * (s_y, z_y) folded in; returns its dst (type of r_q, r_q's dims). The caller has dropped the
 * float island's ops; this drops the original conv.
 *
 * Math. With A[o] = Σ (x − z_x)·w + B[o] the conv's int32 accumulator and m[o] its output scales
 * x_scale·w_scale[o]/s_c (unchanged), the QDQ graph computes
 *
 *   c = Q_c = sat_c(round(m·A) + z_c),  v = s_c·(c − z_c) + s_r·(r − z_r),
 *   y = Q_y(relu(v)) = sat_y(round(relu(v)/s_y) + z_y)
 *
 * (round: half to even; sat: to the 8-bit range q_min..q_max; s_c, z_c, s_r, z_r the
 * DequantizeLinear parameters of c and r, z_c also the conv's y_zero_point). oneDNN 2.6 applies
 * the output scales, then the post-ops in order, then adds the dst zero point, rounds half to
 * even and saturates; the fused conv keeps m as its output scales and takes the post-ops
 *
 *   round → clip(q_min − z_c, q_max − z_c) with eltwise scale s_c/s_y → sum(scale s_r/s_y, zero point z_r) [→ relu]
 *
 * and the dst zero point z_y, so it computes y' = sat_y(round(relu(t) + z_y)) with
 * t = (s_c/s_y)·clip(round(m·A), ·) + (s_r/s_y)·(r − z_r) = v/s_y: round + clip is exactly
 * Q_c − z_c (z_c an integer), the sum's zero point subtracts z_r from the residual (the dst
 * buffer's initial value), relu(v)/s_y = relu(v/s_y) and round(u) + z_y = round(u + z_y) (s_y > 0,
 * z_y an integer). The relu post-op is left out when z_y = q_min: then t < 0 gives
 * round(t + z_y) ≤ q_min, which saturates to q_min = round(relu(t) + z_y) anyway. Every rounding
 * and saturation of the QDQ graph is kept; only the float arithmetic differs (the division by
 * s_y becomes products with s_c/s_y and s_r/s_y), so y' differs from y only where a value lies
 * within float rounding of a rounding tie, by one step.
 */
export function emitResidualConv(b: Builder, plan: ResidualConvPlan, relu: boolean, sy: number, zy: number): number {
  const { conv, c, r } = plan;
  const dtype = b.dtype(conv.dst) as 'u8' | 's8';
  const [qmin, qmax] = dtype === 'u8' ? [0, 255] : [-128, 127];
  const zc = c.op.zeroPoint;
  const postOps: PostOp[] = [
    { kind: 'eltwise', alg: 'round', alpha: 0, beta: 0 },
    { kind: 'eltwise', alg: 'clip', alpha: qmin - zc, beta: qmax - zc, scale: c.op.scales[0]! / sy },
    { kind: 'sum', tensor: r.op.src, scale: r.op.scales[0]! / sy, ...(r.op.zeroPoint !== 0 ? { zeroPoint: r.op.zeroPoint } : {}) },
    ...(relu && zy !== qmin ? [{ kind: 'eltwise' as const, alg: 'relu' as const, alpha: 0, beta: 0 }] : []),
  ];
  b.removeOp(plan.k);
  const dst = b.tensor(b.dims(conv.dst), dtype);
  b.emit({ ...conv, dst, postOps, dstZeroPoint: zy });
  return dst;
}
