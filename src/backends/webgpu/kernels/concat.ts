/**
 * Concat and Split on the GPU: one strided copy per input (Concat: each input into its block of
 * the output) or per output (Split: each block of the input out). Split sizes come from the
 * runner's output dims, so `split` attributes/inputs and `num_outputs` need no handling here
 * (a `split` input must still be a constant for placement). float32, float16, int32, uint32.
 * Source: ONNX operator spec (Concat, Split).
 * @module
 */
import { Concat, Split } from '../../../ops/tensor-slice.js';
import { defineGpuKernel, type AnyGpuKernel } from '../kernel.js';
import { createCopyPipelines, encodeCopy } from './shape-copy.js';
import { COPY_DTYPES } from './shape-ops.js';
import { checkSupport, disposeAll, gpuFail, no, storageVariants, stridesOf } from './wgsl-common.js';

/** Every kernel of this file. */
export const CONCAT_KERNELS: AnyGpuKernel[] = [
  defineGpuKernel(Concat, {
    dtypes: COPY_DTYPES,
    supports: (q, limits) => checkSupport(q, limits, { dtypes: COPY_DTYPES }),
    create: async (ctx) => {
      await createCopyPipelines(ctx, storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx));
      const uploaded = ctx.constants.map((c) => (c ? ctx.upload(c) : undefined));
      return {
        constantInputs: [],
        encode(enc, inputs, [y]) {
          const r = y!.dims.length;
          const axis = ctx.attrs.axis < 0 ? ctx.attrs.axis + r : ctx.attrs.axis;
          const ys = stridesOf(y!.dims);
          let at = 0;
          ctx.node.inputs.forEach((_, i) => {
            const x = inputs[i] ?? uploaded[i] ?? gpuFail(ctx.node, `input ${i} is missing on the GPU`);
            encodeCopy(enc, ctx, x, y!, { dims: x.dims, src: stridesOf(x.dims), dst: ys, dstBase: at * ys[axis]! });
            at += x.dims[axis]!;
          });
        },
        dispose() { disposeAll(uploaded); },
      };
    },
  }),
  defineGpuKernel(Split, {
    dtypes: COPY_DTYPES,
    supports: (q, limits) => {
      if (q.node.outputs.some((o) => o === '')) return no('omitted outputs are not supported');
      const split = q.node.inputs[1] ? [1] : [];
      return checkSupport(q, limits, { dtypes: COPY_DTYPES, constant: split });
    },
    create: async (ctx) => {
      await createCopyPipelines(ctx, storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx));
      return {
        constantInputs: [],
        encode(enc, inputs, outputs) {
          const x = inputs[0] ?? gpuFail(ctx.node, 'input 0 is missing on the GPU');
          const r = x.dims.length;
          const axis = ctx.attrs.axis < 0 ? ctx.attrs.axis + r : ctx.attrs.axis;
          const xs = stridesOf(x.dims);
          let at = 0;
          for (const y of outputs) {
            encodeCopy(enc, ctx, x, y, { dims: y.dims, src: xs, srcBase: at * xs[axis]! });
            at += y.dims[axis]!;
          }
        },
      };
    },
  }),
];
