/**
 * The elementwise `webgpu` kernels: unary activations and math, broadcasting binary arithmetic,
 * PRelu, the variadic Sum/Mean/Max/Min, Clip (attributes or size-1 inputs), Where (constant
 * condition only: bool tensors stay on the CPU), ONNX Gelu-20 and `optiflow::Gelu`. Float32
 * (and float16 storage); comparisons and logical ops (bool results) are not offered.
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import { BINARY, legacyBDims, PRelu } from '../../../ops/elementwise-binary.js';
import { Clip, VARIADIC, Where } from '../../../ops/elementwise-misc.js';
import { UNARY } from '../../../ops/elementwise-unary.js';
import { OptiflowGelu } from '../../../ops/optiflow-patterns.js';
import type { AttrSpecs, AttrsOf, OpSchema } from '../../../ops/schema.js';
import type { AnyGpuKernel } from '../kernel.js';
import { ewKernel } from './eltwise-core.js';
import { BINARY_EXPR, UNARY_EXPR } from './eltwise-ops.js';
import { constNumbers } from './wgsl-common.js';

const param = (k: number) => `a${k}`;

/** A unary kernel: `op` names the {@link UNARY_EXPR} entry, `params` reads float attributes. */
function unary<S extends AttrSpecs>(schema: OpSchema<S>, op: string, params?: (a: AttrsOf<S>) => number[]): AnyGpuKernel {
  const expr = UNARY_EXPR[op]!;
  const intExpr = INT_UNARY[op];
  return ewKernel(schema, {
    dtypes: intExpr ? INT_TOO : undefined,
    plan: ({ attrs }) => ({ operands: [0], expr: expr('v0', param), intExpr, params: params?.(attrs), key: op }),
  });
}

/** Float and int32 data. */
const INT_TOO = ['float32', 'float16', 'int32'] as const;
/** i32 forms of the unary ops that have one (wrapping, as the js kernels' int32 results). */
const INT_UNARY: Readonly<Partial<Record<string, string>>> = { Relu: 'max(v0, 0)', Neg: '(-v0)', Abs: 'abs(v0)' };
/** i32 forms of the binary ops that have one (wrapping two's-complement arithmetic). */
const INT_BINARY: Readonly<Partial<Record<string, (a: string, b: string) => string>>> = {
  Add: (a, b) => `(${a} + ${b})`, Sub: (a, b) => `(${a} - ${b})`, Mul: (a, b) => `(${a} * ${b})`,
  Max: (a, b) => `max(${a}, ${b})`, Min: (a, b) => `min(${a}, ${b})`,
};

/** A broadcasting binary kernel (opset < 7 `broadcast`/`axis` alignment honoured). */
function binary<S extends AttrSpecs>(schema: OpSchema<S>, op: string): AnyGpuKernel {
  const expr = BINARY_EXPR[op]!;
  const ie = INT_BINARY[op];
  return ewKernel(schema, {
    dtypes: ie ? INT_TOO : undefined,
    plan: ({ attrs, opset, node }) => ({
      operands: [0, 1], expr: expr('v0', 'v1'), intExpr: ie?.('v0', 'v1'), key: op,
      dimsOf: (k, t, all) => (k === 1 ? legacyBDims(opset, all[0]!.dims.length, t.dims, attrs as Record<string, unknown>, node) : t.dims),
    }),
  });
}

/** A variadic kernel folding `op` over every input (Mean divides by the count). */
function variadic(schema: OpSchema<AttrSpecs>, op: string, mean = false): AnyGpuKernel {
  const expr = BINARY_EXPR[op]!;
  const ie = mean || op === 'Add' ? undefined : INT_BINARY[op];
  return ewKernel(schema, {
    dtypes: ie ? INT_TOO : undefined,
    plan: ({ node }) => {
      const k = node.inputs.length;
      let e = 'v0'; let ei = 'v0';
      for (let i = 1; i < k; i++) { e = expr(e, `v${i}`); ei = ie ? ie(ei, `v${i}`) : ei; }
      if (mean) e = `(${e} / ${k}.0)`;
      return { operands: node.inputs.map((_, i) => i), expr: e, intExpr: ie ? ei : undefined, key: `${op}${mean ? 'mean' : ''}${k}` };
    },
  });
}

const U = UNARY;
const B = BINARY;

/** Clip: bounds from attributes (< 11), constant inputs (read once) or runtime size-1 inputs (bound as operands). */
const clip = ewKernel(Clip, {
  plan: ({ attrs, opset, node, constants }) => {
    if (opset < 11) return { operands: [0], expr: 'min_f(max_f(v0, a0), a1)', params: [attrs.min, attrs.max], key: 'Clip' };
    const operands = [0];
    const params: number[] = [];
    const bound = (i: number, dflt: number): string => {
      const present = node.inputs[i] !== undefined && node.inputs[i] !== '';
      const c = constants[i];
      if (!present || c) {
        params.push(c && c.data.length ? constNumbers(c)[0]! : dflt);
        return `a${params.length - 1}`;
      }
      operands.push(i);
      return `v${operands.length - 1}`;
    };
    const lo = bound(1, -Infinity); const hi = bound(2, Infinity);
    return { operands, expr: `min_f(max_f(v0, ${lo}), ${hi})`, params, key: `Clip|${lo}|${hi}` };
  },
});

/** Where with a constant condition (uploaded as int32); a runtime bool condition stays on the CPU. */
const where = ewKernel(Where, {
  check: { constant: [0], dtypes: ['float32', 'float16'] },
  dtypes: ['bool'],
  plan: () => ({ operands: [0, 1, 2], intOperands: [0], expr: 'select(v2, v1, v0 != 0)', key: 'Where' }),
});

/** Every elementwise kernel of this file. */
export const ELTWISE_KERNELS: AnyGpuKernel[] = [
  unary(U.Relu, 'Relu'),
  unary(U.LeakyRelu, 'LeakyRelu', (a) => [a.alpha]),
  unary(U.Elu, 'Elu', (a) => [a.alpha]),
  unary(U.Celu, 'Celu', (a) => [a.alpha]),
  unary(U.Selu, 'Selu', (a) => [a.alpha, a.gamma]),
  unary(U.ThresholdedRelu, 'ThresholdedRelu', (a) => [a.alpha]),
  unary(U.Sigmoid, 'Sigmoid'),
  unary(U.HardSigmoid, 'HardSigmoid', (a) => [a.alpha, a.beta]),
  unary(U.HardSwish, 'HardSwish'),
  unary(U.Tanh, 'Tanh'),
  unary(U.Exp, 'Exp'),
  unary(U.Log, 'Log'),
  unary(U.Sqrt, 'Sqrt'),
  unary(U.Abs, 'Abs'),
  unary(U.Neg, 'Neg'),
  unary(U.Reciprocal, 'Reciprocal'),
  unary(U.Floor, 'Floor'),
  unary(U.Ceil, 'Ceil'),
  unary(U.Sign, 'Sign'),
  unary(U.Erf, 'Erf'),
  unary(U.Softplus, 'Softplus'),
  unary(U.Softsign, 'Softsign'),
  unary(U.Sin, 'Sin'),
  unary(U.Cos, 'Cos'),
  unary(U.Mish, 'Mish'),
  unary(U.Swish, 'Swish', (a) => [a.alpha]),
  ewKernel(U.Gelu, { plan: ({ attrs }) => geluPlan(attrs.approximate) }),
  ewKernel(OptiflowGelu, { plan: ({ attrs }) => geluPlan(attrs.approximate) }),
  binary(B.Add, 'Add'),
  binary(B.Sub, 'Sub'),
  binary(B.Mul, 'Mul'),
  binary(B.Div, 'Div'),
  binary(B.Pow, 'Pow'),
  ewKernel(PRelu, { plan: () => ({ operands: [0, 1], expr: BINARY_EXPR['PRelu']!('v0', 'v1'), key: 'PRelu' }) }),
  variadic(VARIADIC.Sum as OpSchema<AttrSpecs>, 'Add'),
  variadic(VARIADIC.Mean as OpSchema<AttrSpecs>, 'Add', true),
  variadic(VARIADIC.Max as OpSchema<AttrSpecs>, 'Max'),
  variadic(VARIADIC.Min as OpSchema<AttrSpecs>, 'Min'),
  clip,
  where,
];

function geluPlan(approximate: string) {
  const op = approximate === 'tanh' ? 'GeluTanh' : 'GeluErf';
  return { operands: [0], expr: UNARY_EXPR[op]!('v0', param), key: op };
}
