/**
 * Differential test harness of the pattern-op `wasm` kernels (`optiflow::Attention`, `Gelu`,
 * `LayerNormalization`, `FusedElementwise`, standard `Attention`): runs a one-node graph through
 * the executor on `[wasm, js]` and on `[js]` alone (the reference backend is the oracle), checks
 * the node's placement and compares the outputs within a relative tolerance; the wasm heap must be
 * back at its level afterwards (no leaked scratch or output).
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
import type { AnyWasmKernel } from '../kernel.js';
import type { WasmRuntime } from '../runtime.js';
import { WASM_KERNELS } from '../manifest.js';
import { PATTERN_WASM_KERNELS } from './pattern.js';
import { assertClose, testRuntime } from './shape-harness.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);

/**
 * The manifest under test: the backend's, with this family's kernels in place of any other kernel
 * for the same schemas (so the tests exercise these kernels whatever the manifest holds).
 */
export function patternManifest(): AnyWasmKernel[] {
  const kernels = [...PATTERN_WASM_KERNELS];
  const mine = new Set(kernels.map((k) => k.schema));
  return [...WASM_KERNELS.filter((k) => !mine.has(k.schema)), ...kernels];
}

/** One node under test. */
export interface PatternCase {
  op: string;
  /** `optiflow` (default) or `''` (standard ONNX). */
  domain?: string;
  /** Inputs by position; `undefined` = omitted. */
  inputs: readonly (TensorData | undefined)[];
  attrs?: Record<string, TestAttr>;
  /** Input positions that are initializers. */
  constants?: readonly number[];
  /** ai.onnx opset (default 17; 23 for the standard Attention). */
  opset?: number;
}

/** Options of {@link comparePattern}. */
export interface PatternOptions {
  /** Relative tolerance (absolute below 1); default 1e-4. */
  tol?: number;
  /** Where the node must be placed (default `wasm`). */
  on?: 'wasm' | 'js';
  /** The runtime to run on (a thread pool's); default one shared single-thread runtime. */
  runtime?: WasmRuntime;
  /** The kernels of the wasm backend; default {@link patternManifest}. */
  manifest?: readonly AnyWasmKernel[];
}

function buildGraph(c: PatternCase): Graph {
  const g = new Graph();
  const domain = c.domain ?? 'optiflow';
  g.opsets.set('', c.opset ?? 17);
  g.opsets.set('optiflow', 1);
  const consts = new Set(c.constants ?? []);
  const names = c.inputs.map((x, i) => {
    if (!x) return '';
    const name = `in${i}`;
    if (consts.has(i)) g.initializers.set(name, x);
    else g.inputs.push({ name, dtype: x.type as DType, shape: [...x.dims] });
    return name;
  });
  const schema = REGISTRY.lookup(domain, c.op, domain === '' ? (c.opset ?? 17) : 1);
  const kinds = schema.ok ? schema.schema.attrs : {};
  const node: Node = {
    name: `${c.op}_0`, opType: c.op, domain, inputs: names, outputs: ['y'],
    attributes: new Map(Object.entries(c.attrs ?? {}).map(([k, v]): [string, Attribute] => [k, toAttribute(v, kinds[k]?.kind)])),
  };
  g.nodes = [node];
  g.outputs = [{ name: 'y' }];
  inferGraph(g, checkOps(g, REGISTRY));
  return g;
}

async function runOn(g: Graph, backends: readonly Backend[], feeds: Map<string, TensorData>): Promise<{ plan: Plan; y: TensorData }> {
  const plan = await Plan.create(g, backends, checkOps(g, REGISTRY), g.opsets);
  const res = await plan.run(feeds);
  const y = res.get('y');
  assert.ok(y && isTensorValue(y), 'y is a tensor');
  return { plan, y };
}

/**
 * Runs `c` on `[wasm, js]` and on `[js]`; asserts the placement, the outputs within the tolerance
 * and the wasm heap back at its level.
 * @returns the wasm output
 */
export async function comparePattern(c: PatternCase, options: PatternOptions = {}): Promise<TensorData> {
  const rt = options.runtime ?? await testRuntime();
  const g = buildGraph(c);
  const consts = new Set(c.constants ?? []);
  const feeds = new Map<string, TensorData>();
  c.inputs.forEach((x, i) => { if (x && !consts.has(i)) feeds.set(`in${i}`, x); });
  const before = rt.heapBytes.used;
  const wasm = wasmBackend(rt, options.manifest ?? patternManifest());
  const { plan, y } = await runOn(g, [wasm, createJsBackend()], feeds);
  const p = plan.placements.find((x) => x.opType === c.op)!;
  assert.equal(p.backend, options.on ?? 'wasm', `${c.op} placed on ${p.backend}: ${p.cause}`);
  const ref = await runOn(buildGraph(c), [createJsBackend()], feeds);
  assertClose(y, ref.y, options.tol ?? 1e-4, `${c.op} [${c.inputs.map((x) => (x ? `[${x.dims.join(',')}]` : '-')).join(' ')}]`);
  wasm.dispose?.();
  assert.equal(rt.heapBytes.used, before, 'wasm heap back to its level before the run');
  return y;
}
