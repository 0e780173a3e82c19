/**
 * `wasm` kernels of ReduceSum, ReduceMean, ReduceMax and ReduceMin on float32, both forms (axes
 * attribute, and axes input from opset 13/18 with `noop_with_empty_axes`), with `keepdims`.
 * The input dims are coalesced into alternating kept and reduced groups; each reduced group is a
 * `[A, R, K]` pass of `reduce_f32` (the last group first), so any set of axes takes one pass per
 * reduced group, the last pass writing the output (a mean scales there by 1/count).
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { REDUCE_OPS, reduceAxes, type ReduceKind } from '../../../ops/reduce-norm-reduce.js';
import { toNumbers } from '../../../ops/shape-utils.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { WasmRuntime } from '../runtime.js';
import { float32Support, withScratch } from './shape-util.js';

/** Reductions this file runs, with their `reduce_f32` op code. */
const KINDS: Partial<Record<ReduceKind, 0 | 1 | 2>> = { ReduceSum: 0, ReduceMean: 0, ReduceMax: 1, ReduceMin: 2 };

/** A run of adjacent input dims that are all reduced or all kept. */
export interface DimGroup { size: number; reduced: boolean }

/** Coalesces `dims` into alternating kept/reduced groups (size-1 dims dropped). */
export function reduceGroups(dims: readonly number[], axes: readonly number[]): DimGroup[] {
  const g: DimGroup[] = [];
  dims.forEach((n, i) => {
    if (n === 1) return;
    const reduced = axes.includes(i);
    const last = g[g.length - 1];
    if (last && last.reduced === reduced) last.size *= n; else g.push({ size: n, reduced });
  });
  return g;
}

function runReduce(rt: WasmRuntime, node: Node, kind: ReduceKind, x: TensorData, axesList: readonly number[] | undefined,
  noop: boolean, outDims: readonly number[]): TensorData {
  const axes = reduceAxes(node, x.dims.length, axesList, true, noop);
  const groups = axes === 'noop' ? [] : reduceGroups(x.dims, axes ?? []);
  const count = axes === 'noop' ? 1 : (axes ?? []).reduce((p, a) => p * x.dims[a]!, 1);
  const code = KINDS[kind]!;
  return withScratch(rt, (s) => {
    let src = rt.input(x, s);
    const { ptr, tensor } = rt.output(outDims);
    if (!groups.some((g) => g.reduced)) {
      const n = sizeOf(outDims);
      rt.parallelFor('copy_f32', [src, ptr], n, n);
      return tensor;
    }
    while (groups.some((g) => g.reduced)) {
      let j = groups.length - 1;
      while (!groups[j]!.reduced) j--;
      const A = sizeOf(groups.slice(0, j).map((g) => g.size));
      const R = groups[j]!.size;
      const K = sizeOf(groups.slice(j + 1).map((g) => g.size));
      groups.splice(j, 1);
      // Neighbouring kept groups become one.
      if (j > 0 && j < groups.length && !groups[j - 1]!.reduced && !groups[j]!.reduced) {
        groups[j - 1]!.size *= groups[j]!.size; groups.splice(j, 1);
      }
      const last = !groups.some((g) => g.reduced);
      const dst = last ? ptr : s.alloc(Math.max(4, A * K * 4));
      const scale = last && kind === 'ReduceMean' ? 1 / count : 1;
      rt.parallelFor('reduce_f32', [code, src, dst, R, K, scale], A * K, A * R * K);
      src = dst;
    }
    return tensor;
  });
}

function reduceKernels(kind: ReduceKind): AnyWasmKernel[] {
  const r = REDUCE_OPS.find((o) => o.kind === kind)!;
  const attrForm = defineWasmKernel(r.attrForm, {
    run: ({ attrs, node, inputs: [x], outputs: [o] }, rt) => [runReduce(rt, node, kind, x!, attrs.axes, false, o!.shape!)],
  });
  const inputForm = defineWasmKernel(r.inputForm, {
    supports: (q) => float32Support(q, { 1: ['int64'] }),
    run: ({ attrs, node, inputs: [x, axes], outputs: [o] }, rt) =>
      [runReduce(rt, node, kind, x!, axes ? toNumbers(axes) : undefined, attrs.noop_with_empty_axes !== 0, o!.shape!)],
  });
  return [attrForm, inputForm];
}

/** The reduction `wasm` kernels (float32 data only; other dtypes fall back). */
export const REDUCE_WASM_KERNELS: readonly AnyWasmKernel[] = [
  ...reduceKernels('ReduceSum'), ...reduceKernels('ReduceMean'), ...reduceKernels('ReduceMax'), ...reduceKernels('ReduceMin'),
];
