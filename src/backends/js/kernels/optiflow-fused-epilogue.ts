/**
 * The epilogue of the js fused kernels: one pass over an output buffer adding an optional
 * residual (same length) and applying the activation; a bias along the last axis (only needed
 * where the GEMM cannot fuse it) is added in a loop before.
 * Piecewise-linear activations have their own loops (no call per element); the others go through
 * one scalar function each, the same formulas as the js unary kernels.
 * Source: ONNX operator spec (Relu, Clip, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Gelu).
 * @module
 */
import type { FusedActivation } from '../../../ops/optiflow-fused.js';
import { erf } from './elementwise-unary.js';
import type { FloatArray } from './nn-gemm.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Logistic sigmoid without overflow for large |x|. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * The scalar function of `act` (identity for none): the ONNX definitions, computed in double.
 * @returns `(x) => act(x)`
 */
export function activationFunction(act: FusedActivation): (x: number) => number {
  const p = act.params;
  switch (act.kind) {
    case '': return (x) => x;
    case 'Relu': return (x) => (x > 0 ? x : 0);
    case 'Clip': { const lo = p[0]!; const hi = p[1]!; return (x) => Math.min(Math.max(x, lo), hi); }
    case 'Sigmoid': return sigmoid;
    case 'Tanh': return Math.tanh;
    case 'LeakyRelu': { const a = p[0]!; return (x) => (x >= 0 ? x : a * x); }
    case 'HardSigmoid': { const a = p[0]!; const b = p[1]!; return (x) => Math.max(0, Math.min(1, a * x + b)); }
    case 'HardSwish': return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'Gelu':
      return p[0] === 1
        ? (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
        : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  }
}

/** What the epilogue adds before the activation. */
export interface EpilogueAddends {
  /** Residual of the output's length, added element-wise. */
  residual?: FloatArray;
  /** Bias of length `n`, added along the last axis (element i gets `bias[i % n]`). */
  bias?: FloatArray;
}

/**
 * Applies `y[i] = act(y[i] + residual[i] + bias[i % n])` over `y` in place. Does nothing when
 * there is neither an addend nor an activation.
 * @param y output buffer (float32 or float64 storage)
 */
export function applyEpilogue(y: FloatArray, act: FusedActivation, { residual, bias }: EpilogueAddends = {}): void {
  const len = y.length;
  if (bias) {
    const n = bias.length;
    for (let i = 0; i < len; i += n) for (let j = 0; j < n; j++) y[i + j] += bias[j]!;
  }
  const z = residual;
  switch (act.kind) {
    case '':
      if (z) for (let i = 0; i < len; i++) y[i] += z[i]!;
      return;
    case 'Relu':
      if (z) { for (let i = 0; i < len; i++) { const v = y[i]! + z[i]!; y[i] = v > 0 ? v : 0; } }
      else { for (let i = 0; i < len; i++) { const v = y[i]!; if (!(v > 0)) y[i] = 0; } }
      return;
    case 'Clip': {
      const lo = act.params[0]!; const hi = act.params[1]!;
      for (let i = 0; i < len; i++) {
        const v = z ? y[i]! + z[i]! : y[i]!;
        y[i] = Math.min(Math.max(v, lo), hi);
      }
      return;
    }
    case 'LeakyRelu': {
      const a = act.params[0]!;
      for (let i = 0; i < len; i++) {
        const v = z ? y[i]! + z[i]! : y[i]!;
        y[i] = v >= 0 ? v : a * v;
      }
      return;
    }
    default: {
      const f = activationFunction(act);
      if (z) for (let i = 0; i < len; i++) y[i] = f(y[i]! + z[i]!);
      else for (let i = 0; i < len; i++) y[i] = f(y[i]!);
    }
  }
}
