/**
 * `wasm` kernel of Transpose on float32. Dims of size 1 are dropped and output dims that stay
 * adjacent in the input are merged; a permutation that then moves nothing is a zero-copy alias.
 * Otherwise `transpose_f32` copies contiguous rows when the last output dim is also contiguous in
 * the input (e.g. BERT's `[B,S,H,D] → [B,H,S,D]`), or walks 4×4 SIMD tiles over the two dims that
 * are contiguous in input and output (e.g. `[B,S,H,D] → [B,H,D,S]`).
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import { sizeOf, stridesOf, type TensorData } from '../../../ir/tensor-data.js';
import { Transpose, transposePerm } from '../../../ops/tensor-shape.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import { int32Block, withScratch } from './shape-util.js';

/** A transpose reduced to its essentials: output dims and the input element stride of each. */
export interface TransposePlan { dims: number[]; strides: number[] }

/** Coalesces the transpose of `inDims` by `perm`: drops size-1 dims, merges dims adjacent in both tensors. */
export function transposePlan(inDims: readonly number[], perm: readonly number[]): TransposePlan {
  const inStrides = stridesOf(inDims);
  const dims: number[] = []; const strides: number[] = [];
  for (const p of perm) {
    const n = inDims[p]!; const st = inStrides[p]!;
    if (n === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && strides[k] === st * n) { dims[k]! *= n; strides[k] = st; } else { dims.push(n); strides.push(st); }
  }
  return { dims, strides };
}

const transpose = defineWasmKernel(Transpose, {
  run: ({ attrs, node, inputs: [x], outputs: [o] }, rt) => {
    const perm = transposePerm(node, x!.dims.length, attrs.perm);
    const outDims = o!.shape!;
    const { dims, strides } = transposePlan(x!.dims, perm);
    const r = dims.length;
    if (r <= 1 || sizeOf(outDims) === 0) return [rt.alias(x!, outDims)];
    return withScratch(rt, (s): TensorData[] => {
      const px = rt.input(x!, s);
      const { ptr, tensor } = rt.output(outDims);
      const meta = int32Block(rt, s, [...dims, ...strides]);
      const n = sizeOf(dims);
      if (strides[r - 1] === 1) {
        rt.parallelFor('transpose_f32', [px, ptr, meta, r, -1], n / dims[r - 1]!, n);
      } else {
        const p = strides.indexOf(1);
        const units = (n / (dims[p]! * dims[r - 1]!)) * Math.ceil(dims[p]! / 16);
        rt.parallelFor('transpose_f32', [px, ptr, meta, r, p], units, n * 2);
      }
      return [tensor];
    });
  },
});

/** The Transpose `wasm` kernel (float32 only; other dtypes fall back). */
export const TRANSPOSE_WASM_KERNELS: readonly AnyWasmKernel[] = [transpose];
