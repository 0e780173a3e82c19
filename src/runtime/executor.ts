/**
 * The executor: compiles a graph into a plan (schemas, placement, compiled kernels, release
 * schedule) and runs it, resolving each node's output shapes through its schema before the kernel
 * runs. Subgraphs (If/Loop/Scan bodies) get plans of their own, cached per graph.
 * @module
 */
import {
  isGpuBufferValue, type Backend, type CompiledNode, type CompiledSegment, type ResolvedOutput, type SegmentIoStats, type SubgraphRunner,
} from '../backends/backend.js';
import { OptiflowError, isOptiflowError } from '../ir/errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { isTensorValue, sizeOf, type RuntimeValue, type TensorData } from '../ir/tensor-data.js';
import type { InputInfo } from '../ops/schema.js';
import { resolveAttrs, type AttrSpecs, type OpSchema } from '../ops/schema.js';
import { placeNodes, type Placement } from '../partition/placement.js';
import { segmentSchedule, type ScheduleItem } from '../partition/segments.js';
import { gpuLocations, type ValueLocation } from './gpu-locations.js';
import { releaseSchedule } from './memory-plan.js';
import { bracketRuns, concurrentOrder } from './run-order.js';

interface NodeStep {
  kind: 'node';
  node: Node;
  backend: Backend;
  schema: OpSchema<AttrSpecs>;
  attrs: unknown;
  opset: number;
  compiled: CompiledNode;
}

/** A segment compiled by a segment backend, standing in for its nodes. */
interface SegmentStep {
  kind: 'segment';
  /** A stand-in node: inputs and outputs are the segment's, opType `Segment`. */
  node: Node;
  backend: Backend;
  compiled: CompiledSegment;
  /** The nodes the segment runs. */
  members: readonly Node[];
  /** Where each output is left. */
  locations: readonly ValueLocation[];
}

type Step = NodeStep | SegmentStep;

export type { ValueLocation } from './gpu-locations.js';

/** Options of {@link Plan.create}. */
export interface PlanOptions {
  /**
   * Preferred location of graph outputs by name (default `cpu`). `gpu-buffer` is honoured where a
   * {@link Backend.gpuResident} segment produces the output; elsewhere outputs stay on the CPU.
   */
  readonly outputLocations?: ReadonlyMap<string, ValueLocation>;
  /**
   * Inter-op parallelism (`interOpNumThreads`): how many steps of a top-level run may be in flight
   * at once. Above 1, segments (which run off the JavaScript thread: oneDNN on native threads,
   * WebGPU on the device) start as soon as their inputs exist and run while the JavaScript thread
   * runs other ready steps ({@link concurrentOrder}). 0 or 1 (default): one step after another in
   * plan order. Graphs with subgraphs (If, Loop, Scan) always run in plan order.
   */
  readonly interOpNumThreads?: number;
}

/** A compiled segment as the plan reports it. */
export interface SegmentInfo {
  /** `segment_<k>_<backend>`, as in the placement causes. */
  readonly name: string;
  readonly backend: string;
  /** Names of the nodes it runs, in run order. */
  readonly nodes: readonly string[];
  /** Values it reads from outside (initializers excluded). */
  readonly inputs: readonly string[];
  /** Values it produces for readers outside or as graph outputs. */
  readonly outputs: readonly string[];
  /** Where each output is left (`gpu-buffer`: stays on the device). */
  readonly outputLocations: readonly ValueLocation[];
  /** The engine's copy counters since compilation, when it keeps them (WebGPU). */
  stats(): SegmentIoStats | undefined;
}

type Exclusions = Map<Node, Map<Backend, string>>;

/** A graph ready to run. */
export class Plan {
  /** Placement of each top-level node. */
  readonly placements: Placement[];
  private readonly steps: Step[];
  private readonly releases: string[][];
  private readonly subplans = new WeakMap<Graph, Plan>();
  /** Backends whose part of a run begins at each top-level step ({@link bracketRuns}). */
  private readonly beginAt = new Map<number, Backend[]>();
  /** Backends whose part of a run ends after each top-level step. */
  private readonly endAfter = new Map<number, Backend[]>();
  /** Steps in flight at once in a top-level run ({@link PlanOptions.interOpNumThreads}; 1 = plan order). */
  private readonly interOp: number;
  /** Backend that produces each top-level value (for release and export of backend memory). */
  private readonly producers = new Map<string, Backend>();
  /** The compiled segments, in run order. */
  readonly segments: readonly SegmentInfo[];
  /**
   * When set, every top-level node's wall time (ms, kernel plus output check) is added here,
   * keyed by op type (`domain::opType` for non-ONNX domains).
   */
  profile?: Map<string, { ms: number; count: number }>;

  private constructor(readonly graph: Graph, private readonly backends: readonly Backend[],
    private readonly schemas: ReadonlyMap<Node, OpSchema<AttrSpecs>>, private readonly opsets: ReadonlyMap<string, number>,
    steps: Step[], placements: Placement[], interOp = 1) {
    this.steps = steps;
    const nested = graph.nodes.some((n) => [...n.attributes.values()].some((a) => a.type === 'graph' || a.type === 'graphs'));
    this.interOp = nested || steps.every((st) => st.kind !== 'segment') ? 1 : Math.max(1, Math.floor(interOp));
    this.placements = placements;
    for (const st of this.steps) for (const o of st.node.outputs) if (o) this.producers.set(o, st.backend);
    this.releases = releaseSchedule(this.steps.map((st) => st.node), graph.outputs.map((o) => o.name));
    bracketRuns(this.steps, this.beginAt, this.endAfter);
    this.segments = this.steps.filter((st): st is SegmentStep => st.kind === 'segment').map((st) => ({
      name: st.node.name, backend: st.backend.name, nodes: st.members.map((n) => n.name), inputs: st.node.inputs,
      outputs: st.node.outputs, outputLocations: st.locations, stats: () => st.compiled.stats?.(),
    }));
  }

  /**
   * Places, segments and compiles `graph`. Nodes on a segment backend are grouped into maximal
   * segments; a segment below the backend's `minSegmentSize` (default 3), or one whose compilation
   * fails, is placed on the next backends instead (when one supports its nodes), and the
   * placement report says why.
   * @param schemas schema of every node (subgraphs included), from `checkOps`
   * @throws OptiflowError `unsupported_op` when no backend supports a node.
   */
  static async create(graph: Graph, backends: readonly Backend[], schemas: ReadonlyMap<Node, OpSchema<AttrSpecs>>,
    opsets: ReadonlyMap<string, number>, options: PlanOptions = {}): Promise<Plan> {
    const exclude: Exclusions = new Map();
    const excluded = (nodes: readonly Node[], b: Backend, why: string): Exclusions => {
      const next: Exclusions = new Map([...exclude].map(([n, m]) => [n, new Map(m)]));
      for (const n of nodes) (next.get(n) ?? next.set(n, new Map()).get(n)!).set(b, why);
      return next;
    };
    /** Whether every node still has a backend under `ex`. */
    const placeable = (ex: Exclusions): boolean => {
      try { placeNodes(graph, backends, schemas, [], ex); return true; } catch { return false; }
    };
    const keep = new Set<Node>();
    for (;;) {
      const placed = placeNodes(graph, backends, schemas, [], exclude);
      const items = segmentSchedule(graph, (n) => placed.get(n)!.backend);
      // Islands below the minimum segment size go elsewhere, when some other backend runs them.
      let demoted = false;
      for (const it of items) {
        if (it.kind !== 'segment' || it.nodes.some((n) => keep.has(n))) continue;
        const min = it.backend.minSegmentSize ?? 3;
        if (it.nodes.length >= min) continue;
        const next = excluded(it.nodes, it.backend, `a segment of ${it.nodes.length} node(s) is below the minimum segment size ${min}`);
        if (placeable(next)) {
          for (const [n, m] of next) exclude.set(n, m);
          demoted = true;
        } else {
          for (const n of it.nodes) keep.add(n);
        }
      }
      if (demoted) continue;
      const locationsOf = gpuLocations(graph, items, options.outputLocations);
      const steps: Step[] = [];
      let failure: { item: ScheduleItem & { kind: 'segment' }; error: unknown } | undefined;
      let k = 0;
      for (const it of items) {
        if (it.kind === 'node') { steps.push(compileNode(graph, it.node, it.backend, schemas, opsets)); continue; }
        const node: Node = { name: `segment_${k++}_${it.backend.name}`, opType: 'Segment', domain: 'optiflow',
          inputs: [...it.inputs], outputs: [...it.outputs], attributes: new Map() };
        const locations = locationsOf(it);
        try {
          const compiled = await it.backend.compileSegment!({
            graph, nodes: it.nodes, schemas, opsets, inputs: it.inputs, outputs: it.outputs,
            ...(locations.includes('gpu-buffer') ? { outputLocations: locations } : {}),
          });
          steps.push({ kind: 'segment', node, backend: it.backend, compiled, members: it.nodes, locations });
        } catch (error) {
          failure = { item: it, error };
          break;
        }
      }
      if (failure) {
        for (const st of steps) {
          if (st.kind === 'node') st.compiled.dispose?.(); else await st.compiled.dispose?.();
        }
        const { item, error } = failure;
        const msg = error instanceof Error ? error.message : String(error);
        const next = excluded(item.nodes, item.backend, `its segment failed to compile (${msg})`);
        if (!placeable(next)) {
          throw new OptiflowError('unsupported_op', `${item.backend.name} failed to compile a segment of ${item.nodes.length} node(s) and no other backend runs them: ${msg}`,
            [`node ${item.nodes[0]!.name}`]);
        }
        for (const [n, m] of next) exclude.set(n, m);
        continue;
      }
      const segOf = new Map<Node, string>();
      for (const st of steps) if (st.kind === 'segment') for (const n of st.members) segOf.set(n, `${st.node.name} (${st.members.length} nodes)`);
      const placements = graph.nodes.map((n) => {
        const p = placed.get(n)!.placement;
        const s = segOf.get(n);
        return s ? { ...p, cause: `${s}; ${p.cause}` } : p;
      });
      return new Plan(graph, backends, schemas, opsets, steps, placements, options.interOpNumThreads ?? 1);
    }
  }

  /** Frees what the compiled steps hold (segment engines); backends free the rest on dispose. */
  async dispose(): Promise<void> {
    for (const st of this.steps) {
      if (st.kind === 'segment') await st.compiled.dispose?.(); else st.compiled.dispose?.();
    }
  }

  /**
   * Runs the steps of a top-level run with up to {@link interOp} in flight ({@link concurrentOrder}
   * decides what starts when). A value is released once every step reading it has finished (the
   * values {@link releaseSchedule} would release, at the same point of the dataflow). On a failure,
   * waits for the steps still in flight (they may be writing memory the caller then frees) and
   * rethrows the first error.
   */
  private async runConcurrently(execStep: (i: number) => Promise<void>, release: (name: string) => void,
    begin: (b: Backend) => void): Promise<void> {
    const steps = this.steps;
    const releasable = new Set(this.releases.flat());
    const readers = new Map<string, number>();
    const inputsOf = steps.map((st) => [...new Set(st.node.inputs.filter((x) => x))]);
    for (const xs of inputsOf) for (const x of xs) if (releasable.has(x)) readers.set(x, (readers.get(x) ?? 0) + 1);
    const order = concurrentOrder(steps.map((st, i) => ({ async: st.kind === 'segment', inputs: inputsOf[i]!, outputs: st.node.outputs })), this.interOp);
    const finished = (i: number): void => {
      for (const x of inputsOf[i]!) {
        const left = readers.get(x);
        if (left === undefined) continue;
        if (left <= 1) { readers.delete(x); release(x); } else readers.set(x, left - 1);
      }
      for (const o of steps[i]!.node.outputs) if (o && releasable.has(o) && !readers.has(o)) release(o);
    };
    const inflight = new Map<number, Promise<{ i: number; error?: unknown }>>();
    let launched = false;
    try {
      for (let next = order.next(); !next.done; ) {
        const action = next.value;
        if (action.kind === 'start') {
          begin(steps[action.step]!.backend);
          if (steps[action.step]!.kind === 'segment') {
            const i = action.step;
            inflight.set(i, execStep(i).then(() => ({ i }), (error: unknown) => ({ i, error })));
            launched = true;
          } else {
            // A segment hands its work to its engine a few promise callbacks after it starts:
            // let those run before this thread becomes busy with a synchronous kernel.
            if (launched) { await yieldToEventLoop(); launched = false; }
            await execStep(action.step);
            finished(action.step);
          }
          next = order.next(action.step);
          continue;
        }
        const done = await Promise.race(inflight.values());
        inflight.delete(done.i);
        if ('error' in done) throw done.error;
        finished(done.i);
        next = order.next(done.i);
      }
    } catch (e) {
      await Promise.all(inflight.values());
      throw e;
    }
  }

  /** Whether `t`'s data is (a view of) the storage of an initializer or of a feed. */
  private sharesStorage(t: TensorData, feeds: ReadonlyMap<string, RuntimeValue>): boolean {
    const buf = (x: TensorData): unknown => (Array.isArray(x.data) ? x.data : (x.data as ArrayBufferView).buffer);
    if (isGpuBufferValue(t)) return false;
    const mine = buf(t);
    for (const i of this.graph.initializers.values()) if (buf(i) === mine) return true;
    for (const f of feeds.values()) if (isTensorValue(f) && !isGpuBufferValue(f) && buf(f) === mine) return true;
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
    // GPU-resident values read by a step that is not a GPU-resident segment: one download per run.
    const downloads = new Map<string, Promise<TensorData>>();
    const downloadFor = (name: string, t: TensorData & { download(): Promise<TensorData['data']> }): Promise<TensorData> => {
      let d = downloads.get(name);
      if (!d) {
        d = t.download().then((data) => ({ type: t.type, dims: [...t.dims], data }));
        downloads.set(name, d);
      }
      return d;
    };
    const scope: ReadonlyMap<string, RuntimeValue> = {
      get: (k: string) => lookupFor(k, undefined), has: (k: string) => lookup(k) !== undefined,
    } as ReadonlyMap<string, RuntimeValue>;
    const runSubgraph: SubgraphRunner = async (g, subFeeds) => {
      let p = this.subplans.get(g);
      if (!p) { p = await Plan.create(g, this.backends, this.schemas, this.opsets); this.subplans.set(g, p); }
      const r = await p.run(subFeeds, scope);
      return g.outputs.map((o) => r.get(o.name)!);
    };
    // A top-level run tells each backend when its part of the run starts and ends (thread pools
    // keep their workers spinning in between): only around its own steps, and closed before
    // another backend's segment, so that an idle pool never spins on cores that backend's threads
    // (oneDNN's OpenMP team) are using.
    const top = outer === undefined;
    const begun = new Set<Backend>();
    const execStep = async (i: number): Promise<void> => {
      const st = this.steps[i]!;
      const n = st.node;
      const inputs = n.inputs.map((x, k) => {
        if (!x) return undefined;
        const t = lookupFor(x, st.backend);
        if (!t) throw new OptiflowError('runtime_error', `input ${k} '${x}' has no value`, [`node ${n.name} (${n.opType})`]);
        return t;
      });
      if (!(st.kind === 'segment' && st.backend.gpuResident)) {
        for (let k = 0; k < inputs.length; k++) {
          const t = inputs[k];
          if (t && isGpuBufferValue(t)) inputs[k] = await downloadFor(n.inputs[k]!, t);
        }
      }
      try {
        let outs: readonly (ResolvedOutput | undefined)[];
        const t0 = this.profile ? performance.now() : 0;
        let res: RuntimeValue[] | Promise<RuntimeValue[]>;
        if (st.kind === 'node') {
          const inferred = st.schema.infer({
            attrs: st.attrs as never, opset: st.opset, node: n, outputCount: n.outputs.length,
            inputs: inputs.map(runtimeInfo),
          });
          outs = inferred.map((o) => ({
            dtype: o.dtype, kind: o.kind,
            shape: o.shape && o.shape.every((d) => typeof d === 'number') ? (o.shape as number[]) : undefined,
          }));
          res = st.compiled.run(inputs, outs as ResolvedOutput[], runSubgraph);
        } else {
          // A segment checks its outputs against the graph's static facts (dtype; dims when fixed).
          outs = n.outputs.map((o) => staticOutput(this.graph, o));
          res = st.compiled.run(inputs as RuntimeValue[]);
        }
        if (res instanceof Promise) res = await res;
        if (this.profile) {
          const key = st.kind === 'segment' ? `${st.backend.name}::Segment` : n.domain ? `${n.domain}::${n.opType}` : n.opType;
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
          for (const t of res) if (t) { st.backend.release?.(t); if (isGpuBufferValue(t)) t.dispose(); }
          throw e;
        }
        n.outputs.forEach((o, k) => { if (o) env.set(o, res[k]!); });
      } catch (e) {
        const where = st.kind === 'segment'
          ? `${n.name} (${st.members.length} nodes from ${st.members[0]!.name} to ${st.members[st.members.length - 1]!.name})`
          : `node ${n.name} (${n.opType})`;
        if (isOptiflowError(e)) throw e.path.length ? e : e.within(where);
        throw new OptiflowError('runtime_error', `${(e as Error).message}`, [where]);
      }
    };
    const release = (name: string): void => {
      const v = env.get(name);
      env.delete(name);
      crossed.delete(name);
      downloads.delete(name);
      const b = this.producers.get(name);
      if (v && b?.release) b.release(v);
      if (v && isGpuBufferValue(v)) v.dispose();
    };
    try {
      if (top && this.interOp > 1) {
        await this.runConcurrently(execStep, release, (b) => { if (!begun.has(b)) { begun.add(b); b.beginRun?.(); } });
      } else {
        for (let i = 0; i < this.steps.length; i++) {
          if (top) for (const b of this.beginAt.get(i) ?? []) if (!begun.has(b)) { begun.add(b); b.beginRun?.(); }
          await execStep(i);
          for (const name of this.releases[i]!) release(name);
          for (const b of this.endAfter.get(i) ?? []) if (begun.delete(b)) b.endRun?.();
        }
      }
    } catch (e) {
      // Hand backend-owned memory back before reporting the failure.
      for (const [name, v] of env) {
        this.producers.get(name)?.release?.(v);
        if (isGpuBufferValue(v)) v.dispose();
      }
      throw e;
    } finally {
      for (const b of begun) b.endRun?.();
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

/** Compiles one node on its backend (the kernel `create` phase, with its constant inputs). */
function compileNode(graph: Graph, node: Node, backend: Backend, schemas: ReadonlyMap<Node, OpSchema<AttrSpecs>>,
  opsets: ReadonlyMap<string, number>): NodeStep {
  const schema = schemas.get(node)!;
  const opset = opsets.get(node.domain) ?? schema.since;
  const constants = node.inputs.map((x) => (x ? graph.initializers.get(x) : undefined));
  return { kind: 'node', node, backend, schema, opset, attrs: resolveAttrs(schema, node), compiled: backend.compile(node, schema, opset, constants) };
}

/** What the graph's static value info says about output `name` (dtype; dims when all fixed). */
function staticOutput(g: Graph, name: string): ResolvedOutput | undefined {
  const v = g.valueInfo.get(name) ?? g.outputs.find((o) => o.name === name);
  if (!v?.dtype) return undefined;
  const shape = v.shape?.every((d) => typeof d === 'number') ? (v.shape as number[]) : undefined;
  return { dtype: v.dtype, shape };
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
  const gpu = isGpuBufferValue(t);
  if (expect && t.type !== expect.dtype) {
    throw new OptiflowError('runtime_error', `kernel returned dtype ${t.type}, schema inferred ${expect.dtype}`, where);
  }
  if (expect?.shape && (expect.shape.length !== t.dims.length || expect.shape.some((d, i) => d !== t.dims[i]))) {
    throw new OptiflowError('runtime_error', `kernel returned dims [${t.dims.join(',')}], schema inferred [${expect.shape.join(',')}]`, where);
  }
  const n2 = sizeOf(t.dims) * (t.type.startsWith('complex') ? 2 : 1);
  if (!gpu && t.data.length !== n2) {
    throw new OptiflowError('runtime_error', `kernel returned ${t.data.length} elements for dims [${t.dims.join(',')}]`, where);
  }
}

/** Resolves after the pending promise callbacks have run (a macrotask turn: setImmediate, or a MessageChannel in browsers). */
function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => { const ch = new MessageChannel(); ch.port1.onmessage = () => { ch.port1.close(); r(); }; ch.port2.postMessage(0); });
}
