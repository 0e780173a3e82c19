/**
 * Test helpers for graph rewrites: small graphs built in code, shape inference, running a graph on
 * onnxruntime-node with its own optimizations disabled (the independent reference), and
 * before/after comparison of a rewrite.
 * @module
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../exporters/onnx/export.js';
import type { DType } from '../ir/dtype.js';
import { Graph, type Attribute, type Node, type ValueInfo } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { deadCodeElimination } from './dce.js';
import { ruleSetPass, runPasses, type GraphPass, type PassContext, type RewriteRule } from './pass-manager.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);

/** A default-domain node; attribute values given as tagged {@link Attribute}s. */
export function node(name: string, opType: string, inputs: string[], outputs: string[],
  attrs: Record<string, Attribute> = {}): Node {
  return { name, opType, domain: '', inputs, outputs, attributes: new Map(Object.entries(attrs)) };
}

/** Attribute shorthands. */
export const ints = (value: number[]): Attribute => ({ type: 'ints', value });
export const int = (value: number): Attribute => ({ type: 'int', value });
export const float = (value: number): Attribute => ({ type: 'float', value });

/** Deterministic pseudo-random floats in [-1, 1) (LCG), so tests are reproducible. */
export function rand(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 31 - 1; });
}

/** A float32 tensor; `values` omitted → {@link rand} with `seed`. */
export function f32(dims: number[], values?: number[], seed = 1): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  return { type: 'float32', dims, data: values ? Float32Array.from(values) : rand(n, seed) };
}

/** An int64 tensor. */
export function i64(dims: number[], values: number[]): TensorData {
  return { type: 'int64', dims, data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

/** Runs shape inference over `g` (fills `g.valueInfo`). */
export function infer(g: Graph): void {
  inferGraph(g, checkOps(g, REGISTRY));
}

/** Builds a graph (ai.onnx opset `opset`, default 17) and runs shape inference on it. */
export function makeGraph(spec: {
  inputs: { name: string; dtype?: DType; shape: (number | string)[] }[];
  outputs: string[]; nodes: Node[]; inits?: Record<string, TensorData>; opset?: number;
}): Graph {
  const g = new Graph();
  g.opsets.set('', spec.opset ?? 17);
  g.inputs = spec.inputs.map((v): ValueInfo => ({ name: v.name, dtype: v.dtype ?? 'float32', shape: v.shape }));
  g.outputs = spec.outputs.map((name) => ({ name }));
  for (const [k, t] of Object.entries(spec.inits ?? {})) g.initializers.set(k, t);
  g.nodes = spec.nodes;
  infer(g);
  return g;
}

/** Applies `rules` then dead-code elimination with the verifier on and re-inference between passes. */
export function applyRules(g: Graph, rules: readonly RewriteRule[], context?: PassContext): string[] {
  return applyPasses(g, [ruleSetPass('rules', rules), deadCodeElimination], context);
}

/** Runs `passes` with the verifier on and re-inference between passes. */
export function applyPasses(g: Graph, passes: readonly GraphPass[], context?: PassContext): string[] {
  return runPasses(g, passes, { verify: true, afterPass: infer, context });
}

/** The op types of `g`'s nodes, in order. */
export const opTypes = (g: Graph): string[] => g.nodes.map((n) => n.opType);

/** Runs `g` on onnxruntime-node with graph optimizations disabled; returns every output. */
export async function runOrt(g: Graph, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
  const s = await ort.InferenceSession.create(exportOnnx(g), { graphOptimizationLevel: 'disabled' });
  const t = Object.fromEntries(Object.entries(feeds).map(([k, v]) =>
    [k, new ort.Tensor(v.type as 'float32', v.data as Float32Array, [...v.dims])]));
  const out = await s.run(t);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) =>
    [k, { type: v.type as DType, dims: [...v.dims], data: v.data as Float32Array }]));
}

/** Asserts equal dims and element-wise |a - b| <= atol + rtol·|b|. */
export function assertClose(a: TensorData, b: TensorData, rtol = 1e-5, atol = 1e-5, what = ''): void {
  assert.deepEqual(a.dims, b.dims, `${what} dims`);
  const x = a.data as ArrayLike<number>; const y = b.data as ArrayLike<number>;
  assert.equal(x.length, y.length);
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    assert.ok(d <= atol + rtol * Math.abs(y[i]!), `${what}[${i}]: ${x[i]} vs ${y[i]}`);
  }
}

/**
 * Builds the graph twice, rewrites one copy with `rewrite`, runs both on onnxruntime-node and
 * asserts every output is close. Returns the rewritten graph for structural checks.
 */
export async function assertSameOutputs(build: () => Graph, rewrite: (g: Graph) => void,
  feeds: Record<string, TensorData>, rtol = 1e-5, atol = 1e-5): Promise<Graph> {
  const before = await runOrt(build(), feeds);
  const g = build();
  rewrite(g);
  const after = await runOrt(g, feeds);
  for (const k of Object.keys(before)) assertClose(after[k]!, before[k]!, rtol, atol, k);
  return g;
}
