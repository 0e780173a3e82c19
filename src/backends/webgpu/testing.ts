/**
 * Test harness for `webgpu` kernels: runs one kernel definition on one node through the real segment
 * runner (create → upload → encode → one submit → readback), with output dims and dtypes from the
 * op schema's inference, as `src/testing/run-kernel.ts` does for the js kernels.
 *
 * Environment: in Node without a GPU, the first device request points Vulkan at SwiftShader
 * (`VK_ICD_FILENAMES`, `XDG_RUNTIME_DIR`, see `device.ts`) when those are unset, so test files need
 * no setup. Tests skip when {@link gpuTestSkipReason} gives a reason:
 * ```ts
 * test('Relu', async (t) => {
 *   const why = await gpuTestSkipReason();
 *   if (why) return t.skip(why);
 *   const [y] = await runGpuKernel(RELU, { attrs: {} }, [f32([2], [-1, 2])]);
 * });
 * ```
 * @module
 */
/// <reference types="@webgpu/types" />
import { Graph, type Node } from '../../ir/graph.js';
import type { TensorData } from '../../ir/tensor-data.js';
import type { AttrSpecs, OpSchema } from '../../ops/schema.js';
import { toAttribute, type TestAttr } from '../../testing/run-kernel.js';
import type { SegmentSpec, SupportQuery } from '../backend.js';
import { acquireGpuDevice, gpuUnavailableReason } from './device.js';
import type { AnyGpuKernel } from './kernel.js';
import { compileGpuSegment, createGpuContext, staticInfo, type GpuContext } from './segment.js';

/** A node described by op attributes (the op type and domain default to the kernel's schema). */
export interface GpuNodeSpec {
  readonly opType?: string;
  readonly domain?: string;
  /** Attributes, converted like the js harness's (see `TestAttr` in `src/testing/run-kernel.ts`). */
  readonly attrs?: Readonly<Record<string, TestAttr>>;
  /** Opset of the node's domain; default 17 clamped to the schema's `since..until`. */
  readonly opset?: number;
  /** Outputs the node declares (default the schema's minimum, at least 1). */
  readonly outputCount?: number;
}

/** Options of {@link runGpuKernel}. */
export interface RunGpuOptions {
  /** Input indices given to `create` as constants (initializers), e.g. `[1, 2]` for Conv W and B. */
  readonly constantInputs?: readonly number[];
  /** Opset when `node` is a {@link Node} (default as {@link GpuNodeSpec.opset}). */
  readonly opset?: number;
  /** Skip the kernel's `supports` check (default false: a declined node throws). */
  readonly skipSupports?: boolean;
}

let shared: Promise<GpuContext> | undefined;

/** The device context tests share (one device per process). @throws OptiflowError without an adapter */
export function gpuTestContext(): Promise<GpuContext> {
  shared ??= acquireGpuDevice().then((h) => createGpuContext(h));
  shared.catch(() => { shared = undefined; });
  return shared;
}

/**
 * Why WebGPU tests must skip here (no adapter, or `OPTIFLOW_SKIP_WEBGPU` set), or `undefined`.
 * Never throws.
 */
export async function gpuTestSkipReason(): Promise<string | undefined> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.OPTIFLOW_SKIP_WEBGPU) return 'OPTIFLOW_SKIP_WEBGPU is set';
  const why = await gpuUnavailableReason();
  return why;
}

function defaultOpset(schema: OpSchema<AttrSpecs>): number {
  return Math.min(schema.until, Math.max(schema.since, 17));
}

/**
 * Builds the node, its one-node graph and segment for `def`.
 * @returns the spec (inputs named `in<i>`, outputs `out<k>`, or the given node's names)
 */
export function oneNodeSegment(def: AnyGpuKernel, node: Node | GpuNodeSpec, inputs: readonly (TensorData | undefined)[],
  options: RunGpuOptions = {}): { spec: SegmentSpec; node: Node; opset: number } {
  const schema = def.schema;
  let n: Node;
  let opset: number;
  if ('inputs' in node && Array.isArray(node.inputs)) {
    n = node as Node;
    opset = options.opset ?? defaultOpset(schema);
  } else {
    const s = node as GpuNodeSpec;
    opset = s.opset ?? options.opset ?? defaultOpset(schema);
    const outputCount = s.outputCount ?? Math.max(1, schema.outputs[0]);
    n = {
      name: `${s.opType ?? schema.opType}_0`, opType: s.opType ?? schema.opType, domain: s.domain ?? schema.domain,
      inputs: inputs.map((x, i) => (x ? `in${i}` : '')),
      outputs: Array.from({ length: outputCount }, (_, k) => `out${k}`),
      attributes: new Map(Object.entries(s.attrs ?? {}).map(([k, v]) => [k, toAttribute(v, schema.attrs[k]?.kind)])),
    };
  }
  const g = new Graph();
  g.opsets.set(n.domain, opset);
  const consts = new Set(options.constantInputs ?? []);
  const segInputs: string[] = [];
  n.inputs.forEach((name, i) => {
    const t = inputs[i];
    if (!name || !t) return;
    if (consts.has(i)) g.initializers.set(name, t);
    else if (!segInputs.includes(name)) {
      segInputs.push(name);
      g.inputs.push({ name, dtype: t.type, shape: [...t.dims] });
      g.valueInfo.set(name, { name, dtype: t.type, shape: [...t.dims] });
    }
  });
  g.nodes.push(n);
  const outputs = n.outputs.filter((o) => o);
  g.outputs = outputs.map((name) => ({ name }));
  const spec: SegmentSpec = {
    graph: g, nodes: [n], schemas: new Map([[n, schema]]), opsets: new Map([[n.domain, opset]]), inputs: segInputs, outputs,
  };
  return { spec, node: n, opset };
}

/**
 * Runs `def` on one node: creates the kernel (constants from `options.constantInputs`), uploads
 * the other inputs, encodes, submits, and reads every declared output back, with dims and dtypes
 * from the schema's inference on the concrete inputs.
 * @param node a node (inputs named as you like, positionally matching `inputs`) or attributes
 * @param inputs positional inputs; `undefined` = omitted optional input
 * @returns the outputs the node names (omitted outputs left out), in order
 * @throws Error when the kernel's `dtypes`/`supports` decline the node (unless `skipSupports`);
 *   OptiflowError from inference, `create` (shader compile errors with the compiler's messages),
 *   `encode`, or WebGPU validation; OptiflowError `runtime_error` without an adapter
 */
export async function runGpuKernel(def: AnyGpuKernel, node: Node | GpuNodeSpec, inputs: readonly (TensorData | undefined)[],
  options: RunGpuOptions = {}): Promise<TensorData[]> {
  const ctx = await gpuTestContext();
  const { spec, node: n, opset } = oneNodeSegment(def, node, inputs, options);
  if (!options.skipSupports) {
    const q: SupportQuery = {
      node: n, schema: def.schema, opset, inputs: n.inputs.map((x) => (x ? staticInfo(spec.graph, x) : undefined)),
    };
    const t = q.inputs[0]?.dtype;
    if ((def.dtypes ?? ['float32']).length && t && !(def.dtypes ?? ['float32']).includes(t)) {
      throw new Error(`webgpu ${n.opType} kernel does not handle dtype ${t}`);
    }
    const s = def.supports?.(q, ctx.device.limits);
    if (s && !s.ok) throw new Error(`webgpu ${n.opType} kernel declines the node: ${s.reason}`);
  }
  const seg = await compileGpuSegment(ctx, spec, () => def);
  try {
    return await seg.run(spec.inputs.map((name) => inputs[n.inputs.indexOf(name)]!));
  } finally {
    seg.dispose();
  }
}
