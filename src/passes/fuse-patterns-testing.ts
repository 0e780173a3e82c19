/**
 * Test helpers of the pattern and elementwise fusions: run a model's bytes through optiflow at an
 * optimization level and through onnxruntime-node (the independent reference), list the op types of
 * the optimized graph, and compare float outputs with a relative tolerance.
 * @module
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { InferenceSession } from '../runtime/session.js';
import type { TensorData } from '../ir/tensor-data.js';
import { Rng } from '../zoo/random.js';
import { createJsBackend } from '../backends/js/index.js';

/** Seeded float32 values uniform in `[lo, hi)`. */
export function uniform(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  return new Rng(seed).uniforms(n, lo, hi);
}

/** A float32 tensor of seeded uniform values. */
export function randomTensor(dims: readonly number[], seed: number, lo = -2, hi = 2): TensorData {
  return { type: 'float32', dims: [...dims], data: uniform(dims.reduce((a, b) => a * b, 1), seed, lo, hi) };
}

/** Runs `bytes` in onnxruntime-node. @returns each output's values by name */
export async function ortOutputs(bytes: Uint8Array, feeds: Readonly<Record<string, TensorData>>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes);
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type as 'float32', t.data as Float32Array, [...t.dims])]));
  const res = await s.run(inputs);
  await s.release();
  return Object.fromEntries(Object.entries(res).map(([k, t]) => [k, t.data as Float32Array]));
}

/** An optimized optiflow run: outputs by name and the op types of the optimized graph (`domain::op` outside ai.onnx). */
export interface OptiflowRun { outputs: Record<string, Float32Array>; ops: string[] }

/** Creates an optiflow session for `bytes` at `level` on the js backend and runs it once. */
export async function optiflowOutputs(bytes: Uint8Array, feeds: Readonly<Record<string, TensorData>>,
  level: 'disabled' | 'basic' | 'extended' = 'extended'): Promise<OptiflowRun> {
  const s = await InferenceSession.create(bytes, { graphOptimizationLevel: level }, { js: createJsBackend });
  const res = await s.run(feeds);
  const ops = s.graph.nodes.map((n) => (n.domain ? `${n.domain}::${n.opType}` : n.opType));
  return { outputs: Object.fromEntries(Object.entries(res).map(([k, t]) => [k, t.data as Float32Array])), ops };
}

/** Asserts `|got - want| <= tol · max(1, |want|)` element-wise (NaN matches NaN). */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5, what = 'output'): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!; const w = want[i]!;
    if (g === w || (Number.isNaN(g) && Number.isNaN(w))) continue;
    assert.ok(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)), `${what}[${i}]: got ${g}, want ${w}`);
  }
}

/** Number of entries of `ops` equal to `op`. */
export function count(ops: readonly string[], op: string): number {
  return ops.filter((o) => o === op).length;
}
