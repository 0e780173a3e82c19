/**
 * Differential test harness of the `wasm` kernels in this folder: runs one op (or a small chain)
 * as a graph through the executor twice, on `[wasm, js]` and on `[js]` alone (the reference
 * backend is the oracle), and compares the outputs within a relative tolerance. It also checks
 * where the nodes were placed and that the wasm heap holds no more than the session's packed
 * constants once the results are exported (no leaked intermediate).
 * @module
 */
import assert from 'node:assert/strict';
import type { Backend } from '../../backend.js';
import { createJsBackend } from '../../js/index.js';
import type { DType } from '../../../ir/dtype.js';
import { Graph, type Attribute, type Node } from '../../../ir/graph.js';
import { isTensorValue, type TensorData } from '../../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../../ops/index.js';
import { checkOps, inferGraph } from '../../../ops/infer-graph.js';
import { OpRegistry } from '../../../ops/registry.js';
import { Plan } from '../../../runtime/executor.js';
import { toAttribute, type TestAttr } from '../../../testing/run-kernel.js';
import { wasmBackend } from '../index.js';
import { loadWasmModule } from '../loader.js';
import { WASM_KERNELS } from '../manifest.js';
import { WasmRuntime, type ParallelFor } from '../runtime.js';
import { rng } from '../../../testing/random.js';
export { rng };

const REGISTRY = new OpRegistry(ALL_SCHEMAS);


/** A float32 tensor of `dims` with values uniform in [lo, hi). */
export function randomF32(r: () => number, dims: readonly number[], lo = -2, hi = 2): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * r();
  return { type: 'float32', dims: [...dims], data };
}

/** An int64 tensor. */
export function int64(dims: readonly number[], values: readonly number[]): TensorData {
  return { type: 'int64', dims: [...dims], data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

/** One node of a test graph: op type, input and output value names, attributes. */
export interface TestNode {
  op: string;
  /** Domain (default `''`); `'optiflow'` nodes get optiflow opset 1. */
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, TestAttr>;
}

/** A test graph: nodes, named values (graph inputs, or initializers when listed in `constants`). */
export interface TestGraph {
  nodes: TestNode[];
  values: Record<string, TensorData>;
  /** Names of `values` that are initializers (constants seen by `create`). */
  constants?: readonly string[];
  /** Graph outputs (default: the last node's non-empty outputs). */
  outputs?: readonly string[];
  opset?: number;
}

/** Options of {@link compareWithJs}. */
export interface CompareOptions {
  /** Relative tolerance: |got - want| <= tol · max(1, |want|) (default 1e-4). */
  tol?: number;
  /** Op types that must be placed on wasm (default: every node's). */
  onWasm?: readonly string[];
  /** Op types that must fall back to js. */
  onJs?: readonly string[];
  /**
   * The parallel loop of the wasm side (a thread pool's). Default {@link splitThree}: every call
   * split into three uneven ranges run in turn, so that each kernel's range handling is exercised.
   */
  parallelFor?: ParallelFor;
}

/** A parallel loop that runs [0, n) as three uneven ranges on the calling thread. */
export function splitThree(rt: WasmRuntime): ParallelFor {
  return (name, args, n) => {
    const a = Math.floor(n / 5); const b = Math.floor((3 * n) / 4);
    for (const [s, e] of [[0, a], [a, b], [b, n]] as const) if (e > s) rt.exports[name]!(...args, s, e);
  };
}

let shared: WasmRuntime | undefined;

/** One runtime shared by the tests of a process (module compiled once). */
export async function testRuntime(): Promise<WasmRuntime> {
  if (!shared) {
    const { module, variant } = await loadWasmModule();
    shared = WasmRuntime.create(module, variant, 4 << 20);
  }
  return shared;
}

function buildGraph(t: TestGraph): Graph {
  const g = new Graph();
  g.opsets.set('', t.opset ?? 17);
  if (t.nodes.some((n) => n.domain === 'optiflow')) g.opsets.set('optiflow', 1);
  const consts = new Set(t.constants ?? []);
  for (const [name, v] of Object.entries(t.values)) {
    if (consts.has(name)) g.initializers.set(name, v);
    else g.inputs.push({ name, dtype: v.type as DType, shape: [...v.dims] });
  }
  g.nodes = t.nodes.map((n, i): Node => {
    const domain = n.domain ?? '';
    const schema = REGISTRY.lookup(domain, n.op, domain ? 1 : t.opset ?? 17);
    const kinds = schema.ok ? schema.schema.attrs : {};
    return {
      name: `${n.op}_${i}`, opType: n.op, domain, inputs: n.inputs, outputs: n.outputs,
      attributes: new Map(Object.entries(n.attrs ?? {}).map(([k, v]): [string, Attribute] => [k, toAttribute(v, kinds[k]?.kind)])),
    };
  });
  const outs = t.outputs ?? t.nodes[t.nodes.length - 1]!.outputs.filter((o) => o);
  g.outputs = outs.map((name) => ({ name }));
  const schemas = checkOps(g, REGISTRY);
  inferGraph(g, schemas);
  return g;
}

async function runOn(g: Graph, backends: readonly Backend[], feeds: Map<string, TensorData>): Promise<{ plan: Plan; out: Map<string, TensorData> }> {
  const plan = await Plan.create(g, backends, checkOps(g, REGISTRY), g.opsets);
  const res = await plan.run(feeds);
  const out = new Map<string, TensorData>();
  for (const [k, v] of res) { assert.ok(isTensorValue(v), `${k} is not a tensor`); out.set(k, v); }
  return { plan, out };
}

/** Asserts that `got` matches `want` elementwise within `tol` (relative, absolute below 1). */
export function assertClose(got: TensorData, want: TensorData, tol: number, what: string): void {
  assert.deepEqual([...got.dims], [...want.dims], `${what}: dims`);
  assert.equal(got.type, want.type, `${what}: dtype`);
  const g = got.data as Float32Array; const w = want.data as Float32Array;
  for (let i = 0; i < w.length; i++) {
    const a = g[i]!; const b = w[i]!;
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) {
      assert.fail(`${what}: element ${i} of [${want.dims.join(',')}]: wasm ${a}, js ${b}`);
    }
  }
}

/**
 * Runs `t` on `[wasm, js]` and on `[js]`, asserts the placements and that every output matches
 * within the tolerance, and that the wasm heap is back to its level before the run.
 * @returns the wasm outputs by name
 */
export async function compareWithJs(t: TestGraph, options: CompareOptions = {}): Promise<Map<string, TensorData>> {
  const rt = await testRuntime();
  const g = buildGraph(t);
  const consts = new Set(t.constants ?? []);
  const feeds = new Map(Object.entries(t.values).filter(([k]) => !consts.has(k)));
  const before = rt.heapBytes.used;
  const wasm = wasmBackend(rt, WASM_KERNELS);
  rt.parallelFor = options.parallelFor ?? splitThree(rt);
  const { plan, out } = await runOn(g, [wasm, createJsBackend()], feeds);
  const onWasm = options.onWasm ?? t.nodes.map((n) => n.op);
  for (const p of plan.placements) {
    if (onWasm.includes(p.opType)) assert.equal(p.backend, 'wasm', `${p.opType} placed on ${p.backend}: ${p.cause}`);
    if (options.onJs?.includes(p.opType)) assert.equal(p.backend, 'js', `${p.opType} expected on js`);
  }
  const ref = await runOn(buildGraph(t), [createJsBackend()], feeds);
  for (const [name, want] of ref.out) assertClose(out.get(name)!, want, options.tol ?? 1e-4, `${t.nodes.map((n) => n.op).join('→')} output ${name}`);
  wasm.dispose?.();
  assert.equal(rt.heapBytes.used, before, 'wasm heap back to its level before the run');
  return out;
}

/** Shorthand: one node `op` over inputs `in0..` (constants by index) producing `y`. */
export function single(op: string, inputs: readonly (TensorData | undefined)[], attrs: Record<string, TestAttr> = {},
  opts: { constants?: readonly number[]; opset?: number; outputs?: number; domain?: string } = {}): TestGraph {
  const values: Record<string, TensorData> = {};
  const names = inputs.map((x, i) => { if (!x) return ''; values[`in${i}`] = x; return `in${i}`; });
  const outputs = Array.from({ length: opts.outputs ?? 1 }, (_, i) => (i ? `y${i}` : 'y'));
  return {
    nodes: [{ op, domain: opts.domain, inputs: names, outputs, attrs }], values, opset: opts.opset,
    constants: (opts.constants ?? []).map((i) => `in${i}`),
  };
}
