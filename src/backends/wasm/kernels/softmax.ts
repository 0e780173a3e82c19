/**
 * `wasm` kernels of Softmax and LogSoftmax on float32. From opset 13 they normalize along the one
 * axis `axis` (default -1): X is viewed as `[outer, size, inner]` and `softmax_f32` works on rows
 * (inner = 1) or on four columns at a time (inner > 1). Before opset 13 X is coerced to 2-D at
 * `axis` (default 1) and every row of the 2-D view is normalized.
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { LogSoftmax, Softmax, softmaxAxis } from '../../../ops/reduce-norm-softmax.js';
import { normalizeAxis } from '../../../ops/shape-utils.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { WasmRuntime } from '../runtime.js';
import { withScratch } from './shape-util.js';

/** `[outer, size, inner]` of a softmax over X of `dims` at the opset's semantics. */
export function softmaxLayout(dims: readonly number[], axisAttr: number | undefined, opset: number, node: Node): [number, number, number] {
  const r = dims.length;
  const axis = softmaxAxis(axisAttr, opset);
  if (r === 0) return [1, 1, 1];
  if (opset < 13) {
    const a = axis === r ? r : normalizeAxis(node, axis, r);
    return [sizeOf(dims.slice(0, a)), sizeOf(dims.slice(a)), 1];
  }
  const a = normalizeAxis(node, axis, r);
  return [sizeOf(dims.slice(0, a)), dims[a]!, sizeOf(dims.slice(a + 1))];
}

function runSoftmax(rt: WasmRuntime, log: 0 | 1, x: TensorData, axis: number | undefined, opset: number, node: Node): TensorData {
  const [outer, size, inner] = softmaxLayout(x.dims, axis, opset, node);
  return withScratch(rt, (s) => {
    const px = rt.input(x, s);
    const { ptr, tensor } = rt.output(x.dims);
    const units = inner === 1 ? outer : outer * inner;
    if (size > 0) rt.parallelFor('softmax_f32', [log, px, ptr, size, inner], units, outer * size * inner * 12);
    return tensor;
  });
}

const softmax = defineWasmKernel(Softmax, {
  run: ({ attrs, opset, node, inputs: [x] }, rt) => [runSoftmax(rt, 0, x!, attrs.axis, opset, node)],
});
const logSoftmax = defineWasmKernel(LogSoftmax, {
  run: ({ attrs, opset, node, inputs: [x] }, rt) => [runSoftmax(rt, 1, x!, attrs.axis, opset, node)],
});

/** The softmax `wasm` kernels (float32 only; other dtypes fall back). */
export const SOFTMAX_WASM_KERNELS: readonly AnyWasmKernel[] = [softmax, logSoftmax];
