/**
 * WGSL expressions of the elementwise ops, shared by the per-op kernels and the fused-program
 * kernel (`optiflow::FusedElementwise`). Values are computed in f32 (16-bit storage converts on
 * load and store). Expressions follow the ONNX definitions and the `js` reference kernels
 * (overflow-free sigmoid, softplus and tanh; erf to float32 accuracy).
 * Source: ONNX operator spec (docs/Operators.md); Numerical Recipes §6.2 for erf.
 * @module
 */
import { WGSL_ERF, WGSL_SPECIALS } from './wgsl-common.js';

/** WGSL helper functions every elementwise shader carries (unused ones cost nothing). */
export const EW_HELPERS = `${WGSL_SPECIALS}${WGSL_ERF}
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn tanh_f(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn log1p_f(x: f32) -> f32 {
  if (abs(x) < 0.05) { return x * (1.0 - x * (0.5 - x * (0.3333333333 - x * (0.25 - x * 0.2)))); }
  return log(1.0 + x);
}
fn softplus_f(x: f32) -> f32 {
  if (x > 0.0) { return x + log1p_f(exp(-x)); }
  return log1p_f(exp(x));
}
fn sin_f(x: f32) -> f32 {
  let k = round(x * 0.15915494309189535);
  var r = (x - k * 6.28125) - k * 0.0019353071795864769;
  if (r > 1.5707963267948966) { r = 3.141592653589793 - r; }
  if (r < -1.5707963267948966) { r = -3.141592653589793 - r; }
  let s = r * r;
  return r * (1.0 - s / 6.0 * (1.0 - s / 20.0 * (1.0 - s / 42.0 * (1.0 - s / 72.0 * (1.0 - s / 110.0 * (1.0 - s / 156.0))))));
}
fn cos_f(x: f32) -> f32 { return sin_f(x + 1.5707963267948966); }
fn expm1_f(x: f32) -> f32 {
  if (abs(x) < 1e-3) { return x + 0.5 * x * x + x * x * x / 6.0; }
  return exp(x) - 1.0;
}
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (a == 0.0) { return select(0.0, inf_f(), b < 0.0); }
  let r = exp2(b * log2(abs(a)));
  if (a > 0.0) { return r; }
  if (fract(b) != 0.0) { return nan_f(); }
  return select(r, -r, abs(b) % 2.0 == 1.0);
}
fn max_f(a: f32, b: f32) -> f32 { return select(max(a, b), a + b, a != a || b != b); }
fn min_f(a: f32, b: f32) -> f32 { return select(min(a, b), a + b, a != a || b != b); }
`;

/** A unary expression: `x` is the operand's WGSL, `a(k)` the WGSL of float parameter `k`. */
export type UnaryExpr = (x: string, a: (k: number) => string) => string;

/** WGSL expressions of the unary ops (ONNX names). */
export const UNARY_EXPR: Readonly<Record<string, UnaryExpr>> = {
  Relu: (x) => `select(0.0, ${x}, ${x} > 0.0)`,
  LeakyRelu: (x, a) => `select(${a(0)} * ${x}, ${x}, ${x} >= 0.0)`,
  Elu: (x, a) => `select(${a(0)} * expm1_f(${x}), ${x}, ${x} >= 0.0)`,
  Celu: (x, a) => `(max(0.0, ${x}) + min(0.0, ${a(0)} * expm1_f(${x} / ${a(0)})))`,
  Selu: (x, a) => `(${a(1)} * select(${a(0)} * expm1_f(${x}), ${x}, ${x} > 0.0))`,
  ThresholdedRelu: (x, a) => `select(0.0, ${x}, ${x} > ${a(0)})`,
  Sigmoid: (x) => `sigmoid_f(${x})`,
  HardSigmoid: (x, a) => `clamp(${a(0)} * ${x} + ${a(1)}, 0.0, 1.0)`,
  HardSwish: (x) => `(${x} * clamp(${x} / 6.0 + 0.5, 0.0, 1.0))`,
  Tanh: (x) => `tanh_f(${x})`,
  Exp: (x) => `exp(${x})`,
  Log: (x) => `log(${x})`,
  Sqrt: (x) => `sqrt(${x})`,
  Abs: (x) => `abs(${x})`,
  Neg: (x) => `(-${x})`,
  Reciprocal: (x) => `(1.0 / ${x})`,
  Floor: (x) => `floor(${x})`,
  Ceil: (x) => `ceil(${x})`,
  Sign: (x) => `sign(${x})`,
  Erf: (x) => `erf_f(${x})`,
  Softplus: (x) => `softplus_f(${x})`,
  Softsign: (x) => `(${x} / (1.0 + abs(${x})))`,
  Sin: (x) => `sin_f(${x})`,
  Cos: (x) => `cos_f(${x})`,
  Mish: (x) => `(${x} * tanh_f(softplus_f(${x})))`,
  Swish: (x, a) => `(${x} * sigmoid_f(${a(0)} * ${x}))`,
  GeluErf: (x) => `(0.5 * ${x} * (1.0 + erf_f(${x} * 0.7071067811865476)))`,
  GeluTanh: (x) => `(0.5 * ${x} * (1.0 + tanh_f(0.7978845608028654 * (${x} + 0.044715 * ${x} * ${x} * ${x}))))`,
};

/** A binary expression over operand WGSL `a`, `b`. */
export type BinaryExpr = (a: string, b: string) => string;

/** WGSL expressions of the broadcasting binary ops (ONNX names). */
export const BINARY_EXPR: Readonly<Record<string, BinaryExpr>> = {
  Add: (a, b) => `(${a} + ${b})`,
  Sub: (a, b) => `(${a} - ${b})`,
  Mul: (a, b) => `(${a} * ${b})`,
  Div: (a, b) => `(${a} / ${b})`,
  Pow: (a, b) => `pow_f(${a}, ${b})`,
  Max: (a, b) => `max_f(${a}, ${b})`,
  Min: (a, b) => `min_f(${a}, ${b})`,
  PRelu: (a, b) => `select(${b} * ${a}, ${a}, ${a} >= 0.0)`,
};
