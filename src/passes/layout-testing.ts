/**
 * Test helpers for the layout pass: a registry and a js backend that include the layout op
 * (`optiflow::NhwcConv`) whether or not the lead has wired it into the shared lists yet, running a
 * graph through the executor with them, the fake "every Conv prefers NHWC" oracle, and replacing
 * optiflow nodes by their standard-ONNX decompositions so onnxruntime-node can run the result.
 * @module
 */
import { manifestBackend, type AnyKernel, type Backend } from '../backends/backend.js';
import { JS_KERNELS } from '../backends/js/index.js';
import { LAYOUT_KERNELS } from '../backends/js/kernels/optiflow-layout.js';
import type { Graph, Node } from '../ir/graph.js';
import { isTensorValue, type RuntimeValue, type TensorData } from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { OPTIFLOW_DECOMPOSITIONS } from '../ops/optiflow.js';
import { LAYOUT_DECOMPOSITIONS, LAYOUT_SCHEMAS } from '../ops/optiflow-layout.js';
import { OpRegistry } from '../ops/registry.js';
import { Plan } from '../runtime/executor.js';
import type { PassContext } from './pass-manager.js';

const has = (list: readonly { domain: string; opType: string }[], opType: string) =>
  list.some((s) => s.domain === 'optiflow' && s.opType === opType);

/** Every schema plus the layout schemas (added only when not already in `ALL_SCHEMAS`). */
export const LAYOUT_TEST_REGISTRY = new OpRegistry(has(ALL_SCHEMAS, 'NhwcConv') ? ALL_SCHEMAS : [...ALL_SCHEMAS, ...LAYOUT_SCHEMAS]);

const KERNELS: readonly AnyKernel[] = has(JS_KERNELS.map((k) => k.schema), 'NhwcConv') ? JS_KERNELS : [...JS_KERNELS, ...LAYOUT_KERNELS];

/** A js backend with the layout kernels. */
export function layoutTestBackend(): Backend {
  return manifestBackend('js', KERNELS);
}

/** Runs shape inference over `g` with {@link LAYOUT_TEST_REGISTRY}. */
export function inferLayout(g: Graph): void {
  inferGraph(g, checkOps(g, LAYOUT_TEST_REGISTRY));
}

/** The fake oracles: every Conv prefers NHWC, every replacement accepted. */
export const NHWC_EVERYWHERE: PassContext = { canReplace: () => true, preferredLayout: () => 'NHWC' };

/**
 * Runs `g` on the js backend (with the layout kernels) through the executor.
 * @returns every graph output by name
 */
export async function runJs(g: Graph, feeds: Readonly<Record<string, TensorData>>): Promise<Record<string, TensorData>> {
  const schemas = checkOps(g, LAYOUT_TEST_REGISTRY);
  inferGraph(g, schemas);
  const plan = await Plan.create(g, [layoutTestBackend()], schemas, g.opsets);
  const res = await plan.run(new Map<string, RuntimeValue>(Object.entries(feeds)));
  const out: Record<string, TensorData> = {};
  for (const [k, v] of res) if (isTensorValue(v)) out[k] = v;
  return out;
}

/**
 * Replaces every optiflow node of `g` (layout, fused and pattern ops; repeatedly, since one
 * decomposition may not yield standard ops only) by its decomposition at `g`'s ai.onnx opset.
 * @returns the number of nodes decomposed
 */
export function decomposeOptiflow(g: Graph): number {
  const opset = g.opsetFor('') ?? 1;
  let count = 0;
  for (let round = 0; round < 4 && g.nodes.some((n) => n.domain === 'optiflow'); round++) {
    g.nodes = g.nodes.flatMap((n): Node[] => {
      const d = n.domain === 'optiflow' ? LAYOUT_DECOMPOSITIONS.get(n.opType) ?? OPTIFLOW_DECOMPOSITIONS.get(n.opType) : undefined;
      if (!d) return [n];
      count++;
      return d(n, g, opset);
    });
  }
  if (!g.nodes.some((n) => n.domain === 'optiflow')) g.opsets.delete('optiflow');
  return count;
}

/** The op types of `g`'s nodes (`domain::opType` outside ai.onnx). */
export const opsOf = (g: Graph): string[] => g.nodes.map((n) => (n.domain ? `${n.domain}::${n.opType}` : n.opType));

/** How many nodes of `g` have op type `op` (as {@link opsOf} spells it). */
export const countOps = (g: Graph, op: string): number => opsOf(g).filter((o) => o === op).length;
