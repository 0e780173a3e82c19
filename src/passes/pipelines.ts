/**
 * Optimization pipelines per `graphOptimizationLevel`, with onnxruntime's names and split:
 * - `disabled`: nothing;
 * - `basic`: semantics-preserving clean-up — no-op elimination (Identity, Dropout, same-type Cast,
 *   same-shape Reshape, cancelling Transposes, empty Slice/Pad), QDQ → QLinearConv/QLinearMatMul
 *   (ahead of constant folding, which would dequantize the weights), constant folding (shape
 *   subgraphs included), common-subexpression elimination, dead-code elimination;
 * - `extended`: `basic` plus folding (BatchNormalization and constant Mul/Add into Conv/Gemm) and
 *   fusions (Conv/Gemm/MatMul + bias + activation, MatMul + Add
 *   → Gemm, GELU, LayerNorm and attention patterns, elementwise chains);
 * - `all`: `extended` plus layout (NHWC regions for backends that prefer it).
 * Fusions only fire where the {@link ReplacementOracle} says the fused node runs on the backend
 * that would run the original, so a backend never receives a fused node it cannot run.
 * @module
 */
import type { Graph } from '../ir/graph.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import type { OpRegistry } from '../ops/registry.js';
import { constantFolding, type NodeEvaluator } from './constant-folding.js';
import { commonSubexpressionElimination } from './cse.js';
import { deadCodeElimination } from './dce.js';
import { FOLDING_RULES } from './fold-into-conv.js';
import { QDQ_FUSION_RULES } from './fuse-qdq.js';
import { ACTIVATION_FUSION_RULES } from './fuse-activation.js';
import { elementwiseFusion } from './fuse-elementwise.js';
import { PATTERN_FUSION_RULES } from './fuse-patterns.js';
import { layoutPass } from './layout.js';
import { ruleSetPass, runPasses, type GraphPass, type PassContext, type ReplacementOracle } from './pass-manager.js';
import { capturedNames, identityRules } from './rules.js';
import { NOOP_RULES } from './rules-noop.js';

/** onnxruntime's optimization levels. */
export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Options of {@link optimizeGraph}. */
export interface OptimizeOptions {
  /** Runs one node on constant inputs (for constant folding). */
  evaluate: NodeEvaluator;
  /**
   * Schemas for re-running shape inference after each pass that changed the graph (later rules
   * read shapes of values earlier rules made). Omitted: no re-inference (graphs without opsets in
   * unit tests).
   */
  registry?: OpRegistry;
  /** Run the IR verifier after each pass (tests). */
  verify?: boolean;
  /** Capability oracle for fusions; default accepts every replacement. */
  canReplace?: ReplacementOracle;
  /** Layout preferred for a Conv node by the backend that would run it; default NCHW. */
  preferredLayout?: PassContext['preferredLayout'];
}

/** The passes of `level`, in order. */
export function passesFor(g: Graph, level: OptimizationLevel, evaluate: NodeEvaluator): GraphPass[] {
  if (level === 'disabled') return [];
  const basic: GraphPass[] = [
    ruleSetPass('eliminate-no-ops', [...identityRules(capturedNames(g)), ...NOOP_RULES]),
    // Before constant folding, which would turn DequantizeLinear(int8 weight) into float weights:
    // QDQ around Conv/MatMul becomes one integer op; the DequantizeLinears left fold to constants.
    ruleSetPass('fuse-qdq', QDQ_FUSION_RULES),
    constantFolding(evaluate),
    commonSubexpressionElimination,
    deadCodeElimination,
  ];
  if (level === 'basic') return basic;
  const extended: GraphPass[] = [
    ...basic,
    ruleSetPass('fold-into-conv', FOLDING_RULES),
    ruleSetPass('fuse-patterns', PATTERN_FUSION_RULES),
    ruleSetPass('fuse-activation', ACTIVATION_FUSION_RULES),
    elementwiseFusion,
    deadCodeElimination,
  ];
  if (level === 'extended') return extended;
  return [...extended, layoutPass];
}

/**
 * Optimizes `g` in place for `level`.
 * @returns names of the passes that changed the graph, in order
 * @throws OptiflowError `invalid_model` when `verify` is set and a pass broke the graph.
 */
export function optimizeGraph(g: Graph, level: OptimizationLevel, o: OptimizeOptions): string[] {
  const registry = o.registry;
  return runPasses(g, passesFor(g, level, o.evaluate), {
    verify: o.verify,
    context: { canReplace: o.canReplace ?? (() => true), preferredLayout: o.preferredLayout },
    afterPass: registry ? (gr) => inferGraph(gr, checkOps(gr, registry)) : undefined,
  });
}
