/**
 * Test helpers of the `onednn` backend: a {@link SegmentSpec} made from (part of) a graph, and a
 * comparison of that segment's outputs with the `js` reference backend running the whole graph.
 * @module
 */
import assert from 'node:assert/strict';
import type { Backend, SegmentSpec } from '../backend.js';
import type { Dim, Graph, Node } from '../../ir/graph.js';
import { isTensorValue, type RuntimeValue, type TensorData } from '../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../ops/index.js';
import { checkOps, inferGraph } from '../../ops/infer-graph.js';
import { OpRegistry } from '../../ops/registry.js';
import { relativeError } from '../../testing/compare.js';
import { runGraph } from '../../testing/run-kernel.js';
import type { GraphBuilder as Builder, Rng } from '../../zoo/index.js';
import { GraphBuilder } from '../../zoo/index.js';
import { createOnednnBackend } from './index.js';
import { onednnSupports } from './support.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);

/**
 * The segment of `g`'s nodes selected by `pick` (default: every node the onednn backend
 * supports), with inputs read from outside and outputs read outside or graph outputs.
 */
export function segmentOf(g: Graph, pick?: (n: Node) => boolean): SegmentSpec {
  const schemas = checkOps(g, REGISTRY);
  inferGraph(g, schemas);
  const info = (name: string) => {
    const t = g.initializers.get(name);
    if (t) return { dtype: t.type, shape: [...t.dims], value: t };
    const v = g.valueInfo.get(name) ?? g.inputs.find((x) => x.name === name);
    return v?.dtype ? { dtype: v.dtype, shape: v.shape } : undefined;
  };
  const chosen = pick ?? ((n: Node) => onednnSupports({
    node: n, schema: schemas.get(n)!, opset: g.opsetFor(n.domain) ?? 1, inputs: n.inputs.map((x) => (x ? info(x) : undefined)),
  }).ok);
  const nodes = g.nodes.filter(chosen);
  const inside = new Set(nodes);
  const produced = new Set(nodes.flatMap((n) => n.outputs.filter((o) => o)));
  const inputs: string[] = [];
  for (const n of nodes) for (const i of n.inputs) if (i && !produced.has(i) && !g.initializers.has(i) && !inputs.includes(i)) inputs.push(i);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const outputs = [...produced].filter((o) => graphOutputs.has(o) || g.nodes.some((n) => !inside.has(n) && n.inputs.includes(o)));
  return { graph: g, nodes, schemas, opsets: g.opsets, inputs, outputs };
}

/**
 * Runs `g` on the js backend with the segment's inputs and outputs exposed as graph outputs, then
 * the segment compiled by `backend` on those inputs.
 * @returns the relative error ({@link relativeError}) of each segment output against js
 */
export async function compareSegmentWithJs(g: Graph, seg: SegmentSpec, feeds: Record<string, TensorData>, backend: Backend): Promise<number[]> {
  for (const name of [...seg.inputs, ...seg.outputs]) {
    if (g.outputs.some((o) => o.name === name) || Object.hasOwn(feeds, name)) continue;
    const vi = g.valueInfo.get(name);
    g.outputs.push({ name, dtype: vi?.dtype ?? 'float32', shape: vi?.shape ?? [], kind: 'tensor' } as Graph['outputs'][number]);
  }
  const ref = await runGraph(g, feeds);
  const value = (name: string): RuntimeValue => (Object.hasOwn(feeds, name) ? feeds[name]! : ref.get(name)!);
  const compiled = await backend.compileSegment!(seg);
  try {
    const got = await compiled.run(seg.inputs.map(value));
    return seg.outputs.map((name, k) => {
      const a = got[k]!; const b = value(name);
      if (!isTensorValue(a) || !isTensorValue(b)) throw new Error(`${name}: not a tensor`);
      if (a.dims.join(',') !== b.dims.join(',')) throw new Error(`${name}: dims [${a.dims.join(',')}] vs js [${b.dims.join(',')}]`);
      return relativeError(a.data as Float32Array, b.data as Float32Array);
    });
  } finally {
    await compiled.dispose?.();
  }
}

/** A one-output test graph: float32 inputs (name → dims) and a builder that returns the output. */
export interface SegmentCase {
  readonly name: string;
  readonly inputs: Record<string, number[]>;
  build(b: Builder, rng: Rng): string;
}

/**
 * Builds `c` with `opsets`, feeds inputs uniform in [-1, 1) drawn from `rng` after the build, runs
 * the whole graph as one onednn segment (1 thread) and on the js backend, and asserts every output
 * within 1e-4 relative.
 * @throws AssertionError naming the relative error
 */
export async function assertCaseMatchesJs(c: SegmentCase, opsets: Record<string, number>, rng: Rng): Promise<void> {
  const b = new GraphBuilder('t', opsets);
  for (const [name, dims] of Object.entries(c.inputs)) b.input(name, 'float32', dims as Dim[]);
  const y = c.build(b, rng);
  b.output(y, 'float32', []);
  const g = b.build();
  g.outputs[0]!.shape = undefined;
  const feeds: Record<string, TensorData> = {};
  for (const [name, dims] of Object.entries(c.inputs)) {
    feeds[name] = { type: 'float32', dims, data: rng.uniforms(dims.reduce((p, d) => p * d, 1), -1, 1) };
  }
  const backend = createOnednnBackend({ intraOpNumThreads: 1 });
  try {
    const errs = await compareSegmentWithJs(g, segmentOf(g, () => true), feeds, backend);
    for (const e of errs) assert.ok(e < 1e-4, `relative error ${e}`);
  } finally {
    await backend.dispose?.();
  }
}

/**
 * Asserts |a − r| ≤ step everywhere (quantized outputs: `step` 1; float outputs: the output
 * scale) and at least `frac` of the elements equal (0: no exactness requirement).
 */
export function assertWithinSteps(a: TensorData, r: TensorData, step: number, frac: number, what: string): void {
  assert.deepEqual(a.dims, r.dims, `${what} dims`);
  let exact = 0; let worst = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(Number(a.data[i]) - Number(r.data[i]));
    worst = Math.max(worst, d);
    if (d === 0) exact++;
  }
  assert.ok(worst <= step * (1 + 1e-5), `${what}: max |diff| ${worst} > ${step}`);
  assert.ok(exact >= frac * a.data.length, `${what}: only ${exact}/${a.data.length} exact`);
}
