/**
 * `optimize()`: the graph optimizer as a library call. Loads a model exactly as
 * `InferenceSession.create` does (import, op check, shape inference, the level's passes with
 * constant folding and the capability oracle over the chosen backends, placement) but, instead of
 * preparing to run, returns the optimized graph, the original, the passes that changed it, where
 * each node would run, and the optimized model as standard ONNX bytes.
 * @module
 */
import type { Backend, BackendFactory } from '../backends/backend.js';
import { exportOnnx } from '../exporters/onnx/export.js';
import { cloneGraph } from '../exporters/onnx/export-standard.js';
import { OptiflowError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { importOnnx } from '../importers/onnx/import.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { placeNodes, type Placement } from '../partition/placement.js';
import { optimizeGraph, type OptimizationLevel } from '../passes/pipelines.js';
import { nodeEvaluator, replacementOracle } from './evaluate.js';
import { loadModelBytes } from './load.js';

/** Options of {@link optimize}; names follow `SessionOptions`. */
export interface OptimizeOptions {
  /** `'disabled' | 'basic' | 'extended' | 'all'` (default `'all'`). */
  level?: OptimizationLevel;
  /**
   * Backends in priority order (default: the caller's default providers, `['js']` here): fusions
   * only fire where the backend that would run the original node runs the fused one, so the
   * result depends on this list.
   */
  executionProviders?: (string | { name: string })[];
}

/** What {@link optimize} returns. */
export interface OptimizeResult {
  /** The optimized graph, shapes inferred (may hold `optiflow`-domain fused nodes). */
  graph: Graph;
  /** A deep copy of the graph as loaded (after shape inference, before any pass). */
  original: Graph;
  /** Names of the passes that changed the graph, in order (a pass appears once per round it changed something). */
  applied: string[];
  /** Where each node of `graph` would run and why, in node order. */
  placements: Placement[];
  /** The level that was applied. */
  level: OptimizationLevel;
  /**
   * The optimized model as one standard ONNX file (`optiflow` nodes written as standard ops or
   * their decompositions); computed once, on first call.
   * @throws OptiflowError as `exportOnnx` (e.g. initializers over 2 GB: write with `writeOnnxFile`).
   */
  bytes(): Uint8Array;
}

const REGISTRY = new OpRegistry(ALL_SCHEMAS);
const LEVELS: readonly OptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

/**
 * Optimizes a model at `level` for the given backends, without preparing it to run.
 * @param model a file path (Node.js; external data is read next to it) or the bytes of an `.onnx` file
 * @param backendFactories the backends that `executionProviders` may name (the public wrapper
 *   passes the built-in ones)
 * @param defaultProviders the providers used when `executionProviders` is not given (those that
 *   fail to start are skipped)
 * @throws OptiflowError `io_error` (unreadable path), `invalid_model`, `unsupported_op`,
 *   `opset_out_of_range`, `invalid_argument` (unknown level or execution provider), located at
 *   the model's name, as `InferenceSession.create` throws them.
 */
export async function optimize(model: string | Uint8Array | ArrayBuffer, options: OptimizeOptions = {},
  backendFactories: Readonly<Record<string, BackendFactory>> = {}, defaultProviders: readonly string[] = ['js']): Promise<OptimizeResult> {
  const level = options.level ?? 'all';
  if (!LEVELS.includes(level)) {
    throw new OptiflowError('invalid_argument', `level must be disabled, basic, extended or all; got '${String(level)}'`);
  }
  const requested = options.executionProviders?.map((p) => (typeof p === 'string' ? p : p.name));
  const names = requested ?? [...defaultProviders];
  if (names.length === 0) throw new OptiflowError('invalid_argument', 'executionProviders is empty');
  for (const n of names) {
    if (!backendFactories[n]) throw new OptiflowError('invalid_argument', `unknown execution provider '${n}'; available: ${Object.keys(backendFactories).join(', ')}`);
  }
  const { bytes, source, readExternal } = await loadModelBytes(model);
  const graph = importOnnx(bytes, { source, readExternal });
  for (const v of [...graph.inputs, ...graph.outputs]) {
    if (v.kind === 'map' || v.kind === 'sparse') {
      throw new OptiflowError('unsupported_op', `graph value '${v.name}' is a ${v.kind}; only tensors are supported`, [source]);
    }
  }
  let schemas = checkOps(graph, REGISTRY, [source]);
  inferGraph(graph, schemas);
  const original = cloneGraph(graph);
  const backends: Backend[] = [];
  for (const n of names) {
    try {
      backends.push(await backendFactories[n]!({ intraOpNumThreads: 0 }));
    } catch (e) {
      // As in the session: a default provider this engine cannot start is skipped; a requested one is an error.
      if (requested) throw e;
    }
  }
  if (backends.length === 0) throw new OptiflowError('invalid_argument', `none of the execution providers ${names.join(', ')} could start`);
  let applied: string[] = [];
  let placements: Placement[];
  try {
    if (level !== 'disabled') {
      applied = optimizeGraph(graph, level, {
        evaluate: nodeEvaluator(graph, backends, REGISTRY), registry: REGISTRY,
        canReplace: replacementOracle(graph, backends, REGISTRY),
      });
      schemas = checkOps(graph, REGISTRY, [source]);
      inferGraph(graph, schemas);
    }
    const placed = placeNodes(graph, backends, schemas);
    placements = graph.nodes.map((n) => placed.get(n)!.placement);
  } catch (e) {
    throw e instanceof OptiflowError ? e.within(source) : e;
  } finally {
    for (const b of backends) await b.dispose?.();
  }
  let file: Uint8Array | undefined;
  return {
    graph, original, applied, placements, level,
    bytes: () => (file ??= exportOnnx(graph)),
  };
}
