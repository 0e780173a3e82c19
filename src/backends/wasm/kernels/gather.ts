/**
 * `wasm` kernel of Gather on float32 data with int32 or int64 indices, any axis: data viewed as
 * `[A, V, K]` around the axis, each index selecting a row of K floats (`gather_f32`); axis 0 is
 * the embedding lookup of BERT-style models. Negative indices count from the end; indices are
 * checked here, before the kernel runs. A constant table is copied into wasm memory once.
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import { OptiflowError } from '../../../ir/errors.js';
import { sizeOf } from '../../../ir/tensor-data.js';
import { normalizeAxis } from '../../../ops/shape-utils.js';
import { Gather } from '../../../ops/tensor-gather.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import { freeConstants, inputPtr, packConstants, withScratch, type PackedConstants } from './shape-util.js';

const gather = defineWasmKernel<typeof Gather.attrs, PackedConstants>(Gather, {
  supports: (q) => {
    const d = q.inputs[0]; const i = q.inputs[1];
    if (d?.dtype !== 'float32') return { ok: false, reason: `wasm Gather takes float32 data, got ${d?.dtype}` };
    if (i?.dtype !== 'int32' && i?.dtype !== 'int64') return { ok: false, reason: `wasm Gather takes int32/int64 indices, got ${i?.dtype}` };
    return { ok: true };
  },
  create: (ctx, rt) => packConstants(ctx, rt, [0]),
  dispose: freeConstants,
  run: ({ attrs, node, inputs: [data, indices], outputs: [o], state }, rt) => withScratch(rt, (s) => {
    const dims = data!.dims;
    const axis = normalizeAxis(node, attrs.axis, dims.length);
    const A = sizeOf(dims.slice(0, axis)); const V = dims[axis]!; const K = sizeOf(dims.slice(axis + 1));
    const src = indices!.data as Int32Array | BigInt64Array;
    const N = src.length;
    const idx = s.alloc(Math.max(4, N * 4));
    const view = new Int32Array(rt.memory.buffer, idx, N);
    for (let j = 0; j < N; j++) {
      const v = Number(src[j]!);
      if (v < -V || v >= V) throw new OptiflowError('shape_mismatch', `index ${v} is out of range for axis of size ${V}`, [`node ${node.name} (Gather)`]);
      view[j] = v < 0 ? v + V : v;
    }
    const { ptr, tensor } = rt.output(o!.shape!);
    if (A * N * K === 0) return [tensor];
    rt.parallelFor('gather_f32', [inputPtr(rt, s, data!, state, 0), idx, ptr, V, N, K], A * N, A * N * K);
    return [tensor];
  }),
});

/** The Gather `wasm` kernel (float32 data only; other dtypes fall back). */
export const GATHER_WASM_KERNELS: readonly AnyWasmKernel[] = [gather];
