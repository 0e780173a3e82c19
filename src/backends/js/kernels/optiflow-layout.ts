/**
 * js kernel of `optiflow::NhwcConv`: the reference semantics, not a fast path. X (NHWC) is
 * transposed to NCHW, the nn family's conv code runs with the bias fused, the result is transposed
 * to NHWC, then one epilogue pass adds the residual Z (NHWC) and applies the activation. The
 * `create` phase resolves the activation, decodes constant weights and bias once and resolves the
 * window parameters. A backend that prefers NHWC brings its own channels-last kernel.
 * Float types (float16/bfloat16 computed in float32, rounded at the end).
 * Source: ONNX operator spec (Conv); onnxruntime's `com.microsoft` NhwcConv.
 * @module
 */
import type { DType } from '../../../ir/dtype.js';
import { windowGeometry, windowParams, type WindowParams } from '../../../ops/nn-shape.js';
import { resolveActivation, type FusedActivation } from '../../../ops/optiflow-fused-activation.js';
import { NhwcConv } from '../../../ops/optiflow-layout.js';
import { fail } from '../../../ops/shape-utils.js';
import { defineKernel, type AnyKernel, type Support, type SupportQuery } from '../../backend.js';
import { out } from '../util.js';
import { conv3, convCompute, type Conv3 } from './nn-conv.js';
import type { FloatArray } from './nn-gemm.js';
import { computeBuffer, computeView, finish } from './nn-util.js';
import { applyEpilogue } from './optiflow-fused-epilogue.js';

const FLOATS: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];

/**
 * Copies `[n, a, b]` row-major `src` into `dst` as `[n, b, a]` (NHWC → NCHW with a = H·W, b = C;
 * NCHW → NHWC with a = C, b = H·W).
 */
export function transposeLast2(src: FloatArray, dst: FloatArray, n: number, a: number, b: number): void {
  const plane = a * b;
  for (let i = 0; i < n; i++) {
    const base = i * plane;
    for (let p = 0; p < a; p++) {
      const row = base + p * b;
      for (let q = 0; q < b; q++) dst[base + q * a + p] = src[row + q]!;
    }
  }
}

interface State {
  act: FusedActivation;
  w?: FloatArray;
  b?: FloatArray;
  /** Window parameters when the kernel extent is known at create time. */
  params?: WindowParams;
  /** Geometry of the last input spatial shape seen (`key` = its dims joined). */
  geo?: { key: string; g: Conv3 };
}

/** Accepts rank-4 X (or an unknown rank, checked at run time). */
function rank4(q: SupportQuery): Support {
  const r = q.inputs[0]?.shape?.length;
  return r !== undefined && r !== 4 ? { ok: false, reason: `js NhwcConv needs a 4-D NHWC input, got rank ${r}` } : { ok: true };
}

const nhwcConv = defineKernel(NhwcConv, {
  dtypes: FLOATS,
  supports: rank4,
  create: ({ attrs, node, constants: [, w, b] }): State => {
    const act = resolveActivation(node, attrs.activation, attrs.activation_params);
    const kernel = attrs.kernel_shape ?? w?.dims.slice(2);
    const params = kernel ? windowParams(node, kernel.length, attrs, kernel) : undefined;
    return { act, w: w ? computeView(w) : undefined, b: b ? computeView(b) : undefined, params };
  },
  run: ({ attrs, node, state, inputs: [xt, wt, bt, zt], outputs: [o] }) => {
    const xd = xt!.dims; const wd = wt!.dims;
    if (xd.length !== 4) fail(node, 'shape_mismatch', `NhwcConv X must be 4-D [N, H, W, C], got [${xd.join(',')}]`);
    const [n, h, w, c] = xd as [number, number, number, number];
    const shape = o!.shape!;
    if (zt && (zt.dims.length !== 4 || zt.dims.some((d, i) => d !== shape[i]))) {
      fail(node, 'shape_mismatch', `residual Z [${zt.dims.join(',')}] must have the output's shape [${shape.join(',')}]`);
    }
    const key = `${h},${w}`;
    let g = state.geo?.key === key ? state.geo.g : undefined;
    if (!g) {
      const p = state.params ?? windowParams(node, 2, attrs, attrs.kernel_shape ?? wd.slice(2));
      const geo = windowGeometry(node, [h, w], p);
      g = conv3([h, w], geo.out, p.kernel, p.strides, p.dilations, geo.padsBegin);
      state.geo = { key, g };
    }
    const m = shape[3]!;
    const size = shape.reduce((a, b) => a * b, 1);
    const y = computeBuffer(o!.dtype, size);
    if (size > 0) {
      const xv = computeView(xt!);
      const xNchw = computeBuffer(xv instanceof Float64Array ? 'float64' : 'float32', xv.length);
      transposeLast2(xv, xNchw, n, h * w, c);
      const yNchw = computeBuffer(o!.dtype, size);
      convCompute(xNchw, n, c, state.w ?? computeView(wt!), m, state.b ?? (bt ? computeView(bt) : undefined), attrs.group, g, yNchw);
      transposeLast2(yNchw, y, n, m, g.oH * g.oW);
      applyEpilogue(y, state.act, { residual: zt ? computeView(zt) : undefined });
    }
    return [out(o!.dtype, shape, finish(o!.dtype, y))];
  },
});

/** The js kernels of the layout ops (NhwcConv). */
export const LAYOUT_KERNELS: readonly AnyKernel[] = [nhwcConv];
