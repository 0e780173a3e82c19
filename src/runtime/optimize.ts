/**
 * `optimize()`: the graph optimizer as a library call. Loads a model exactly as
 * `InferenceSession.create` does (import, op check, shape inference, the level's passes with
 * constant folding and the capability oracle over the chosen backends, placement) but, instead of
 * preparing to run, returns the optimized graph, the original, the passes that changed it, where
 * each node would run, and the optimized model as standard ONNX bytes.
 * @module
 */
import { exportOnnx } from '../exporters/onnx/export.js';
import { cloneGraph } from '../exporters/onnx/export-standard.js';
import { OptiflowError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { placeNodes, type Placement } from '../partition/placement.js';
import type { OptimizationLevel } from '../passes/pipelines.js';
import type { BackendFactory } from '../backends/backend.js';
import { LEVELS, loadGraph, optimizeLoaded, startBackends } from './prepare.js';

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
  const loaded = await loadGraph(model);
  const { graph, source } = loaded;
  const original = cloneGraph(graph);
  const backends = await startBackends(options.executionProviders, defaultProviders, backendFactories, { intraOpNumThreads: 1 });
  let applied: string[];
  let placements: Placement[];
  try {
    const r = optimizeLoaded(loaded, level, backends);
    applied = r.applied;
    const placed = placeNodes(graph, backends, r.schemas);
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
