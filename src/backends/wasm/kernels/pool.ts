/**
 * `wasm` kernels of the float32 pooling ops: MaxPool and AveragePool over 1 or 2 spatial axes
 * (pads, auto_pad, strides, dilations, ceil_mode, count_include_pad), GlobalAveragePool and
 * GlobalMaxPool (any spatial rank). The window geometry is resolved here into per-axis tap tables
 * (first in-bounds input index, in-bounds tap count, padded tap count) that `pool2d_f32` walks;
 * interior windows run four outputs per SIMD step for strides 1 and 2. The global pools are row
 * reductions (`reduce_f32`).
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { windowGeometry, windowParams, type WindowAttrs } from '../../../ops/nn-shape.js';
import { AveragePool, GlobalAveragePool, GlobalMaxPool, MaxPool } from '../../../ops/nn-pool.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { WasmRuntime } from '../runtime.js';
import { allOf, firstOutputOnly, float32Support, int32Block, withScratch } from './shape-util.js';

/** Per-output taps of one spatial axis: [first in-bounds input index, in-bounds count, padded count] × out. */
export function axisTable(inN: number, outN: number, k: number, s: number, d: number, pb: number, pe: number): number[] {
  const t: number[] = [];
  for (let o = 0; o < outN; o++) {
    let first = -1; let count = 0; let padded = 0;
    for (let j = 0; j < k; j++) {
      const p = o * s - pb + j * d;
      if (p < inN + pe) padded++;
      if (p >= 0 && p < inN) { if (first < 0) first = p; count++; }
    }
    t.push(Math.max(first, 0), count, padded);
  }
  return t;
}

/** The output columns whose windows lie fully inside the input (a contiguous range). */
function interior(table: readonly number[], outN: number, k: number, s: number, pb: number): [number, number] {
  let lo = -1; let hi = -1;
  for (let o = 0; o < outN; o++) {
    const full = table[3 * o + 1] === k && table[3 * o] === o * s - pb;
    if (full) { if (lo < 0) lo = o; hi = o + 1; }
  }
  return lo < 0 ? [0, 0] : [lo, hi];
}

function spatialSupport(q: SupportQuery): Support {
  const r = q.inputs[0]?.shape?.length;
  if (r !== undefined && r !== 3 && r !== 4) return { ok: false, reason: `wasm ${q.node.opType} handles 1 or 2 spatial axes, input has rank ${r}` };
  const ks = q.node.attributes.get('kernel_shape');
  if (ks?.type === 'ints' && ks.value.length > 2) return { ok: false, reason: `wasm ${q.node.opType} handles 1 or 2 spatial axes` };
  return { ok: true };
}

const MODES = { max: 0, avg: 1, avgIncludePad: 2 } as const;

/** Runs `pool2d_f32` for a window op on X `[N, C, H, W]` or `[N, C, W]`. */
function pool2d(rt: WasmRuntime, node: Node, x: TensorData, attrs: WindowAttrs & { kernel_shape: number[]; ceil_mode: number },
  mode: keyof typeof MODES): TensorData {
  const xd = x.dims; const r = xd.length - 2;
  const p = windowParams(node, r, attrs, attrs.kernel_shape, attrs.ceil_mode !== 0);
  const g = windowGeometry(node, xd.slice(2), p);
  // 1-D pools run as 2-D with a height of 1.
  const two = <T>(v: readonly T[], one: T): T[] => (r === 1 ? [one, v[0]!] : [v[0]!, v[1]!]);
  const [H, W] = two(xd.slice(2), 1); const [OH, OW] = two(g.out, 1);
  const [kh, kw] = two(p.kernel, 1); const [sh, sw] = two(p.strides, 1); const [dh, dw] = two(p.dilations, 1);
  const [ph, pw] = two(g.padsBegin, 0); const [eh, ew] = two(g.padsEnd, 0);
  const tabH = axisTable(H, OH, kh, sh, dh, ph, eh);
  const tabW = axisTable(W, OW, kw, sw, dw, pw, ew);
  const [owLo, owHi] = interior(tabW, OW, kw, sw, pw);
  const outDims = [xd[0]!, xd[1]!, ...g.out];
  return withScratch(rt, (s) => {
    const px = rt.input(x, s);
    const th = int32Block(rt, s, tabH); const tw = int32Block(rt, s, tabW);
    const { ptr, tensor } = rt.output(outDims);
    const planes = xd[0]! * xd[1]!;
    rt.parallelFor('pool2d_f32', [MODES[mode], px, ptr, H, W, OH, OW, th, tw, dh, dw, sw, kw, owLo, owHi],
      planes, planes * OH * OW * kh * kw);
    return tensor;
  });
}

const maxPool = defineWasmKernel(MaxPool, {
  supports: allOf(float32Support, firstOutputOnly, spatialSupport),
  run: ({ attrs, node, inputs: [x] }, rt) => [pool2d(rt, node, x!, attrs, 'max')],
});

const averagePool = defineWasmKernel(AveragePool, {
  supports: allOf(float32Support, spatialSupport),
  run: ({ attrs, node, inputs: [x] }, rt) => [pool2d(rt, node, x!, attrs, attrs.count_include_pad !== 0 ? 'avgIncludePad' : 'avg')],
});

/** Global pooling as a row reduction over the spatial size of each (n, c) plane. */
function globalPool(rt: WasmRuntime, x: TensorData, op: 0 | 1): TensorData {
  const planes = x.dims[0]! * x.dims[1]!; const hw = sizeOf(x.dims.slice(2));
  return withScratch(rt, (s) => {
    const px = rt.input(x, s);
    const { ptr, tensor } = rt.output([x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map(() => 1)]);
    rt.parallelFor('reduce_f32', [op, px, ptr, hw, 1, op === 0 ? 1 / hw : 1], planes, planes * hw);
    return tensor;
  });
}

const globalAveragePool = defineWasmKernel(GlobalAveragePool, {
  run: ({ inputs: [x] }, rt) => [globalPool(rt, x!, 0)],
});
const globalMaxPool = defineWasmKernel(GlobalMaxPool, {
  run: ({ inputs: [x] }, rt) => [globalPool(rt, x!, 1)],
});

/** The pooling `wasm` kernels (float32 only; other dtypes fall back). */
export const POOL_WASM_KERNELS: readonly AnyWasmKernel[] = [maxPool, averagePool, globalAveragePool, globalMaxPool];
