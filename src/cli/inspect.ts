/**
 * `optiflow inspect MODEL`: inputs and outputs (dtype and shape), opsets, op histogram, parameter
 * count, a FLOPs estimate and metadata of a model file or built-in zoo model; with `--memory` the
 * arena plan of the intermediates, with `--placement` the backend of every node and why, and per
 * segment (`onednn`, `webgpu`) its nodes and the bytes copied to and from the device per run.
 * @module
 */
import type { Command } from 'commander';
import { importOnnx, isOptiflowError } from '../index.js';
import { ELEMENT_BYTES, measureCopies, segmentCopies, type SegmentReport } from './inspect-segments.js';
import type { Dim, Graph, Node, ValueInfo } from '../ir/graph.js';
import { elementwiseInPlace, planArena } from '../runtime/memory-plan.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { inferGraph } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import type { AttrSpecs, OpSchema } from '../ops/schema.js';
import { sizeOf } from '../ir/tensor-data.js';
import { createSession, modelBytes, resolveModel } from './model-source.js';

/** One graph input or output as reported. */
export interface IoInfo { name: string; dtype?: string; shape?: Dim[] }

/** Everything `inspect` reports. */
export interface InspectReport {
  name: string;
  irVersion: number;
  producer: string;
  docString: string;
  opsets: Record<string, number>;
  inputs: IoInfo[];
  outputs: IoInfo[];
  /** Node count per op type (subgraphs included), most frequent first. */
  ops: [string, number][];
  nodes: number;
  /** Elements in initializers. */
  parameters: number;
  /** Bytes of initializer storage. */
  parameterBytes: number;
  /** FLOPs of one example (symbolic dims taken as 1): 2 x MACs of Conv, ConvTranspose, MatMul, Gemm. */
  flops: number;
  /** Nodes of those types whose shapes were unknown and are not counted. */
  flopsSkipped: number;
  metadata: Record<string, string>;
  /** Why the model does not load for running (shapes then come from the op schemas alone). */
  loadError?: string;
  /** The arena plan of the intermediates of the optimized graph, as the session runs it (`--memory`). */
  memory?: MemoryReport;
  /** Where each node runs (`--placement`); absent when the model does not load. */
  placement?: PlacementReport;
}

/** `inspect --memory`: intermediates planned into one arena, from static shapes. */
export interface MemoryReport {
  /** Symbolic dims, each taken as 1 (batch 1). */
  assumedDims: string[];
  /** Intermediates planned (values produced by nodes, graph outputs included). */
  values: number;
  /** Bytes if every intermediate had its own buffer. */
  totalBytes: number;
  /** Arena bytes (greedy by size, in-place reuse for elementwise and reshape-like ops, 64-byte aligned). */
  peakBytes: number;
  /** Most bytes live at one step: the lower bound for any arena of this schedule. */
  liveBytes: number;
  /** Outputs written over a dying input. */
  inPlace: number;
  /** Intermediates of unknown shape or dtype, not counted. */
  unknown: number;
}

export { segmentCopies, type SegmentReport } from './inspect-segments.js';

/** `inspect --placement`: the backend of every top-level node and why. */
export interface PlacementReport {
  nodes: { node: string; opType: string; backend: string; cause: string }[];
  /** Nodes per backend, in the order backends first appear. */
  counts: Record<string, number>;
  /** Execution providers asked for (`--ep`); absent = the default list. */
  executionProviders?: string[];
  /** Segments of segment backends, in run order (empty when none). */
  segments?: SegmentReport[];
  /** Symbolic dims taken as 1 in the segment byte counts. */
  assumedDims?: string[];
  /** Why there is no placement (the model does not load for running). */
  unavailable?: string;
}

/** What `inspectModel` adds to the basic report. */
export interface InspectOptions {
  /** Plan the arena of the intermediates. */
  memory?: boolean;
  /** Report where each node runs. */
  placement?: boolean;
  /** Backends for the placement (`--ep webgpu,wasm,js`); default the runtime's default list. */
  executionProviders?: string[];
  /**
   * Run the model once (batch 1: the zoo's inputs or seeded random ones) and add each segment's
   * measured copies to the placement report.
   */
  measure?: boolean;
}

/**
 * Inspects a model. Shapes come from loading it as a session without optimizations (the report
 * describes the model as stored); `memory` and `placement` come from a session with the default
 * optimizations, as it would run. When loading fails (for example an unsupported op) the file is
 * only decoded, the reason is recorded in `loadError`, and the memory plan uses the stored graph.
 * @throws OptiflowError `io_error` (missing file), `invalid_model` (undecodable file).
 */
export async function inspectModel(model: string, options: InspectOptions = {}): Promise<InspectReport> {
  const src = resolveModel(model);
  let graph: Graph;
  let loadError: string | undefined;
  let placement: PlacementReport | undefined;
  let memory: MemoryReport | undefined;
  try {
    // The model as stored (shapes inferred); what runs (optimized, placed) only when asked for.
    const session = await createSession(src, { graphOptimizationLevel: 'disabled' });
    graph = session.graph;
    await session.release();
    if (options.memory || options.placement) {
      const eps = options.executionProviders;
      const optimized = await createSession(src, eps?.length ? { executionProviders: eps } : {});
      if (options.placement) {
        placement = placementReport(optimized.placements);
        if (eps?.length) placement.executionProviders = [...eps];
        Object.assign(placement, segmentCopies(optimized.graph, optimized.segments));
        if (options.measure) await measureCopies(optimized, src.zoo?.inputs(1), placement.segments!);
      }
      if (options.memory) memory = memoryReport(optimized.graph);
      await optimized.release();
    }
  } catch (e) {
    if (!isOptiflowError(e) || (e.code !== 'unsupported_op' && e.code !== 'opset_out_of_range')) throw e;
    loadError = `${e.code}: ${e.message}`;
    if (options.placement) placement = { nodes: [], counts: {}, unavailable: loadError };
    graph = importOnnx(modelBytes(src), { source: src.name });
    inferWithSchemas(graph);
    if (options.memory) memory = memoryReport(graph);
  }
  const hist = new Map<string, number>();
  let nodes = 0;
  const visit = (g: Graph) => {
    for (const n of g.nodes) {
      nodes++;
      const key = n.domain ? `${n.domain}.${n.opType}` : n.opType;
      hist.set(key, (hist.get(key) ?? 0) + 1);
      for (const a of n.attributes.values()) {
        if (a.type === 'graph') visit(a.value);
        else if (a.type === 'graphs') a.value.forEach(visit);
      }
    }
  };
  visit(graph);
  let parameters = 0;
  let parameterBytes = 0;
  for (const t of graph.initializers.values()) {
    parameters += sizeOf(t.dims);
    parameterBytes += Array.isArray(t.data) ? 0 : (t.data as ArrayBufferView).byteLength;
  }
  const { flops, skipped } = estimateFlops(graph);
  const md = graph.metadata;
  const io = (v: ValueInfo): IoInfo => {
    const info = { ...graph.valueInfo.get(v.name), ...Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) } as ValueInfo;
    return { name: v.name, dtype: info.dtype, shape: info.shape };
  };
  return {
    name: src.name, irVersion: md.irVersion, producer: `${md.producerName} ${md.producerVersion}`.trim(),
    docString: md.docString,
    opsets: Object.fromEntries([...graph.opsets].map(([d, v]) => [d || 'ai.onnx', v])),
    inputs: graph.inputs.map(io), outputs: graph.outputs.map(io),
    ops: [...hist].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])), nodes,
    parameters, parameterBytes, flops, flopsSkipped: skipped, metadata: { ...md.props }, loadError,
    memory, placement,
  };
}

/**
 * Plans the arena of `g`'s top-level intermediates from `g.valueInfo` (symbolic dims taken as 1)
 * with {@link planArena}, in the order the executor runs the nodes.
 */
export function memoryReport(g: Graph): MemoryReport {
  const sizes = new Map<string, number>();
  const assumed = new Set<string>();
  let unknown = 0;
  for (const n of g.nodes) {
    for (const o of n.outputs) {
      if (!o) continue;
      const v = g.valueInfo.get(o) ?? g.outputs.find((x) => x.name === o);
      const width = v?.dtype ? ELEMENT_BYTES[v.dtype] : undefined;
      if (!v?.shape || width === undefined || (v.kind && v.kind !== 'tensor')) { unknown++; continue; }
      for (const d of v.shape) if (typeof d === 'string') assumed.add(d);
      sizes.set(o, width * sizeOf(v.shape.map((d) => (typeof d === 'number' ? d : 1))));
    }
  }
  const plan = planArena(g.nodes, sizes, g.outputs.map((o) => o.name), { inPlace: elementwiseInPlace });
  return {
    assumedDims: [...assumed].sort(), values: plan.offsets.size, totalBytes: plan.totalBytes,
    peakBytes: plan.peakBytes, liveBytes: plan.liveBytes, inPlace: plan.inPlace.length, unknown,
  };
}

/** Per-node placement rows and per-backend counts. */
export function placementReport(placements: readonly { node: string; opType: string; backend: string; cause: string }[]): PlacementReport {
  const counts: Record<string, number> = {};
  for (const p of placements) counts[p.backend] = (counts[p.backend] ?? 0) + 1;
  return { nodes: placements.map((p) => ({ node: p.node, opType: p.opType, backend: p.backend, cause: p.cause })), counts };
}

/** Bytes with a binary-free metric suffix (`12.35 MB`). */
export function bytesText(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} kB`;
  return `${n} B`;
}

function formatMemory(m: MemoryReport, lines: string[]): void {
  const batch = m.assumedDims.length ? `symbolic dims ${m.assumedDims.join(', ')} taken as 1 (batch 1)` : 'all dims static';
  const pct = (x: number) => (m.totalBytes ? `${((100 * x) / m.totalBytes).toFixed(1)}%` : '-');
  lines.push(`memory:     intermediates of the optimized graph planned in one arena; ${batch}`);
  lines.push(`  intermediates  ${bytesText(m.totalBytes)} in ${m.values} values (one buffer each)`);
  lines.push(`  arena peak     ${bytesText(m.peakBytes)} = ${pct(m.peakBytes)} of that, ratio ${m.peakBytes ? (m.totalBytes / m.peakBytes).toFixed(2) : '-'}x (greedy by size, ${m.inPlace} in-place reuses)`);
  lines.push(`  live at once   ${bytesText(m.liveBytes)} = ${pct(m.liveBytes)} (lower bound for this schedule)`);
  if (m.unknown) lines.push(`  not counted    ${m.unknown} values of unknown shape or dtype`);
}

function formatPlacement(p: PlacementReport, lines: string[]): void {
  if (p.unavailable) { lines.push(`placement:  none, the model does not load for running (${p.unavailable})`); return; }
  lines.push('placement:');
  const wn = Math.max(4, ...p.nodes.map((x) => x.node.length));
  const wo = Math.max(2, ...p.nodes.map((x) => x.opType.length));
  const wb = Math.max(7, ...p.nodes.map((x) => x.backend.length));
  lines.push(`  ${'node'.padEnd(wn)}  ${'op'.padEnd(wo)}  ${'backend'.padEnd(wb)}  why`);
  for (const x of p.nodes) lines.push(`  ${x.node.padEnd(wn)}  ${x.opType.padEnd(wo)}  ${x.backend.padEnd(wb)}  ${x.cause}`);
  lines.push(`  per backend: ${Object.entries(p.counts).map(([b, c]) => `${b} ${c}`).join(', ')}${p.executionProviders ? ` (--ep ${p.executionProviders.join(',')})` : ''}`);
  if (!p.segments?.length) return;
  const batch = p.assumedDims?.length ? `symbolic dims ${p.assumedDims.join(', ')} taken as 1` : 'static shapes';
  lines.push(`segments:   copies between host and device per run (${batch})`);
  const ws = Math.max(7, ...p.segments.map((s) => s.name.length));
  lines.push(`  ${'segment'.padEnd(ws)}  ${'nodes'.padStart(5)}  ${'uploads'.padStart(7)}  ${'bytes up'.padStart(10)}  ${'readbacks'.padStart(9)}  ${'bytes back'.padStart(10)}`);
  const row = (name: string, nodes: number, up: number, upB: number, back: number, backB: number, unknown: number) =>
    lines.push(`  ${name.padEnd(ws)}  ${String(nodes).padStart(5)}  ${String(up).padStart(7)}  ${bytesText(upB).padStart(10)}  ${String(back).padStart(9)}  ${bytesText(backB).padStart(10)}${unknown ? `  (${unknown} of unknown shape not counted)` : ''}`);
  for (const s of p.segments) {
    row(s.name, s.nodes, s.uploads, s.uploadBytes, s.readbacks, s.readbackBytes, s.unknown);
    const m = s.measured;
    if (m) lines.push(`  ${'  measured'.padEnd(ws)}  ${''.padStart(5)}  ${String(m.uploads).padStart(7)}  ${bytesText(m.uploadBytes).padStart(10)}  ${String(m.readbacks).padStart(9)}  ${bytesText(m.readbackBytes).padStart(10)}  (one run, the engine's counters)`);
  }
  const sum = (f: (s: SegmentReport) => number) => p.segments!.reduce((a, s) => a + f(s), 0);
  row('total', sum((s) => s.nodes), sum((s) => s.uploads), sum((s) => s.uploadBytes), sum((s) => s.readbacks), sum((s) => s.readbackBytes), sum((s) => s.unknown));
}

/**
 * Static shape inference from the op schemas alone (no backend needed), for models that do not
 * load for running: nodes without a schema are skipped and their outputs stay unknown.
 */
function inferWithSchemas(g: Graph): void {
  const registry = new OpRegistry(ALL_SCHEMAS);
  const schemas = new Map<Node, OpSchema<AttrSpecs>>();
  for (const n of g.nodes) {
    const opset = g.opsetFor(n.domain);
    const r = opset === undefined ? undefined : registry.lookup(n.domain, n.opType, opset);
    if (r?.ok) schemas.set(n, r.schema);
  }
  inferGraph(g, schemas);
}

/** Ops whose FLOPs are counted, by `domain::opType`: the optimizer's fused forms count as their base op. */
const FLOP_OPS: Readonly<Record<string, 'Conv' | 'ConvTranspose' | 'MatMul' | 'Gemm'>> = {
  Conv: 'Conv', ConvTranspose: 'ConvTranspose', MatMul: 'MatMul', Gemm: 'Gemm',
  'optiflow::FusedConv': 'Conv', 'optiflow::FusedGemm': 'Gemm', 'optiflow::FusedMatMul': 'MatMul',
};

/**
 * FLOPs (2 x multiply-accumulates) of Conv, ConvTranspose, MatMul and Gemm (and their fused
 * `optiflow` forms) for one example, from the shapes known statically; symbolic dims count as 1.
 * Other ops are not counted.
 */
export function estimateFlops(g: Graph): { flops: number; skipped: number } {
  const shapeOf = (name: string): number[] | undefined => {
    const init = g.initializers.get(name);
    if (init) return [...init.dims];
    const v = g.valueInfo.get(name) ?? g.inputs.find((x) => x.name === name) ?? g.outputs.find((x) => x.name === name);
    return v?.shape?.map((d) => (typeof d === 'number' ? d : 1));
  };
  let macs = 0;
  let skipped = 0;
  for (const n of g.nodes) {
    const op = FLOP_OPS[n.domain ? `${n.domain}::${n.opType}` : n.opType];
    if (!op) continue;
    const a = shapeOf(n.inputs[0] ?? '');
    const w = shapeOf(n.inputs[1] ?? '');
    const y = shapeOf(n.outputs[0] ?? '');
    let m: number | undefined;
    if (op === 'Conv' && w && y && w.length >= 3) m = sizeOf(y) * sizeOf(w.slice(1));
    else if (op === 'ConvTranspose' && w && a && w.length >= 3) m = sizeOf(a) * sizeOf(w.slice(1));
    else if (op === 'MatMul' && y && (a || w)) {
      const k = a ? a[a.length - 1] : w!.length >= 2 ? w![w!.length - 2] : w![0];
      m = k === undefined ? undefined : sizeOf(y) * k;
    } else if (op === 'Gemm' && y && a && a.length === 2) {
      const transA = n.attributes.get('transA');
      m = sizeOf(y) * a[transA?.type === 'int' && transA.value ? 0 : 1]!;
    }
    if (m === undefined) skipped++; else macs += m;
  }
  return { flops: 2 * macs, skipped };
}

/** Formats a count with a metric suffix (`1.23 G`). */
export function human(n: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toFixed(2)} ${u}`;
  return String(n);
}

const shapeText = (s?: Dim[]) => (s ? `[${s.join(',')}]` : '[?]');

/** The human-readable report. */
export function formatInspect(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`model:      ${r.name}`);
  if (r.producer) lines.push(`producer:   ${r.producer}`);
  lines.push(`ir_version: ${r.irVersion}`);
  lines.push(`opsets:     ${Object.entries(r.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}`);
  if (r.docString) lines.push(`doc:        ${r.docString}`);
  const table = (vs: IoInfo[]) => {
    const w = Math.max(4, ...vs.map((v) => v.name.length));
    for (const v of vs) lines.push(`  ${v.name.padEnd(w)}  ${(v.dtype ?? '?').padEnd(8)} ${shapeText(v.shape)}`);
  };
  lines.push('inputs:');
  table(r.inputs);
  lines.push('outputs:');
  table(r.outputs);
  lines.push(`nodes:      ${r.nodes}`);
  lines.push(`parameters: ${r.parameters.toLocaleString('en-US')} (${(r.parameterBytes / 1e6).toFixed(1)} MB)`);
  lines.push(`FLOPs:      ${human(r.flops)} per example (2 x MACs of Conv/MatMul/Gemm${r.flopsSkipped ? `; ${r.flopsSkipped} nodes of unknown shape not counted` : ''})`);
  if (r.loadError) lines.push(`note:       the model does not load for running (${r.loadError})`);
  lines.push('ops:');
  const w = Math.max(...r.ops.map(([k]) => k.length), 2);
  for (const [op, c] of r.ops) lines.push(`  ${op.padEnd(w)}  ${String(c).padStart(5)}`);
  const md = Object.entries(r.metadata);
  if (md.length) {
    lines.push('metadata:');
    for (const [k, v] of md) lines.push(`  ${k}: ${v}`);
  }
  if (r.memory) formatMemory(r.memory, lines);
  if (r.placement) formatPlacement(r.placement, lines);
  return `${lines.join('\n')}\n`;
}

/** Adds the `inspect` command. */
export function registerInspect(program: Command): void {
  program.command('inspect')
    .description('show inputs, outputs, opsets, op histogram, parameters, FLOPs and metadata of a model')
    .argument('<model>', 'an .onnx file or a built-in model name (see `optiflow zoo`)')
    .option('--json', 'print the report as JSON')
    .option('--memory', 'plan the intermediates into one arena: peak bytes vs the sum of all intermediates (batch 1)')
    .option('--placement', 'the backend that runs each node, why the others declined, nodes per backend, and per segment the bytes copied to and from its device per run')
    .option('--ep <list>', 'execution providers for --placement, in priority order, comma-separated (e.g. webgpu,wasm,js)')
    .option('--measure', 'with --placement: run the model once (batch 1) and show the bytes each segment really copied')
    .action(async (model: string, o: { json?: boolean; memory?: boolean; placement?: boolean; ep?: string; measure?: boolean }) => {
      const executionProviders = o.ep?.split(',').map((x) => x.trim()).filter(Boolean);
      const r = await inspectModel(model, {
        memory: o.memory, placement: o.placement || executionProviders !== undefined || o.measure, executionProviders, measure: o.measure,
      });
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatInspect(r));
    });
}
