/**
 * WebGPU float32 kernels of the matrix products: MatMul (numpy batching and broadcasting, 1-D
 * operands), Gemm (alpha, beta, transA, transB, C broadcast to [M, N]), and the `optiflow` fused
 * forms FusedMatMul (bias along the last axis) and FusedGemm with their activation applied in the
 * GEMM's epilogue. All run the tiled template of `matmul-template.ts`; transposes, broadcasts and
 * biases are strides, so one pipeline serves every shape.
 * Source: ONNX operator spec (MatMul, Gemm); `src/ops/optiflow-fused.ts`.
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import { FusedGemm, FusedMatMul } from '../../../ops/optiflow-fused.js';
import { resolveActivation, type FusedActivation } from '../../../ops/optiflow-fused-activation.js';
import { Gemm, MatMul } from '../../../ops/nn-gemm.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuCreateCtx, type GpuKernel, type GpuTensor } from '../kernel.js';
import type { AttrSpecs, OpSchema } from '../../../ops/schema.js';
import {
  createGemm, encodeGemm, gemmTuneKey, gemmTuning, pickTile, validTile, type GemmRun, type GemmTile, type GemmVariant, type OperandStrides,
} from './matmul-template.js';
import { hasSymbolicInput, TunedVariants } from './tuned-variants.js';
import {
  allOk, checkBindingSizes, contiguousStrides, hasInput, inputAt, MAX_GROUPS_PER_DIM, nodeError, numel, storageOf, uploadConstants,
} from './wgsl-a.js';

const NO_ACT: FusedActivation = { kind: '', params: [] };

/** Numpy broadcast of batch shapes (already validated by inference). */
function broadcastBatch(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1; const y = b[b.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
}

/** Batch strides of an operand with batch dims `own` (matrix size `mat`) broadcast to `out`. */
function batchStrides(own: readonly number[], out: readonly number[], mat: number): number[] {
  const st = contiguousStrides(own).map((s) => s * mat);
  return out.map((_, i) => {
    const j = i - (out.length - own.length);
    return j < 0 || own[j] === 1 ? 0 : st[j]!;
  });
}

/** Declines ranks the four batch slots cannot hold and tensors above the binding limit. */
function matmulSupports(q: SupportQuery, limits: GPUSupportedLimits): Support {
  return allOk(
    () => {
      const r = Math.max(q.inputs[0]?.shape?.length ?? 0, q.inputs[1]?.shape?.length ?? 0);
      return r > 6 ? { ok: false, reason: `rank ${r} operands: at most 4 batch dims on webgpu` } : { ok: true };
    },
    () => {
      const a = q.inputs[0]?.shape; const b = q.inputs[1]?.shape;
      if (!a || !b || ![...a, ...b].every((d) => typeof d === 'number')) return { ok: true };
      const batch = numel(broadcastBatch((a as number[]).slice(0, -2), (b as number[]).slice(0, -2)));
      return batch > MAX_GROUPS_PER_DIM ? { ok: false, reason: `batch of ${batch} matrices exceeds one dispatch dimension (${MAX_GROUPS_PER_DIM})` } : { ok: true };
    },
    () => checkBindingSizes(q, limits),
  );
}

/**
 * Creates a GEMM-based kernel: the variant's pipeline with the tuned (or default) tile, constants
 * uploaded, `run` recording the dispatches, and the node's tuning problem. With symbolic input
 * shapes the tile is looked up per dispatch by the concrete shapes (`tuned-variants.ts`).
 */
export async function gemmKernel(ctx: GpuCreateCtx<unknown>, schema: OpSchema<AttrSpecs>, algo: string,
  variant: Omit<GemmVariant, 'tile' | 'st'>, run: GemmRun): Promise<GpuKernel> {
  const up = uploadConstants(ctx);
  const v = { ...variant, st: storageOf(ctx) };
  const tile = pickTile(ctx, gemmTuneKey(ctx, algo));
  const g = await createGemm(ctx, { ...v, tile });
  const tuned = hasSymbolicInput(ctx)
    ? new TunedVariants(ctx, { choice: tile, pipeline: g }, (t) => createGemm(ctx, { ...v, tile: t as GemmTile }), validTile)
    : undefined;
  const node = ctx.node;
  return {
    encode(enc, inputs, outputs) {
      const ins = node.inputs.map((n, i) => (n ? inputAt(node, inputs, up, i) : undefined));
      run(tuned ? tuned.pick(gemmTuneKey(ctx, algo, ins.map((t) => t?.dims))) : g, enc, ins, outputs);
    },
    tuning: (dims) => gemmTuning(ctx, schema, algo, v, run, dims),
  };
}

/** MatMul / FusedMatMul: `Y = act(A·B + bias)`. */
function createMatMul(ctx: GpuCreateCtx<unknown>, schema: OpSchema<AttrSpecs>, act: FusedActivation, withBias: boolean): Promise<GpuKernel> {
  const node = ctx.node;
  return gemmKernel(ctx, schema, 'gemm', { a: 'strided', b: 'strided', aKFast: true, bKFast: false, hasC: withBias, hasZ: false, act },
    (g, enc, [a0, b0, c], [y]) => {
      const a = a0!; const b = b0!;
      const bd = b.dims;
      // A batched A times a 2-D B is one GEMM with the batch folded into M (better tiles).
      const ad = bd.length <= 2 && a.dims.length > 2 ? [numel(a.dims.slice(0, -1)), a.dims[a.dims.length - 1]!] : a.dims;
      const m = ad.length >= 2 ? ad[ad.length - 2]! : 1; const k = ad[ad.length - 1]!;
      const n = bd.length >= 2 ? bd[bd.length - 1]! : 1;
      const batch = broadcastBatch(ad.slice(0, -2), bd.slice(0, -2));
      const yStr: OperandStrides = { rs: n, cs: 1, bs: contiguousStrides(batch).map((s) => s * m * n) };
      encodeGemm(enc, node, g, {
        m, n, k, batch,
        a: { rs: k, cs: 1, bs: batchStrides(ad.slice(0, -2), batch, m * k) },
        b: { rs: bd.length >= 2 ? n : 1, cs: 1, bs: batchStrides(bd.slice(0, -2), batch, k * n) },
        y: yStr,
        ...(c ? { c: { rs: 0, cs: 1, bs: batch.map(() => 0) } } : {}),
      }, { a, b, y: y!, ...(c ? { c } : {}) });
    });
}

/** Gemm attributes both Gemm and FusedGemm carry. */
interface GemmAttrs { readonly alpha: number; readonly beta: number; readonly transA: number; readonly transB: number }

/** Strides of C (rank 0..2) broadcast unidirectionally to [M, N]. */
function cStrides(node: Node, c: GpuTensor): OperandStrides {
  const d = c.dims;
  if (d.length > 2) throw nodeError(node, 'shape_mismatch', `Gemm C [${d.join(',')}] has rank > 2`);
  const cols = d.length >= 1 ? d[d.length - 1]! : 1;
  const rows = d.length === 2 ? d[0]! : 1;
  return { rs: rows === 1 ? 0 : cols, cs: cols === 1 ? 0 : 1, bs: [] };
}

/** Gemm / FusedGemm: `Y = act(alpha·A'·B' + beta·C)`. */
function createGemmKernel(ctx: GpuCreateCtx<GemmAttrs>, schema: OpSchema<AttrSpecs>, act: FusedActivation): Promise<GpuKernel> {
  const { alpha, beta, transA, transB } = ctx.attrs;
  const node = ctx.node;
  return gemmKernel(ctx, schema, 'gemm', { a: 'strided', b: 'strided', aKFast: !transA, bKFast: !!transB, hasC: hasInput(node, 2), hasZ: false, act },
    (g, enc, [a0, b0, c], [y]) => {
      const a = a0!; const b = b0!;
      if (a.dims.length !== 2 || b.dims.length !== 2) throw nodeError(node, 'shape_mismatch', 'Gemm needs 2-D A and B');
      const [m, k] = transA ? [a.dims[1]!, a.dims[0]!] : [a.dims[0]!, a.dims[1]!];
      const n = transB ? b.dims[0]! : b.dims[1]!;
      encodeGemm(enc, node, g, {
        m, n, k, batch: [], alpha, beta,
        a: transA ? { rs: 1, cs: m, bs: [] } : { rs: k, cs: 1, bs: [] },
        b: transB ? { rs: 1, cs: k, bs: [] } : { rs: n, cs: 1, bs: [] },
        y: { rs: n, cs: 1, bs: [] },
        ...(c ? { c: cStrides(node, c) } : {}),
      }, { a, b, y: y!, ...(c ? { c } : {}) });
    });
}

/** MatMul (all opsets), float32. */
export const gpuMatMul = defineGpuKernel(MatMul, {
  supports: matmulSupports,
  create: (ctx) => createMatMul(ctx, MatMul as unknown as OpSchema<AttrSpecs>, NO_ACT, false),
});

/** optiflow::FusedMatMul, float32: bias and activation in the epilogue. */
export const gpuFusedMatMul = defineGpuKernel(FusedMatMul, {
  supports: matmulSupports,
  create: (ctx) => createMatMul(ctx, FusedMatMul as unknown as OpSchema<AttrSpecs>, resolveActivation(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params), hasInput(ctx.node, 2)),
});

/** Gemm (all opsets), float32. */
export const gpuGemm = defineGpuKernel(Gemm, {
  supports: checkBindingSizes,
  create: (ctx) => createGemmKernel(ctx, Gemm as unknown as OpSchema<AttrSpecs>, NO_ACT),
});

/** optiflow::FusedGemm, float32: activation in the epilogue. */
export const gpuFusedGemm = defineGpuKernel(FusedGemm, {
  supports: checkBindingSizes,
  create: (ctx) => createGemmKernel(ctx, FusedGemm as unknown as OpSchema<AttrSpecs>, resolveActivation(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params)),
});

/** The matrix-product kernels. */
export const MATMUL_KERNELS_A: readonly AnyGpuKernel[] = [gpuMatMul, gpuFusedMatMul, gpuGemm, gpuFusedGemm];
