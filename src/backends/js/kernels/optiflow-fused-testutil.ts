/**
 * Test helpers for the fused ops: seeded float32 data, running a graph on onnxruntime-node (the
 * independent reference), and replacing every fused node of a graph by its standard-ONNX
 * decomposition so onnxruntime can run it.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../../../exporters/onnx/export.js';
import type { Graph } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { FUSED_DECOMPOSITIONS } from '../../../ops/optiflow-fused.js';
import { Rng } from '../../../zoo/random.js';

/** A float32 tensor of uniform values in [lo, hi) from `seed`. */
export function randomF32(dims: readonly number[], seed: number, lo = -1, hi = 1): TensorData {
  const r = new Rng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return { type: 'float32', dims: [...dims], data: Float32Array.from({ length: n }, () => r.uniform(lo, hi)) };
}

/**
 * Replaces each optiflow fused node of `g` by its decomposition at `g`'s ai.onnx opset (in place)
 * and drops the optiflow opset import when no optiflow node is left.
 * @returns the number of nodes decomposed
 */
export function decomposeFused(g: Graph): number {
  const opset = g.opsetFor('') ?? 1;
  let count = 0;
  g.nodes = g.nodes.flatMap((n) => {
    const d = n.domain === 'optiflow' ? FUSED_DECOMPOSITIONS.get(n.opType) : undefined;
    if (!d) return [n];
    count++;
    return d(n, g, opset);
  });
  if (!g.nodes.some((n) => n.domain === 'optiflow')) g.opsets.delete('optiflow');
  return count;
}

/**
 * Runs `g` (standard ONNX ops only) on onnxruntime-node.
 * @returns every graph output's values as float32
 */
export async function runOrt(g: Graph, feeds: Readonly<Record<string, TensorData>>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(exportOnnx(g, { valueInfo: false }), { logSeverityLevel: 3 });
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, [...t.dims])]));
  const res = await session.run(ortFeeds);
  await session.release();
  return Object.fromEntries(Object.entries(res).map(([k, t]) => [k, t.data as Float32Array]));
}

/**
 * Asserts `|got - want| <= tol · (1 + |want|)` element-wise.
 * @throws Error naming the first differing element
 */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-4, what = ''): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!; const w = want[i]!;
    if (!(Math.abs(g - w) <= tol * (1 + Math.abs(w)))) throw new Error(`${what}: element ${i}: got ${g}, expected ${w}`);
  }
}
