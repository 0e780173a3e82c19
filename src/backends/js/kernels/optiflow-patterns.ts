/**
 * js kernels of the `optiflow` pattern ops: Gelu, LayerNormalization, Attention (4-D) and
 * FusedElementwise. Float32 has direct typed-array paths; other float types go through float64.
 * Source: ONNX operator spec (Gelu-20, LayerNormalization-17, Attention-23).
 * @module
 */
import { OptiflowGelu, OptiflowLayerNormalization } from '../../../ops/optiflow-patterns.js';
import { LayerNormalization } from '../../../ops/reduce-norm-normalization.js';
import { normalizeAxis } from '../../../ops/shape-utils.js';
import { defineKernel, type AnyKernel, type KernelCtx } from '../../backend.js';
import { floatView, fromNumbers, out } from '../util.js';
import { PATTERN_ATTENTION_KERNELS } from './optiflow-patterns-attention.js';
import { erf32, FUSED_ELEMENTWISE_KERNELS } from './optiflow-patterns-elementwise.js';
import { NORMALIZATION_KERNELS } from './reduce-norm-normalization.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** `0.5·x·(1 + erf(x/√2))` over `[0, n)` of `x` into `y`. */
function geluErf(x: ArrayLike<number>, y: { [i: number]: number }, n: number): void {
  for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = 0.5 * v * (1 + erf32(v / Math.SQRT2)); }
}

/** `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` over `[0, n)` of `x` into `y`. */
function geluTanh(x: ArrayLike<number>, y: { [i: number]: number }, n: number): void {
  for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))); }
}

const gelu = defineKernel(OptiflowGelu, {
  run: ({ attrs, inputs: [x], outputs: [o] }) => {
    const f = attrs.approximate === 'tanh' ? geluTanh : geluErf;
    const v = floatView(x!); const n = v.length;
    const y = x!.type === 'float32' ? new Float32Array(n) : new Float64Array(n);
    f(v, y, n);
    return [out(o!.dtype, x!.dims, y instanceof Float32Array ? y : fromNumbers(o!.dtype, y))];
  },
});

/** The standard LayerNormalization kernel: the general path (other dtypes, broadcast parameters, statistics outputs). */
const standardLayerNorm = NORMALIZATION_KERNELS.find((k) => k.schema === (LayerNormalization as unknown))!;

type LayerNormCtx = KernelCtx<{ readonly axis: number; readonly epsilon: number; readonly stash_type: number }, unknown>;

/**
 * Float32 LayerNormalization with per-row statistics in float64 (two passes) and Scale/B of exactly
 * the normalized size; `undefined` when the inputs need the general path.
 */
function layerNormF32({ attrs, inputs: [x, scale, bias], outputs, node }: LayerNormCtx): ReturnType<typeof out>[] | undefined {
  if (x!.type !== 'float32' || attrs.stash_type !== 1 || outputs.length > 1) return undefined;
  const a = normalizeAxis(node, attrs.axis, x!.dims.length);
  let cols = 1;
  for (let i = a; i < x!.dims.length; i++) cols *= x!.dims[i]!;
  const trailing = (p: typeof scale) => !p || (p.type === 'float32' && p.data.length === cols && p.dims.length <= x!.dims.length - a);
  if (!trailing(scale) || !trailing(bias)) return undefined;
  const v = x!.data as Float32Array; const g = scale!.data as Float32Array; const bv = bias?.data as Float32Array | undefined;
  const y = new Float32Array(v.length);
  const eps = attrs.epsilon;
  for (let base = 0; base < v.length; base += cols) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += v[base + c]!;
    const m = s / cols;
    let q = 0;
    for (let c = 0; c < cols; c++) { const d = v[base + c]! - m; q += d * d; }
    const inv = 1 / Math.sqrt(q / cols + eps);
    if (bv) for (let c = 0; c < cols; c++) y[base + c] = (v[base + c]! - m) * inv * g[c]! + bv[c]!;
    else for (let c = 0; c < cols; c++) y[base + c] = (v[base + c]! - m) * inv * g[c]!;
  }
  return [out('float32', x!.dims, y)];
}

const layerNorm = defineKernel(OptiflowLayerNormalization, {
  run: (ctx) => layerNormF32(ctx) ?? standardLayerNorm.run(ctx as KernelCtx<never, unknown>),
});

/** Kernels of the pattern ops. */
export const PATTERN_KERNELS: readonly AnyKernel[] = [gelu, layerNorm, ...PATTERN_ATTENTION_KERNELS, ...FUSED_ELEMENTWISE_KERNELS];
