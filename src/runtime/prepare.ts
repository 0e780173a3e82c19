/**
 * The steps a session and `optimize()` share: load and check a model, start the requested
 * backends, and run the optimization level's passes with the runtime's oracles (node evaluation,
 * replacement capability, layout preference) followed by a fresh op check and shape inference.
 * @module
 */
import type { Backend, BackendFactory, BackendOptions } from '../backends/backend.js';
import { OptiflowError } from '../ir/errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { importOnnx } from '../importers/onnx/import.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import type { AttrSpecs, OpSchema } from '../ops/schema.js';
import { optimizeGraph, type OptimizationLevel } from '../passes/pipelines.js';
import { layoutOracle, nodeEvaluator, replacementOracle } from './evaluate.js';
import { loadModelBytes } from './load.js';

/** Every schema optiflow knows, as one registry. */
export const REGISTRY = new OpRegistry(ALL_SCHEMAS);

/** onnxruntime's level names, in order. */
export const LEVELS: readonly OptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

/** A model imported, its ops checked and its shapes inferred. */
export interface LoadedGraph {
  graph: Graph;
  /** The file path, or `<bytes>`, for error paths. */
  source: string;
  /** Schema of every node (subgraphs included). */
  schemas: Map<Node, OpSchema<AttrSpecs>>;
}

/**
 * Loads, imports, checks and infers a model.
 * @throws OptiflowError `io_error`, `invalid_model`, `unsupported_op` (also for map or sparse graph
 *   values), `opset_out_of_range`.
 */
export async function loadGraph(model: string | Uint8Array | ArrayBuffer): Promise<LoadedGraph> {
  const { bytes, source, readExternal } = await loadModelBytes(model);
  const graph = importOnnx(bytes, { source, readExternal });
  for (const v of [...graph.inputs, ...graph.outputs]) {
    if (v.kind === 'map' || v.kind === 'sparse') {
      throw new OptiflowError('unsupported_op', `graph value '${v.name}' is a ${v.kind}; only tensors are supported`, [source]);
    }
  }
  const schemas = checkOps(graph, REGISTRY, [source]);
  inferGraph(graph, schemas);
  return { graph, source, schemas };
}

/**
 * Starts the backends named by `requested` (or `defaults` when none are requested), in order.
 * A default provider that fails to start (no WebAssembly SIMD) is skipped; a requested one is an error.
 * @throws OptiflowError `invalid_argument` for an empty list, an unknown name, or when none starts.
 */
export async function startBackends(requested: readonly (string | { name: string })[] | undefined, defaults: readonly string[],
  factories: Readonly<Record<string, BackendFactory>>, options: BackendOptions): Promise<Backend[]> {
  const asked = requested?.map((p) => (typeof p === 'string' ? p : p.name));
  const names = asked ?? [...defaults];
  if (names.length === 0) throw new OptiflowError('invalid_argument', 'executionProviders is empty');
  for (const n of names) {
    if (!factories[n]) throw new OptiflowError('invalid_argument', `unknown execution provider '${n}'; available: ${Object.keys(factories).join(', ')}`);
  }
  const backends: Backend[] = [];
  for (const n of names) {
    try {
      backends.push(await factories[n]!(options));
    } catch (e) {
      if (asked) {
        for (const b of backends) await b.dispose?.();
        throw e;
      }
    }
  }
  if (backends.length === 0) throw new OptiflowError('invalid_argument', `none of the execution providers ${names.join(', ')} could start`);
  return backends;
}

/**
 * Runs `level`'s passes on `loaded.graph` in place for these backends, then checks ops and
 * re-infers shapes of the rewritten graph.
 * @returns the names of the passes that changed the graph, and the schemas of the new graph
 * @throws OptiflowError `invalid_argument` for an unknown level; what the passes' checks throw.
 */
export function optimizeLoaded(loaded: LoadedGraph, level: OptimizationLevel, backends: readonly Backend[]):
  { applied: string[]; schemas: Map<Node, OpSchema<AttrSpecs>> } {
  if (!LEVELS.includes(level)) {
    throw new OptiflowError('invalid_argument', `graphOptimizationLevel must be disabled, basic, extended or all; got '${String(level)}'`);
  }
  const { graph, source } = loaded;
  if (level === 'disabled') return { applied: [], schemas: loaded.schemas };
  const applied = optimizeGraph(graph, level, {
    evaluate: nodeEvaluator(graph, backends, REGISTRY), registry: REGISTRY,
    canReplace: replacementOracle(graph, backends, REGISTRY),
    preferredLayout: layoutOracle(graph, backends, REGISTRY),
  });
  const schemas = checkOps(graph, REGISTRY, [source]);
  inferGraph(graph, schemas);
  return { applied, schemas };
}
