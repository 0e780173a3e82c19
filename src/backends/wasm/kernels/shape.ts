/**
 * `wasm` kernels of the ops that only reinterpret dims: Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity and a float32 → float32 Cast. Each returns a refcounted alias of its input's wasm
 * memory (`rt.alias`) with the dims inference resolved: no copy, no kernel call. Their int64
 * shape/axes inputs are accepted (they are read by inference, not here).
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import type { Support, SupportQuery } from '../../backend.js';
import { Cast, Cast1 } from '../../../ops/cast-quant.js';
import { isTensorValue, type RuntimeValue } from '../../../ir/tensor-data.js';
import { Flatten, Identity, Reshape, Squeeze, Unsqueeze } from '../../../ops/tensor-shape.js';
import type { AttrSpecs, OpSchema } from '../../../ops/schema.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import { float32Support } from './shape-util.js';

/** A kernel whose output is its input 0 with the inferred dims. */
function aliasKernel<S extends AttrSpecs>(schema: OpSchema<S>, supports: (q: SupportQuery) => Support): AnyWasmKernel {
  return defineWasmKernel(schema, {
    supports,
    run: ({ inputs: [x], outputs: [o] }, rt) => [rt.alias(x!, o!.shape ?? x!.dims)],
  });
}

/**
 * Identity: a refcounted alias of a float32 tensor, so that a graph output or a later node that
 * reads it keeps the wasm memory alive; a sequence or optional value passes through unchanged.
 */
const identity = defineWasmKernel(Identity, {
  supports: float32Support,
  run: ({ inputs: [x] }, rt) => {
    const v = x as RuntimeValue;
    return [isTensorValue(v) ? rt.alias(v, v.dims) : v];
  },
});

const int64Second = (q: SupportQuery): Support => float32Support(q, { 1: ['int64'] });

/** Cast to float32 of a float32 input (`to` = 1, or `'FLOAT'` before opset 6). */
function castSupport(q: SupportQuery): Support {
  const to = q.node.attributes.get('to');
  const toFloat = to?.type === 'int' ? to.value === 1 : to?.type === 'string' ? to.value.toUpperCase() === 'FLOAT' : false;
  if (!toFloat) return { ok: false, reason: 'wasm Cast handles float32 to float32 only' };
  return float32Support(q);
}

/** The zero-copy reshape-like `wasm` kernels (float32 data only; other dtypes fall back). */
export const SHAPE_WASM_KERNELS: readonly AnyWasmKernel[] = [
  aliasKernel(Reshape, int64Second),
  aliasKernel(Flatten, float32Support),
  aliasKernel(Squeeze, int64Second),
  aliasKernel(Unsqueeze, int64Second),
  identity,
  aliasKernel(Cast1, castSupport),
  aliasKernel(Cast, castSupport),
];
