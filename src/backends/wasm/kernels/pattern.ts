/**
 * `wasm` kernels of the `optiflow` pattern ops of this family: `optiflow::Attention` and the
 * standard `Attention` (`attention.ts`), plus `optiflow::Gelu` (the erf and tanh forms of the
 * unary kernel) and `optiflow::FusedElementwise` (`fused-eltwise.ts`). With these on wasm, the
 * pattern fusions' capability check accepts fused nodes that replace wasm nodes.
 * `optiflow::LayerNormalization` is registered by the normalization family (`norm.ts`).
 * Source: ONNX operator spec (Gelu-20, Attention-23).
 * @module
 */
import { OptiflowGelu } from '../../../ops/optiflow-patterns.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import { ATTENTION_WASM_KERNELS } from './attention.js';
import { unaryOp } from './eltwise-unary.js';
import { FUSED_ELTWISE_WASM_KERNELS } from './fused-eltwise.js';
import { float32Support, withScratch } from './shape-util.js';

const gelu = defineWasmKernel(OptiflowGelu, {
  supports: (q) => float32Support(q),
  run: ({ attrs, inputs: [x] }, rt) => withScratch(rt, (s) => [
    unaryOp(rt, attrs.approximate === 'tanh' ? 'GeluTanh' : 'Gelu', rt.input(x!, s), x!.dims),
  ]),
});

/**
 * The pattern-op `wasm` kernels of the manifest: Attention (both forms), `optiflow::Gelu` and
 * `optiflow::FusedElementwise`.
 */
export const PATTERN_WASM_KERNELS: readonly AnyWasmKernel[] = [...ATTENTION_WASM_KERNELS, gelu, ...FUSED_ELTWISE_WASM_KERNELS];
