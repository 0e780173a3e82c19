/**
 * `wasm` kernels of scaled dot-product attention on float32: `optiflow::Attention` (the fused form
 * of `Softmax(Q·Kᵀ·scale + mask)·V`) and the standard ONNX `Attention` (opset 23+) for 4-D inputs
 * without KV cache, softcap or the QK output. One `attention_f32` call runs every
 * (batch, head): per head, scale·Q·Kᵀ + mask through the GEMM (mask added by its epilogue), a row
 * softmax in place, then P·V written into Y. Calls are split over (batch·head) slots, one
 * workspace per slot.
 *
 * The mask is read in place when it is float32 with last dim T (any numpy broadcast of the leading
 * dims); a bool mask (true = attend), a last dim of 1, or (standard Attention) a last dim shorter
 * than T (the rest masked) is first turned into an additive float32 copy, into which `is_causal`
 * also goes (key j > query i masked, upper-left aligned as without a cache). A row whose scores are
 * all -∞ gives NaN for `optiflow::Attention` (its reference softmax) and zeros for the standard op
 * (as its kernels).
 * Source: ONNX operator spec (Attention-23); Vaswani et al., "Attention Is All You Need" (2017).
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { OptiflowAttention } from '../../../ops/optiflow-patterns.js';
import { Attention } from '../../../ops/sequence-attention.js';
import { fail } from '../../../ops/shape-utils.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { Scratch, WasmRuntime } from '../runtime.js';
import { threadPoolOf } from '../thread-pool.js';
import { allOf, float32Support, int32Block, withScratch } from './shape-util.js';

/** The mask as the kernel reads it: pointer (0 = none) and element strides per batch, head and row. */
interface MaskView {
  readonly ptr: number;
  readonly strides: readonly [number, number, number];
}

/**
 * Brings `mask` into the kernel's form for scores of `[B, Hq, S, T]`.
 * @param pad standard Attention: a last dim shorter than T is padded with -∞ (else it must be T,
 *   or 1 to broadcast)
 * @param causal standard Attention's `is_causal`: key j > query i is masked as well
 * @throws OptiflowError `shape_mismatch` when the mask does not broadcast to the scores.
 */
function maskView(rt: WasmRuntime, s: Scratch, node: Node, mask: TensorData | undefined, scores: readonly number[],
  pad: boolean, causal: boolean): MaskView {
  if (!mask && !causal) return { ptr: 0, strides: [0, 0, 0] };
  const md = mask?.dims ?? [1]; const r = md.length;
  if (r > 4) fail(node, 'shape_mismatch', `attn_mask has rank ${r}; at most 4`);
  const t = scores[3]!;
  const lm = r ? md[r - 1]! : 1;
  if (lm !== t && !(lm === 1 && !pad) && !(pad && lm < t)) {
    fail(node, 'shape_mismatch', `attn_mask last dim ${lm} does not fit the key sequence length ${t}`);
  }
  // Leading dims right-aligned to [B, Hq, S]; 1 broadcasts.
  const src = [1, 1, 1];
  for (let a = 0; a < r - 1; a++) {
    const ax = 4 - r + a; const dim = md[a]!;
    if (dim !== 1 && dim !== scores[ax]) fail(node, 'shape_mismatch', `attn_mask dim ${a} is ${dim}, expected 1 or ${scores[ax]}`);
    src[ax] = dim;
  }
  const lead = causal ? [src[0]!, src[1]!, scores[2]!] : src;
  const [l0, l1, l2] = lead as [number, number, number];
  const strides: [number, number, number] = [l0 === 1 ? 0 : l1 * l2 * t, l1 === 1 ? 0 : l2 * t, l2 === 1 ? 0 : t];
  if (mask?.type === 'float32' && lm === t && !causal) return { ptr: rt.input(mask, s), strides };
  // An additive float32 copy of [lead..., T].
  const ptr = s.alloc(Math.max(4, l0 * l1 * l2 * t * 4));
  const dst = rt.f32(ptr, l0 * l1 * l2 * t);
  const data = mask?.data as ArrayLike<number> | undefined;
  const bool = mask?.type === 'bool';
  const broadcastKeys = !pad && lm === 1;
  for (let b = 0, o = 0; b < l0; b++) {
    for (let h = 0; h < l1; h++) {
      for (let i = 0; i < l2; i++) {
        const row = ((src[0] === 1 ? 0 : b) * src[1]! + (src[1] === 1 ? 0 : h)) * src[2]! + (src[2] === 1 ? 0 : i);
        for (let j = 0; j < t; j++, o++) {
          const jj = broadcastKeys ? 0 : j;
          let m = 0;
          if (causal && j > i) m = -Infinity;
          else if (data) {
            const v = jj < lm ? Number(data[row * lm + jj]!) : NaN;
            m = jj >= lm ? -Infinity : bool ? (v ? 0 : -Infinity) : v;
          }
          dst[o] = m;
        }
      }
    }
  }
  return { ptr, strides };
}

/** Threads of the runtime's pool (1 without one). */
function threadsOf(rt: WasmRuntime): number {
  return threadPoolOf(rt.parallelFor)?.threads ?? 1;
}

/**
 * Y = softmax(scale·Q·Kᵀ + mask)·V for 4-D float32 Q `[B, Hq, S, D]`, K `[B, Hk, T, D]`,
 * V `[B, Hk, T, Dv]` (Hq a multiple of Hk).
 * @param zeroMasked fully masked rows give zeros (else NaN)
 * @param padMask a mask's last dim shorter than T is padded with -∞ (standard Attention)
 * @param causal key j > query i is masked as well (standard Attention's `is_causal`)
 * @returns Y `[B, Hq, S, Dv]` in wasm memory
 * @throws OptiflowError `shape_mismatch` for disagreeing dims or a mask that does not broadcast.
 */
export function attention(rt: WasmRuntime, node: Node, q: TensorData, k: TensorData, v: TensorData,
  mask: TensorData | undefined, scale: number | undefined, zeroMasked: boolean, padMask: boolean, causal = false): TensorData {
  for (const [what, t] of [['Q', q], ['K', k], ['V', v]] as const) {
    if (t.dims.length !== 4) fail(node, 'shape_mismatch', `wasm Attention needs 4-D ${what}, got rank ${t.dims.length}`);
  }
  const [b, hq, sq, d] = q.dims as [number, number, number, number];
  const [b2, hk, t, d2] = k.dims as [number, number, number, number];
  const [b3, hv, t2, dv] = v.dims as [number, number, number, number];
  if (b2 !== b || b3 !== b || d2 !== d || hv !== hk || t2 !== t || hk === 0 || hq % hk !== 0) {
    fail(node, 'shape_mismatch', `Q [${q.dims.join(',')}], K [${k.dims.join(',')}], V [${v.dims.join(',')}] do not fit attention`);
  }
  return withScratch(rt, (s) => {
    const m = maskView(rt, s, node, mask, [b, hq, sq, t], padMask, causal);
    const y = rt.output([b, hq, sq, dv]);
    const units = b * hq;
    const total = sizeOf(y.tensor.dims);
    if (total === 0) return y.tensor;
    if (t === 0) { rt.f32(y.ptr, total).fill(0); return y.tensor; }
    const slots0 = Math.min(units, threadsOf(rt));
    const per = Math.ceil(units / slots0);
    const slots = Math.ceil(units / per);
    const wsFloats = Number(rt.exports.attention_workspace_f32!(sq, t, d, dv));
    const ws = s.alloc(Math.max(4, slots * wsFloats * 4));
    const params = int32Block(rt, s, [b, hq, hk, sq, t, d, dv, ...m.strides, zeroMasked ? 1 : 0, per, units]);
    const pq = rt.input(q, s); const pk = rt.input(k, s); const pv = rt.input(v, s);
    const cost = units * sq * t * (d + dv + 16);
    rt.parallelFor('attention_f32', [params, scale ?? 1 / Math.sqrt(d), pq, pk, pv, m.ptr, y.ptr, ws, wsFloats], slots, cost);
    return y.tensor;
  });
}

/** float32 Q, K, V; a float32 or bool mask. */
function attentionDtypes(q: SupportQuery): Support {
  return float32Support(q, { 3: ['float32', 'bool'] });
}

/** Standard Attention: 4-D inputs, no KV cache, softcap or extra outputs. */
function standardSupport(q: SupportQuery): Support {
  const n = q.node;
  const no = (why: string): Support => ({ ok: false, reason: `wasm Attention ${why}` });
  if (n.inputs.slice(4).some((i) => i !== '')) return no('takes no past_key/past_value/nonpad_kv_seqlen');
  if (n.outputs.slice(1).some((o) => o !== '')) return no('produces only Y (no present_key/present_value/qk_matmul_output)');
  const softcap = n.attributes.get('softcap');
  if (softcap?.type === 'float' && softcap.value !== 0) return no('does not run softcap');
  for (let i = 0; i < 3; i++) {
    const r = q.inputs[i]?.shape?.length;
    if (r !== 4) return no(`needs 4-D Q, K, V (input ${i} has ${r === undefined ? 'an unknown rank' : `rank ${r}`})`);
  }
  return { ok: true };
}

const optiflowAttention = defineWasmKernel(OptiflowAttention, {
  supports: attentionDtypes,
  run: ({ attrs, node, inputs: [q, k, v, mask] }, rt) => [attention(rt, node, q!, k!, v!, mask, attrs.scale, false, false)],
});

const standardAttention = defineWasmKernel(Attention, {
  supports: allOf(attentionDtypes, standardSupport),
  run: ({ attrs, node, inputs: [q, k, v, mask] }, rt) => [attention(rt, node, q!, k!, v!, mask, attrs.scale, true, true, attrs.is_causal !== 0)],
});

/** The attention `wasm` kernels. */
export const ATTENTION_WASM_KERNELS: readonly AnyWasmKernel[] = [optiflowAttention, standardAttention];
