/**
 * `wasm` kernels of the float32 unary ops and activations (Relu, LeakyRelu, Clip, Sigmoid, Tanh,
 * Erf, Exp, Log, Neg, Abs, Sqrt, Reciprocal, HardSigmoid, HardSwish, Gelu, Softplus, Floor, Ceil,
 * Sin, Cos, Softsign) through one export, `unary_f32`, with SIMD polynomial exp, tanh and erf
 * within ~5e-7 relative.
 * Clip takes its bounds from attributes before opset 11 and from optional inputs after.
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { UNARY } from '../../../ops/elementwise-unary.js';
import { Clip } from '../../../ops/elementwise-misc.js';
import type { AttrSpecs, AttrsOf, OpSchema } from '../../../ops/schema.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { WasmRuntime } from '../runtime.js';
import { scalarOf, withScratch } from './shape-util.js';

/** Op codes of the `unary_f32` export. */
export const UNARY_CODES = {
  Relu: 0, LeakyRelu: 1, Clip: 2, Sigmoid: 3, Tanh: 4, Erf: 5, Exp: 6, Log: 7, Neg: 8, Abs: 9,
  Sqrt: 10, Reciprocal: 11, HardSigmoid: 12, HardSwish: 13, Gelu: 14, GeluTanh: 15, Softplus: 16,
  Floor: 17, Ceil: 18, Sin: 19, Cos: 20, Softsign: 21,
} as const;

/** A unary op name of {@link UNARY_CODES}. */
export type UnaryOpName = keyof typeof UNARY_CODES;

/** Rough cost of one element relative to an add, for the thread pool's split decision. */
const HEAVY: ReadonlySet<UnaryOpName> = new Set(['Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Gelu', 'GeluTanh', 'Softplus', 'Sin', 'Cos']);

/**
 * Applies unary op `op` with parameters `p0`, `p1` to the float32 tensor at `px` of dims `dims`.
 * @returns a new tensor in wasm memory
 */
export function unaryOp(rt: WasmRuntime, op: UnaryOpName, px: number, dims: readonly number[], p0 = 0, p1 = 0): TensorData {
  const { ptr, tensor } = rt.output(dims);
  const n = sizeOf(dims);
  rt.parallelFor('unary_f32', [UNARY_CODES[op], px, ptr, p0, p1], n, HEAVY.has(op) ? n * 10 : n);
  return tensor;
}

/** Declares the kernel of a unary schema; `params` maps attributes to the op and its two parameters. */
function unaryKernel<S extends AttrSpecs>(schema: OpSchema<S>,
  params: (a: AttrsOf<S>) => { op: UnaryOpName; p0?: number; p1?: number }): AnyWasmKernel {
  return defineWasmKernel(schema, {
    run: ({ attrs, inputs: [x] }, rt) => withScratch(rt, (s) => {
      const { op, p0, p1 } = params(attrs);
      return [unaryOp(rt, op, rt.input(x!, s), x!.dims, p0, p1)];
    }),
  });
}

const U = UNARY;

/** Clip: bounds from the attributes before opset 11, else from inputs 1 and 2 (absent: unbounded). */
const clip = defineWasmKernel(Clip, {
  run: ({ attrs, opset, inputs: [x, lo, hi] }, rt) => withScratch(rt, (s) => {
    const l = opset < 11 ? attrs.min : scalarOf(lo) ?? -Infinity;
    const h = opset < 11 ? attrs.max : scalarOf(hi) ?? Infinity;
    return [unaryOp(rt, 'Clip', rt.input(x!, s), x!.dims, l, h)];
  }),
});

/** The unary-family `wasm` kernels (float32 only; other dtypes fall back). */
export const ELTWISE_UNARY_WASM_KERNELS: readonly AnyWasmKernel[] = [
  unaryKernel(U.Relu, () => ({ op: 'Relu' })),
  unaryKernel(U.LeakyRelu, (a) => ({ op: 'LeakyRelu', p0: a.alpha })),
  unaryKernel(U.Sigmoid, () => ({ op: 'Sigmoid' })),
  unaryKernel(U.Tanh, () => ({ op: 'Tanh' })),
  unaryKernel(U.Erf, () => ({ op: 'Erf' })),
  unaryKernel(U.Exp, () => ({ op: 'Exp' })),
  unaryKernel(U.Log, () => ({ op: 'Log' })),
  unaryKernel(U.Neg, () => ({ op: 'Neg' })),
  unaryKernel(U.Abs, () => ({ op: 'Abs' })),
  unaryKernel(U.Sqrt, () => ({ op: 'Sqrt' })),
  unaryKernel(U.Reciprocal, () => ({ op: 'Reciprocal' })),
  unaryKernel(U.HardSigmoid, (a) => ({ op: 'HardSigmoid', p0: a.alpha, p1: a.beta })),
  unaryKernel(U.HardSwish, () => ({ op: 'HardSwish' })),
  unaryKernel(U.Gelu, (a) => ({ op: a.approximate === 'tanh' ? 'GeluTanh' : 'Gelu' })),
  unaryKernel(U.Softplus, () => ({ op: 'Softplus' })),
  unaryKernel(U.Floor, () => ({ op: 'Floor' })),
  unaryKernel(U.Ceil, () => ({ op: 'Ceil' })),
  unaryKernel(U.Sin, () => ({ op: 'Sin' })),
  unaryKernel(U.Cos, () => ({ op: 'Cos' })),
  unaryKernel(U.Softsign, () => ({ op: 'Softsign' })),
  clip,
];
