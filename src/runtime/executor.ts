/**
 * The executor: compiles a graph into a plan (schemas, placement, compiled kernels, release
 * schedule) and runs it, resolving each node's output shapes through its schema before the kernel
 * runs. Subgraphs (If/Loop/Scan bodies) get plans of their own, cached per graph.
 * @module
 */
import type { Backend, CompiledNode, ResolvedOutput, SubgraphRunner } from '../backends/backend.js';
import { OptiflowError, isOptiflowError } from '../ir/errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { isTensorValue, sizeOf, type RuntimeValue, type TensorData } from '../ir/tensor-data.js';
import type { InputInfo } from '../ops/schema.js';
import { resolveAttrs, type AttrSpecs, type OpSchema } from '../ops/schema.js';
import { placeNodes, type Placement } from '../partition/placement.js';
import { releaseSchedule } from './memory-plan.js';

interface Step {
  node: Node;
  backend: Backend;
  schema: OpSchema<AttrSpecs>;
  attrs: unknown;
  opset: number;
  compiled: CompiledNode;
}

/** A graph ready to run. */
export class Plan {
  /** Placement of each top-level node. */
  readonly placements: Placement[];
  private readonly steps: Step[];
  private readonly releases: string[][];
  private readonly subplans = new WeakMap<Graph, Plan>();
  /** Backend that produces each top-level value (for release and export of backend memory). */
  private readonly producers = new Map<string, Backend>();
  /**
   * When set, every top-level node's wall time (ms, kernel plus output check) is added here,
   * keyed by op type (`domain::opType` for non-ONNX domains).
   */
  profile?: Map<string, { ms: number; count: number }>;

  /**
   * @param schemas schema of every node (subgraphs included), from `checkOps`
   * @throws OptiflowError `unsupported_op` when no backend supports a node.
   */
  constructor(readonly graph: Graph, private readonly backends: readonly Backend[],
    private readonly schemas: ReadonlyMap<Node, OpSchema<AttrSpecs>>, private readonly opsets: ReadonlyMap<string, number>) {
    const placed = placeNodes(graph, backends, schemas);
    this.placements = graph.nodes.map((n) => placed.get(n)!.placement);
    this.steps = graph.nodes.map((node) => {
      const schema = schemas.get(node)!;
      const opset = opsets.get(node.domain) ?? schema.since;
      const backend = placed.get(node)!.backend;
      const constants = node.inputs.map((x) => (x ? graph.initializers.get(x) : undefined));
      return {
        node, backend, schema, opset, attrs: resolveAttrs(schema, node),
        compiled: backend.compile(node, schema, opset, constants),
      };
    });
    for (const st of this.steps) for (const o of st.node.outputs) if (o) this.producers.set(o, st.backend);
    this.releases = releaseSchedule(graph.nodes, graph.outputs.map((o) => o.name));
  }

  /** Whether `t`'s data is (a view of) the storage of an initializer or of a feed. */
  private sharesStorage(t: TensorData, feeds: ReadonlyMap<string, RuntimeValue>): boolean {
    const buf = (x: TensorData): unknown => (Array.isArray(x.data) ? x.data : (x.data as ArrayBufferView).buffer);
    const mine = buf(t);
    for (const i of this.graph.initializers.values()) if (buf(i) === mine) return true;
    for (const f of feeds.values()) if (isTensorValue(f) && buf(f) === mine) return true;
    return false;
  }

  /**
   * Runs the plan.
   * @param feeds graph inputs by name (validated by the caller)
   * @param outer values of enclosing scopes, for subgraphs
   * @returns every graph output by name
   * @throws OptiflowError located at the failing node.
   */
  async run(feeds: ReadonlyMap<string, RuntimeValue>, outer?: ReadonlyMap<string, RuntimeValue>): Promise<Map<string, RuntimeValue>> {
    const env = new Map<string, RuntimeValue>();
    const lookup = (name: string): RuntimeValue | undefined =>
      env.get(name) ?? feeds.get(name) ?? this.graph.initializers.get(name) ?? outer?.get(name);
    // A value crossing from a backend that owns its memory to another backend (or into a
    // subgraph) is copied out once per run: the owner frees or reuses its memory when the value
    // dies, while a kernel elsewhere may keep a view of it (Identity, sequences).
    const crossed = new Map<string, RuntimeValue>();
    const lookupFor = (name: string, reader: Backend | undefined): RuntimeValue | undefined => {
      const v = lookup(name);
      const owner = v !== undefined && env.has(name) ? this.producers.get(name) : undefined;
      if (!owner?.exportValue || owner === reader) return v;
      let c = crossed.get(name);
      if (!c) { c = owner.exportValue(v!); crossed.set(name, c); }
      return c;
    };
    const scope: ReadonlyMap<string, RuntimeValue> = {
      get: (k: string) => lookupFor(k, undefined), has: (k: string) => lookup(k) !== undefined,
    } as ReadonlyMap<string, RuntimeValue>;
    const runSubgraph: SubgraphRunner = async (g, subFeeds) => {
      let p = this.subplans.get(g);
      if (!p) { p = new Plan(g, this.backends, this.schemas, this.opsets); this.subplans.set(g, p); }
      const r = await p.run(subFeeds, scope);
      return g.outputs.map((o) => r.get(o.name)!);
    };
    // A top-level run tells the backends it is in progress (thread pools keep their workers ready).
    const top = outer === undefined;
    if (top) for (const b of this.backends) b.beginRun?.();
    try {
      for (let i = 0; i < this.steps.length; i++) {
        const st = this.steps[i]!;
        const n = st.node;
        const inputs = n.inputs.map((x, k) => {
          if (!x) return undefined;
          const t = lookupFor(x, st.backend);
          if (!t) throw new OptiflowError('runtime_error', `input ${k} '${x}' has no value`, [`node ${n.name} (${n.opType})`]);
          return t;
        });
        try {
          const inferred = st.schema.infer({
            attrs: st.attrs as never, opset: st.opset, node: n, outputCount: n.outputs.length,
            inputs: inputs.map(runtimeInfo),
          });
          const outs: ResolvedOutput[] = inferred.map((o) => ({
            dtype: o.dtype, kind: o.kind,
            shape: o.shape && o.shape.every((d) => typeof d === 'number') ? (o.shape as number[]) : undefined,
          }));
          const t0 = this.profile ? performance.now() : 0;
          let res = st.compiled.run(inputs, outs, runSubgraph);
          if (res instanceof Promise) res = await res;
          if (this.profile) {
            const key = n.domain ? `${n.domain}::${n.opType}` : n.opType;
            const e = this.profile.get(key) ?? this.profile.set(key, { ms: 0, count: 0 }).get(key)!;
            e.ms += performance.now() - t0; e.count++;
          }
          try {
            n.outputs.forEach((o, k) => {
              if (!o) return;
              const t = res[k];
              if (!t) throw new OptiflowError('runtime_error', `kernel produced no output ${k}`, [`node ${n.name} (${n.opType})`]);
              checkOutput(n, k, t, outs[k]);
            });
          } catch (e) {
            for (const t of res) if (t) st.backend.release?.(t);
            throw e;
          }
          n.outputs.forEach((o, k) => { if (o) env.set(o, res[k]!); });
        } catch (e) {
          if (isOptiflowError(e)) throw e.path.length ? e : e.within(`node ${n.name} (${n.opType})`);
          throw new OptiflowError('runtime_error', `${(e as Error).message}`, [`node ${n.name} (${n.opType})`]);
        }
        for (const name of this.releases[i]!) {
          const v = env.get(name);
          env.delete(name);
          crossed.delete(name);
          const b = this.producers.get(name);
          if (v && b?.release) b.release(v);
        }
      }
    } catch (e) {
      // Hand backend-owned memory back before reporting the failure.
      for (const [name, v] of env) this.producers.get(name)?.release?.(v);
      throw e;
    } finally {
      if (top) for (const b of this.backends) b.endRun?.();
    }
    const result = new Map<string, RuntimeValue>();
    for (const o of this.graph.outputs) {
      const t = lookup(o.name);
      if (!t) throw new OptiflowError('runtime_error', `graph output '${o.name}' was not computed`);
      const b = env.has(o.name) ? this.producers.get(o.name) : undefined;
      const v = b?.exportValue ? b.exportValue(t) : t;
      // At the top level, never hand the caller an array the model or the caller still holds
      // (Identity of a weight or of an input): onnxruntime returns fresh tensors too.
      result.set(o.name, top && isTensorValue(v) && this.sharesStorage(v, feeds) ? copyTensor(v) : v);
    }
    // Values kept alive only for the outputs go back to their backends once exported.
    for (const [name, v] of env) {
      const b = this.producers.get(name);
      if (b?.release && b.exportValue) b.release(v);
    }
    return result;
  }
}

function copyTensor(t: TensorData): TensorData {
  const data = Array.isArray(t.data) ? [...t.data] : (t.data as Exclude<TensorData['data'], string[]>).slice();
  return { type: t.type, dims: [...t.dims], data } as TensorData;
}

/** The inference view of a run-time value. */
export function runtimeInfo(v: RuntimeValue | undefined): InputInfo | undefined {
  if (!v) return undefined;
  if (isTensorValue(v)) return { dtype: v.type, shape: v.dims as number[], value: v };
  if (v.kind === 'sequence') return { dtype: v.elemType ?? 'float32', kind: 'sequence', container: v };
  const inner = v.value;
  const dtype = !inner ? 'float32' : isTensorValue(inner) ? inner.type : inner.elemType ?? 'float32';
  return { dtype, kind: 'optional', container: v };
}

/**
 * Checks output `k` of node `n` against the schema's inference: kind, dtype, dims (when inferred)
 * and element count.
 * @throws OptiflowError `runtime_error` naming the node and output.
 */
export function checkOutput(n: Node, k: number, v: RuntimeValue, expect: ResolvedOutput | undefined): void {
  const where = [`node ${n.name} (${n.opType})`, `output ${k}`];
  if (!isTensorValue(v)) {
    if (expect?.kind && expect.kind !== 'tensor' && expect.kind !== v.kind) {
      throw new OptiflowError('runtime_error', `kernel returned a ${v.kind}, schema inferred a ${expect.kind}`, where);
    }
    return;
  }
  const t: TensorData = v;
  if (expect && t.type !== expect.dtype) {
    throw new OptiflowError('runtime_error', `kernel returned dtype ${t.type}, schema inferred ${expect.dtype}`, where);
  }
  if (expect?.shape && (expect.shape.length !== t.dims.length || expect.shape.some((d, i) => d !== t.dims[i]))) {
    throw new OptiflowError('runtime_error', `kernel returned dims [${t.dims.join(',')}], schema inferred [${expect.shape.join(',')}]`, where);
  }
  const n2 = sizeOf(t.dims) * (t.type.startsWith('complex') ? 2 : 1);
  if (t.data.length !== n2) {
    throw new OptiflowError('runtime_error', `kernel returned ${t.data.length} elements for dims [${t.dims.join(',')}]`, where);
  }
}
