/**
 * The `optiflow` op domain: fused ops that graph passes create and backends may declare they run.
 * Every op here documents its semantics as a composition of standard ONNX ops (its decomposition),
 * which is what the ONNX exporter writes where no standard op exists at the model's opset and what a
 * backend that lacks the fused kernel gets instead.
 * @module
 */
import type { Graph, Node } from '../ir/graph.js';
import { FUSED_DECOMPOSITIONS, FUSED_SCHEMAS } from './optiflow-fused.js';
import { LAYOUT_DECOMPOSITIONS, LAYOUT_SCHEMAS } from './optiflow-layout.js';
import { PATTERN_DECOMPOSITIONS, PATTERN_SCHEMAS } from './optiflow-patterns.js';
import type { AttrSpecs, OpSchema } from './schema.js';

/** The domain name of optiflow's fused ops. */
export const OPTIFLOW_DOMAIN = 'optiflow';
/** The version of the `optiflow` opset. */
export const OPTIFLOW_OPSET = 1;

/** Makes `g` import the `optiflow` opset (idempotent); call before adding an `optiflow` node. */
export function useOptiflowDomain(g: Graph): void {
  if (!g.opsets.has(OPTIFLOW_DOMAIN)) g.opsets.set(OPTIFLOW_DOMAIN, OPTIFLOW_OPSET);
}

/**
 * Rewrites one `optiflow` node as standard ONNX nodes computing the same outputs (same output
 * names). May add initializers (constants such as sqrt(2)) to `g` under fresh names derived from
 * the node's name. `opset` is the graph's ai.onnx opset: the decomposition must only use ops valid
 * there.
 */
export type Decomposition = (node: Node, g: Graph, opset: number) => Node[];

/** Every `optiflow`-domain schema. */
export const OPTIFLOW_SCHEMAS: readonly OpSchema<AttrSpecs>[] = [...FUSED_SCHEMAS, ...PATTERN_SCHEMAS, ...LAYOUT_SCHEMAS];

/** Decomposition of each `optiflow` op type. */
export const OPTIFLOW_DECOMPOSITIONS: ReadonlyMap<string, Decomposition> = new Map([
  ...FUSED_DECOMPOSITIONS, ...PATTERN_DECOMPOSITIONS, ...LAYOUT_DECOMPOSITIONS,
]);
