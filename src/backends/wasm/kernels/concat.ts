/**
 * `wasm` kernel of Concat on float32: the output viewed as `[outer, total · inner]` around the
 * axis, each input copied into its column block with one strided row copy (`copy_rows_f32`).
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { normalizeAxis } from '../../../ops/shape-utils.js';
import { Concat } from '../../../ops/tensor-slice.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import { withScratch } from './shape-util.js';

const concat = defineWasmKernel(Concat, {
  run: ({ attrs, node, inputs, outputs: [o] }, rt) => withScratch(rt, (s) => {
    const xs = inputs as readonly TensorData[];
    const outDims = o!.shape!;
    const axis = normalizeAxis(node, attrs.axis, outDims.length);
    const outer = sizeOf(outDims.slice(0, axis)); const inner = sizeOf(outDims.slice(axis + 1));
    const rowOut = outDims[axis]! * inner;
    const { ptr, tensor } = rt.output(outDims);
    let off = 0;
    for (const x of xs) {
      const len = x.dims[axis]! * inner;
      if (len > 0 && outer > 0) rt.parallelFor('copy_rows_f32', [rt.input(x, s), ptr + off * 4, len, len, rowOut], outer, outer * len);
      off += len;
    }
    return [tensor];
  }),
});

/** The Concat `wasm` kernel (float32 only; other dtypes fall back). */
export const CONCAT_WASM_KERNELS: readonly AnyWasmKernel[] = [concat];
