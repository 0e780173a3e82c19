/**
 * Transpose on the GPU (any permutation, rank ≤ 8): the strided-copy template with source strides
 * `inStride[perm[d]]` per output dim. DepthToSpace and SpaceToDepth are the same copy over their
 * 6-D reshape-transpose form (ONNX's definition). float32, float16, int32, uint32.
 * Source: ONNX operator spec (Transpose, DepthToSpace, SpaceToDepth).
 * @module
 */
import { Transpose, transposePerm } from '../../../ops/tensor-shape.js';
import { DepthToSpace, SpaceToDepth } from '../../../ops/tensor-slice.js';
import type { AttrSpecs, OpSchema } from '../../../ops/schema.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuTensor } from '../kernel.js';
import { createCopyPipelines, encodeCopy } from './shape-copy.js';
import { COPY_DTYPES } from './shape-ops.js';
import { checkSupport, gpuFail, storageVariants, stridesOf } from './wgsl-common.js';

/**
 * The 6-D view of a block rearrangement: the input reshaped to `view`, transposed by `perm`.
 * DCR: `[N, b, b, C/b², H, W]` by `[0, 3, 4, 1, 5, 2]`; CRD: `[N, C/b², b, b, H, W]` by
 * `[0, 1, 4, 2, 5, 3]`; SpaceToDepth: `[N, C, H/b, b, W/b, b]` by `[0, 3, 5, 1, 2, 4]`.
 */
export function blockView(kind: 'DCR' | 'CRD' | 'S2D', dims: readonly number[], b: number): { view: number[]; perm: number[] } {
  const [n, c, h, w] = dims as [number, number, number, number];
  if (kind === 'DCR') return { view: [n, b, b, c / (b * b), h, w], perm: [0, 3, 4, 1, 5, 2] };
  if (kind === 'CRD') return { view: [n, c / (b * b), b, b, h, w], perm: [0, 1, 4, 2, 5, 3] };
  return { view: [n, c, h / b, b, w / b, b], perm: [0, 3, 5, 1, 2, 4] };
}

/** A kernel rearranging blocks of a 4-D NCHW tensor as a 6-D transpose. */
function blockKernel(schema: OpSchema<AttrSpecs>, kind: (a: Record<string, unknown>) => 'DCR' | 'CRD' | 'S2D'): AnyGpuKernel {
  return defineGpuKernel(schema, {
    dtypes: COPY_DTYPES,
    supports: (q, limits) => checkSupport(q, limits, { dtypes: COPY_DTYPES }),
    create: async (ctx) => {
      await createCopyPipelines(ctx, storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx));
      const a = ctx.attrs as Record<string, unknown>;
      return {
        constantInputs: [],
        encode(enc, inputs, [y]) {
          const x: GpuTensor = inputs[0] ?? gpuFail(ctx.node, 'input 0 is missing on the GPU');
          if (x.dims.length !== 4) gpuFail(ctx.node, `rank ${x.dims.length}: 4-D NCHW only`);
          const { view, perm } = blockView(kind(a), x.dims, a['blocksize'] as number);
          const s = stridesOf(view);
          encodeCopy(enc, ctx, x, y!, { dims: perm.map((p) => view[p]!), src: perm.map((p) => s[p]!) });
        },
      };
    },
  });
}

/** The Transpose, DepthToSpace and SpaceToDepth kernels. */
export const TRANSPOSE_KERNELS: AnyGpuKernel[] = [
  defineGpuKernel(Transpose, {
    dtypes: COPY_DTYPES,
    supports: (q, limits) => checkSupport(q, limits, { dtypes: COPY_DTYPES }),
    create: async (ctx) => {
      await createCopyPipelines(ctx, storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx));
      return {
        constantInputs: [],
        encode(enc, inputs, [y]) {
          const x = inputs[0] ?? gpuFail(ctx.node, 'input 0 is missing on the GPU');
          const perm = transposePerm(ctx.node, x.dims.length, ctx.attrs.perm);
          const s = stridesOf(x.dims);
          encodeCopy(enc, ctx, x, y!, { dims: y!.dims, src: perm.map((p) => s[p]!) });
        },
      };
    },
  }),
  blockKernel(DepthToSpace as unknown as OpSchema<AttrSpecs>, (a) => (a['mode'] === 'CRD' ? 'CRD' : 'DCR')),
  blockKernel(SpaceToDepth as unknown as OpSchema<AttrSpecs>, () => 'S2D'),
];
