/**
 * Shared helpers of the group-A `webgpu` kernel tests: a seeded random source, random float32
 * tensors, and a differential check of one GPU kernel against the `js` reference backend
 * (float32 to 1e-4 relative, `relativeError` of `src/testing/compare.ts`).
 * @module
 */
import assert from 'node:assert/strict';
import { JS_KERNELS } from '../../js/index.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { relativeError } from '../../../testing/compare.js';
import { floats, runKernel, type TestAttr } from '../../../testing/run-kernel.js';
import type { AnyGpuKernel } from '../kernel.js';
import { runGpuKernel } from '../testing.js';
import { rng, randInt } from '../../../testing/random.js';
export { rng, randInt };



/** A float32 tensor of `dims` with values uniform in [-scale, scale). */
export function randTensor(r: () => number, dims: readonly number[], scale = 1): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  return { type: 'float32', dims: [...dims], data: Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale) };
}

/** One differential case. */
export interface Case {
  readonly opType: string;
  readonly domain?: string;
  readonly opset: number;
  readonly attrs?: Readonly<Record<string, TestAttr>>;
  readonly inputs: readonly (TensorData | undefined)[];
  readonly constantInputs?: readonly number[];
  readonly outputCount?: number;
  /** Relative tolerance (default 1e-4). */
  readonly tol?: number;
}

/**
 * Runs `c` on `def` (webgpu) and on the js backend, and asserts every output matches: same dims,
 * relative error at most `c.tol`.
 */
export async function checkAgainstJs(def: AnyGpuKernel, c: Case, label = ''): Promise<void> {
  const attrs = c.attrs ?? {};
  const ref = await runKernel(JS_KERNELS, c.opType, c.inputs, attrs, {
    opset: c.opset, domain: c.domain ?? def.schema.domain, outputCount: c.outputCount ?? 1,
  });
  const got = await runGpuKernel(def, { attrs, opset: c.opset, outputCount: c.outputCount ?? 1 }, c.inputs,
    { constantInputs: c.constantInputs ?? [] });
  assert.equal(got.length, ref.length, `${label}: output count`);
  ref.forEach((r, k) => {
    assert.deepEqual([...got[k]!.dims], [...r.dims], `${label}: output ${k} dims`);
    const e = relativeError(floats(got[k]), floats(r));
    assert.ok(e <= (c.tol ?? 1e-4), `${label}: output ${k} relative error ${e}`);
  });
}
