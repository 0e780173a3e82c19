/**
 * Schemas of the `optiflow` pattern ops that the pattern fusions create where the model's opset
 * has no standard op for the pattern, and of the elementwise-chain op:
 * - `optiflow::Gelu`: ONNX Gelu-20 (attribute `approximate`, `'none'` or `'tanh'`) at any opset;
 * - `optiflow::LayerNormalization`: ONNX LayerNormalization-17 at any opset;
 * - `optiflow::Attention`: ONNX Attention-23 restricted to 4-D `[B, H, S, D]` inputs, an optional
 *   mask, and the `scale` attribute;
 * - `optiflow::FusedElementwise`: a chain of float32 elementwise ops given as a program
 *   (see `optiflow-patterns-program.ts`).
 * Each has a decomposition into standard ONNX ops (`optiflow-patterns-decompose.ts`).
 * Source: ONNX operator spec (Gelu-20, LayerNormalization-17, Attention-23).
 * @module
 */
import { FLOAT_TYPES } from '../ir/dtype.js';
import type { Dim } from '../ir/graph.js';
import { UNARY } from './elementwise-unary.js';
import type { Decomposition } from './optiflow.js';
import { decomposeAttention, decomposeFusedElementwise, decomposeGelu, decomposeLayerNormalization } from './optiflow-patterns-decompose.js';
import { parseProgram } from './optiflow-patterns-program.js';
import { LayerNormalization } from './reduce-norm-normalization.js';
import { attr, defineOp, type AttrSpecs, type OpSchema } from './schema.js';
import { dimEq, shapeOf } from './sequence-util.js';
import { broadcastShapes, checkDType, checkSameDType, fail, need } from './shape-utils.js';

/** The optiflow domain (spelled here: `optiflow.ts` imports this file, so it cannot be imported back). */
const DOMAIN = 'optiflow';

/**
 * `optiflow::Gelu(X) → Y`: ONNX Gelu-20 at every opset. `approximate='none'`:
 * `0.5·x·(1 + erf(x/√2))`; `'tanh'`: `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`. Float types;
 * Y has X's dtype and shape.
 * @throws OptiflowError `invalid_attribute` for another `approximate`.
 */
export const OptiflowGelu = defineOp({
  opType: 'Gelu', domain: DOMAIN, since: 1, until: 1, inputs: [1, 1], outputs: [1, 1],
  attrs: UNARY.Gelu.attrs, infer: UNARY.Gelu.infer,
});

/**
 * `optiflow::LayerNormalization(X, Scale, B?) → Y, Mean?, InvStdDev?`: ONNX LayerNormalization-17
 * (normalization over the dims from `axis`, statistics in `stash_type`) at every opset.
 */
export const OptiflowLayerNormalization = defineOp({
  opType: 'LayerNormalization', domain: DOMAIN, since: 1, until: 1,
  inputs: LayerNormalization.inputs, outputs: LayerNormalization.outputs,
  attrs: LayerNormalization.attrs, infer: LayerNormalization.infer,
});

/**
 * `optiflow::Attention(Q, K, V, attn_mask?) → Y`: ONNX Attention-23 for 4-D inputs,
 * `Y = softmax(Q·Kᵀ·scale + mask)·V` with softmax over the last axis.
 * Q `[B, Hq, Sq, D]`, K `[B, Hk, T, D]`, V `[B, Hk, T, Dv]` with `Hk = Hq` or `Hk = 1` (the heads
 * MatMul broadcasting can express); attn_mask additive (Q's dtype) or bool (true = attend),
 * broadcastable by numpy rules to `[B, Hq, Sq, T]` with last dim exactly T (Attention-23's padding
 * of a shorter mask is not supported). `scale` defaults to `1/√D`. Y `[B, Hq, Sq, Dv]`. A row whose
 * scores are all -∞ gives NaN, as in the ONNX reference implementation.
 * @throws OptiflowError `shape_mismatch` for non-4-D inputs or disagreeing dims,
 *   `dtype_mismatch` for non-float Q/K/V or a mask of another float type.
 */
export const OptiflowAttention = defineOp({
  opType: 'Attention', domain: DOMAIN, since: 1, until: 1, inputs: [3, 4], outputs: [1, 1],
  attrs: { scale: attr.float() },
  infer: (ctx) => {
    checkDType(ctx, 0, FLOAT_TYPES);
    checkSameDType(ctx, [0, 1, 2]);
    const q = need(ctx, 0); const k = need(ctx, 1); const v = need(ctx, 2); const m = ctx.inputs[3];
    checkDType(ctx, 3, [q.dtype, 'bool']);
    if (!q.shape || !k.shape || !v.shape) return [{ dtype: q.dtype, shape: undefined }];
    for (const [name, s] of [['Q', q.shape], ['K', k.shape], ['V', v.shape]] as const) {
      if (s.length !== 4) fail(ctx.node, 'shape_mismatch', `${name} must be 4-D [B, H, S, D], got rank ${s.length}`);
    }
    const [b, hq, sq] = q.shape as [Dim, Dim, Dim, Dim];
    const [, hk, t] = k.shape as [Dim, Dim, Dim, Dim];
    dimEq(ctx.node, b, k.shape[0], 'batch of Q and K'); dimEq(ctx.node, b, v.shape[0], 'batch of Q and V');
    dimEq(ctx.node, q.shape[3], k.shape[3], 'head size of Q and K');
    dimEq(ctx.node, hk, v.shape[1], 'heads of K and V');
    dimEq(ctx.node, t, v.shape[2], 'sequence length of K and V');
    if (hk !== 1) dimEq(ctx.node, hq, hk, 'heads of Q and K (K heads must equal Q heads or be 1)');
    if (m?.shape) {
      if (m.shape.length > 4) fail(ctx.node, 'shape_mismatch', `attn_mask has rank ${m.shape.length}; at most 4`);
      broadcastShapes(ctx.node, [[b, hq, sq, t], m.shape]);
      const last = m.shape.length ? m.shape[m.shape.length - 1]! : 1;
      if (typeof last === 'number' && typeof t === 'number' && last !== t) {
        fail(ctx.node, 'shape_mismatch', `attn_mask last dim ${last} must equal the key sequence length ${t}`);
      }
    }
    return [{ dtype: q.dtype, shape: shapeOf([b, hq, sq, v.shape[3]]) }];
  },
});

/**
 * `optiflow::FusedElementwise(x0, x1, ...) → y`: runs the straight-line float32 program of the
 * string attribute `program` (see `optiflow-patterns-program.ts`); y's shape is the numpy
 * broadcast of every input's shape. Float32 only.
 * @throws OptiflowError `invalid_attribute` for a malformed program, `dtype_mismatch` for a
 *   non-float32 input, `shape_mismatch` for inputs that do not broadcast.
 */
export const FusedElementwise = defineOp({
  opType: 'FusedElementwise', domain: DOMAIN, since: 1, until: 1, inputs: [1, Infinity], outputs: [1, 1],
  attrs: { program: attr.required('string') },
  infer: (ctx) => {
    ctx.inputs.forEach((_, i) => checkDType(ctx, i, ['float32']));
    ctx.inputs.forEach((_, i) => need(ctx, i));
    parseProgram(ctx.attrs.program, ctx.inputs.length, ctx.node);
    const shapes = ctx.inputs.map((x) => x!.shape);
    const shape = shapes.every((s) => s !== undefined) ? broadcastShapes(ctx.node, shapes as Dim[][]) : undefined;
    return [{ dtype: 'float32', shape }];
  },
});

/** Schemas of the pattern ops. */
export const PATTERN_SCHEMAS: readonly OpSchema<AttrSpecs>[] = [
  OptiflowGelu, OptiflowLayerNormalization, OptiflowAttention, FusedElementwise,
] as unknown as OpSchema<AttrSpecs>[];

/** Their decompositions into standard ONNX ops, by op type. */
export const PATTERN_DECOMPOSITIONS: ReadonlyMap<string, Decomposition> = new Map<string, Decomposition>([
  ['Gelu', decomposeGelu],
  ['LayerNormalization', decomposeLayerNormalization],
  ['Attention', decomposeAttention],
  ['FusedElementwise', decomposeFusedElementwise],
]);
