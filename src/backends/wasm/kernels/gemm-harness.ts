/**
 * Test harness of the GEMM and conv `wasm` kernels: runs one node of any domain (ai.onnx or
 * optiflow) through the executor on `[wasm, js]` and on `[js]` (the reference backend is the
 * oracle), on both builds of the module (relaxed SIMD and baseline SIMD128), checks the placement,
 * compares the outputs (tolerance relative to the output's scale) and checks that the wasm heap
 * is back to its level once the backend is disposed.
 * @module
 */
import assert from 'node:assert/strict';
import { createJsBackend } from '../../js/index.js';
import type { DType } from '../../../ir/dtype.js';
import { Graph, type Attribute } from '../../../ir/graph.js';
import { isTensorValue, type TensorData } from '../../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../../ops/index.js';
import { checkOps, inferGraph } from '../../../ops/infer-graph.js';
import { OpRegistry } from '../../../ops/registry.js';
import { Plan } from '../../../runtime/executor.js';
import { toAttribute, type TestAttr } from '../../../testing/run-kernel.js';
import { wasmBackend } from '../index.js';
import { WASM_KERNELS } from '../manifest.js';
import { loadWasmModule } from '../loader.js';
import { WasmRuntime } from '../runtime.js';
import { testRuntime } from './shape-harness.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);

/** One node to compare. */
export interface OpCase {
  op: string;
  /** `''` (ai.onnx, opset 17 unless given) or `optiflow` (opset 1, with ai.onnx 17). */
  domain?: string;
  opset?: number;
  /** Positional inputs; `undefined` = omitted optional input. */
  inputs: readonly (TensorData | undefined)[];
  attrs?: Record<string, TestAttr>;
  /** Input indices that are initializers (seen by `create`). */
  constants?: readonly number[];
  /** Expected backend of the node (default `wasm`). */
  expect?: 'wasm' | 'js';
}

function build(c: OpCase): Graph {
  const domain = c.domain ?? '';
  const g = new Graph();
  g.opsets.set('', domain === '' ? c.opset ?? 17 : 17);
  if (domain !== '') g.opsets.set(domain, c.opset ?? 1);
  const found = REGISTRY.lookup(domain, c.op, g.opsets.get(domain)!);
  const kinds = found.ok ? found.schema.attrs : {};
  const names = c.inputs.map((x, i) => {
    if (!x) return '';
    const name = `in${i}`;
    if (c.constants?.includes(i)) g.initializers.set(name, x);
    else g.inputs.push({ name, dtype: x.type as DType, shape: [...x.dims] });
    return name;
  });
  g.nodes = [{
    name: `${c.op}_0`, opType: c.op, domain, inputs: names, outputs: ['y'],
    attributes: new Map(Object.entries(c.attrs ?? {}).map(([k, v]): [string, Attribute] => [k, toAttribute(v, kinds[k]?.kind)])),
  }];
  g.outputs = [{ name: 'y' }];
  inferGraph(g, checkOps(g, REGISTRY));
  return g;
}

async function run(c: OpCase, rt: WasmRuntime | undefined): Promise<{ y: TensorData; backend: string; cause: string }> {
  const g = build(c);
  const w = rt ? wasmBackend(rt, WASM_KERNELS) : undefined;
  try {
    const plan = await Plan.create(g, w ? [w, createJsBackend()] : [createJsBackend()], checkOps(g, REGISTRY), g.opsets);
    const feeds = new Map(c.inputs.flatMap((x, i) => (x && !c.constants?.includes(i) ? [[`in${i}`, x] as [string, TensorData]] : [])));
    const res = await plan.run(feeds);
    const y = res.get('y');
    assert.ok(y && isTensorValue(y), 'output y is a tensor');
    const p = plan.placements[0]!;
    return { y, backend: p.backend, cause: p.cause };
  } finally {
    w?.dispose?.();
  }
}

let builds: Promise<WasmRuntime[]> | undefined;

/**
 * Single-thread runtimes of every build this engine loads: the default one (shared with the other
 * wasm tests) and the baseline SIMD128 build when the default is the relaxed one.
 */
export function testRuntimes(): Promise<WasmRuntime[]> {
  builds ??= (async () => {
    const main = await testRuntime();
    if (main.variant !== 'relaxed') return [main];
    try {
      const { module, variant } = await loadWasmModule('simd');
      return [main, WasmRuntime.create(module, variant, 4 << 20)];
    } catch {
      return [main];
    }
  })();
  return builds;
}

/**
 * Runs `c` with and without the wasm backend; asserts the placement and that every output element
 * is within `tol · max(1, scale)` of the js value, where `scale` is the largest |js value|
 * (sums of many products carry absolute, not relative, rounding).
 * @param runtime the wasm runtime (default: each of {@link testRuntimes}, both builds)
 * @returns the wasm output (of the last build run)
 */
export async function compareOp(c: OpCase, tol = 1e-4, runtime?: WasmRuntime): Promise<TensorData> {
  if (!runtime) {
    let y: TensorData | undefined;
    for (const rt of await testRuntimes()) y = await compareOp(c, tol, rt);
    return y!;
  }
  const rt = runtime;
  const before = rt.heapBytes.used;
  const got = await run(c, rt);
  const want = await run(c, undefined);
  const what = `${rt.variant} ${c.op} [${c.inputs.map((x) => (x ? x.dims.join('x') : '-')).join(', ')}] ${JSON.stringify(c.attrs ?? {})}`;
  assert.equal(got.backend, c.expect ?? 'wasm', `${what}: placed on ${got.backend} (${got.cause})`);
  assert.deepEqual([...got.y.dims], [...want.y.dims], `${what}: dims`);
  const g = got.y.data as Float32Array; const w = want.y.data as Float32Array;
  let scale = 1;
  for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]!));
  for (let i = 0; i < w.length; i++) {
    const a = g[i]!; const b = w[i]!;
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (!(Math.abs(a - b) <= tol * Math.max(scale, Math.abs(b)))) assert.fail(`${what}: element ${i}: wasm ${a}, js ${b}`);
  }
  assert.equal(rt.heapBytes.used, before, `${what}: wasm heap back to its level`);
  return got.y;
}
