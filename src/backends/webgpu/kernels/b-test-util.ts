/**
 * Test helpers of the group-B `webgpu` kernel tests: a seeded random source, random shapes and
 * tensors, kernel lookup in {@link KERNELS_B}, and {@link checkVsJs}, which runs one node on the
 * `js` reference backend and on the GPU and compares (float: relative error ≤ tol against the js
 * output's scale; integers exactly).
 * @module
 */
import assert from 'node:assert/strict';
import { JS_KERNELS } from '../../js/index.js';
import { floatView } from '../../js/util.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { relativeError } from '../../../testing/compare.js';
import { runKernel, type TestAttr } from '../../../testing/run-kernel.js';
import type { AnyGpuKernel } from '../kernel.js';
import { runGpuKernel } from '../testing.js';
import { KERNELS_B } from './manifest-b.js';
import { rng, randInt } from '../../../testing/random.js';
export { rng, randInt };



/** Random dims of rank in [minRank, maxRank], each in [1, maxDim]. */
export function randDims(r: () => number, minRank: number, maxRank: number, maxDim = 5): number[] {
  return Array.from({ length: randInt(r, minRank, maxRank) }, () => randInt(r, 1, maxDim));
}

/** A float32 tensor of `dims` with values uniform in [lo, hi). */
export function randF32(r: () => number, dims: readonly number[], lo = -3, hi = 3): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  return { type: 'float32', dims: [...dims], data: Float32Array.from({ length: n }, () => lo + (hi - lo) * r()) };
}

/** An int32 tensor of `dims` with values in [lo, hi]. */
export function randI32(r: () => number, dims: readonly number[], lo = -50, hi = 50): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  return { type: 'int32', dims: [...dims], data: Int32Array.from({ length: n }, () => randInt(r, lo, hi)) };
}

/** An int64 tensor of small values. */
export function i64(dims: readonly number[], values: readonly number[]): TensorData {
  return { type: 'int64', dims: [...dims], data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

/** The group-B kernel of `opType` covering `opset` in `domain`. @throws Error when none */
export function gpuKernel(opType: string, opset: number, domain = ''): AnyGpuKernel {
  const k = KERNELS_B.find((d) => d.schema.opType === opType && d.schema.domain === domain && d.schema.since <= opset && opset <= d.schema.until);
  if (!k) throw new Error(`no group-B kernel for ${opType} at opset ${opset}`);
  return k;
}

/** Options of {@link checkVsJs}. */
export interface CheckOptions {
  readonly opset: number;
  readonly domain?: string;
  readonly constantInputs?: readonly number[];
  readonly outputCount?: number;
  readonly tol?: number;
}

/**
 * Runs `opType` on js and on the GPU and asserts equal dims and dtypes and values within `tol`
 * relative error (floats) or exactly (integers).
 */
export async function checkVsJs(opType: string, inputs: readonly (TensorData | undefined)[],
  attrs: Readonly<Record<string, TestAttr>>, o: CheckOptions, what = ''): Promise<void> {
  const domain = o.domain ?? '';
  const label = `${opType}${what ? ` ${what}` : ''} (opset ${o.opset}; ${inputs.map((x) => (x ? `[${x.dims.join(',')}]` : '-')).join(' ')})`;
  const all = await runKernel(JS_KERNELS, opType, inputs, attrs, { opset: o.opset, domain, outputCount: o.outputCount, constantInputs: o.constantInputs });
  const want = all.slice(0, o.outputCount ?? 1);
  const def = gpuKernel(opType, o.opset, domain);
  const got = await runGpuKernel(def, { attrs, opset: o.opset, outputCount: o.outputCount, domain }, inputs, { constantInputs: o.constantInputs });
  assert.equal(got.length, want.length, `${label}: output count`);
  want.forEach((w, k) => {
    const g = got[k]!;
    assert.deepEqual(g.dims, w.dims, `${label}: dims of output ${k}`);
    assert.equal(g.type, w.type, `${label}: dtype of output ${k}`);
    if (w.type === 'float32' || w.type === 'float16') {
      const e = relativeError(floatView(g), floatView(w));
      assert.ok(e <= (o.tol ?? 1e-4), `${label}: relative error ${e} of output ${k}\n got ${Array.from(floatView(g)).slice(0, 12).join(', ')}\nwant ${Array.from(floatView(w)).slice(0, 12).join(', ')}`);
    } else {
      assert.deepEqual(Array.from(g.data as ArrayLike<number>), Array.from(w.data as ArrayLike<number>), `${label}: values of output ${k}`);
    }
  });
}
