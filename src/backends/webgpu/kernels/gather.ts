/**
 * Gather on the GPU: `Y[outer, j, inner] = X[outer, I[j], inner]` with negative indices counted
 * from the end (out-of-range indices are clamped so no read leaves the buffer; the `js` backend
 * rejects them). Indices are int32 on the GPU: constant int32/int64 indices are converted and
 * uploaded once; runtime indices must be int32 (int64 tensors stay on the CPU). Data: float32,
 * float16, int32, uint32 (copied as bits).
 * Source: ONNX operator spec (Gather).
 * @module
 */
import { Gather } from '../../../ops/tensor-gather.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuDType } from '../kernel.js';
import { COPY_DTYPES } from './shape-ops.js';
import { checkSupport, disposeAll, enableFor, gpuFail, grid, mainHeader, storageVariants, uniformDecl, Uniforms } from './wgsl-common.js';

function gatherShader(t: GpuDType): string {
  const e = t === 'float16' ? 'f16' : 'u32';
  return `${enableFor(t)}
@group(0) @binding(0) var<storage, read> X: array<${e}>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> Y: array<${e}>;
${uniformDecl(3, 4)}
${mainHeader()}
  if (idx >= pu(0u)) { return; }
  let inner = pu(1u); let ni = pu(2u); let ad = pu(3u);
  let i_in = idx % inner;
  let t = idx / inner;
  let j = t % ni;
  let outer = t / ni;
  var k = I[j];
  if (k < 0) { k = k + i32(ad); }
  k = clamp(k, 0, i32(ad) - 1);
  Y[idx] = X[(outer * ad + u32(k)) * inner + i_in];
}
`;
}

function asInt32(t: TensorData): TensorData {
  return { type: 'int32', dims: [...t.dims], data: Int32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v)) };
}

/** The Gather kernel. */
export const GATHER_KERNELS: AnyGpuKernel[] = [
  defineGpuKernel(Gather, {
    dtypes: COPY_DTYPES,
    supports: (q, limits) => checkSupport(q, limits, { dtypes: COPY_DTYPES, constant: q.inputs[1]?.value ? [1] : [] }),
    create: async (ctx) => {
      const variants = storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx);
      const key = (t: GpuDType) => `gather|${t === 'float16' ? 'f16' : 'u32'}`;
      await Promise.all(variants.map((t) => ctx.pipelines.get(key(t), () => gatherShader(t))));
      const uploaded = [
        ctx.constants[0] ? ctx.upload(ctx.constants[0]) : undefined,
        ctx.constants[1] ? ctx.upload(asInt32(ctx.constants[1]), 'int32') : undefined,
      ];
      return {
        constantInputs: [],
        encode(enc, inputs, [y]) {
          const x = inputs[0] ?? uploaded[0] ?? gpuFail(ctx.node, 'input 0 is missing on the GPU');
          const ix = inputs[1] ?? uploaded[1] ?? gpuFail(ctx.node, 'indices are missing on the GPU');
          if (ix.dtype !== 'int32') gpuFail(ctx.node, `indices of dtype ${ix.dtype}: int32 only`);
          const n = y!.dims.reduce((a, b) => a * b, 1);
          if (n === 0) return;
          const r = x.dims.length;
          const axis = ctx.attrs.axis < 0 ? ctx.attrs.axis + r : ctx.attrs.axis;
          const inner = x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
          const ni = ix.dims.reduce((a, b) => a * b, 1);
          const u = new Uniforms(4).u(0, n).u(1, inner).u(2, ni).u(3, x.dims[axis]!);
          const pipe = ctx.pipelines.peek(key(x.dtype)) ?? gpuFail(ctx.node, `no pipeline for ${x.dtype}`);
          enc.dispatch(pipe, [x, ix, y!, u.binding], grid(n));
        },
        dispose() { disposeAll(uploaded); },
      };
    },
  }),
];
