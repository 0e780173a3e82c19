/**
 * `optiflow optimize MODEL -o OUT.onnx [--level all] [--report report.html]`: optimizes a model
 * (a file or a built-in model name), writes it as standard ONNX (atomically; weights over 2 GB go
 * to `OUT.onnx.data`), prints the passes applied, the node counts by op type before and after,
 * and the file size, and optionally writes the HTML optimization report.
 * @module
 */
import type { Command } from 'commander';
import { writeOnnxFile } from '../exporters/onnx/export-file.js';
import { toStandardOnnx } from '../exporters/onnx/export-standard.js';
import { BUILTIN_BACKENDS, DEFAULT_PROVIDERS, OptiflowError } from '../index.js';
import type { Graph } from '../ir/graph.js';
import { optimize, type OptimizeOptions } from '../runtime/optimize.js';
import { human } from './inspect.js';
import { resolveModel, sessionInput } from './model-source.js';

/** Options of {@link optimizeModel}. */
export interface OptimizeModelOptions {
  /** Where to write the optimized `.onnx` file. */
  output: string;
  /** Optimization level (default `'all'`). */
  level?: OptimizeOptions['level'];
  /** Execution providers in priority order (default: the runtime's default providers). */
  executionProviders?: string[];
  /** Where to write the HTML report, if anywhere. */
  report?: string;
}

/** One row of the op-type table: top-level node counts. */
export interface OpCountRow {
  /** Op type, `domain::opType` outside ai.onnx. */
  opType: string;
  before: number;
  after: number;
}

/** What {@link optimizeModel} did. */
export interface OptimizeSummary {
  model: string;
  level: string;
  /** Backends the placements used. */
  backends: string[];
  /** Each pass that changed the graph, with the number of rounds it did. */
  passes: { name: string; count: number }[];
  /** Top-level node counts before and after (the optimized graph, fused ops included). */
  nodesBefore: number;
  nodesAfter: number;
  /** Op types whose count changed, largest change first. */
  opDelta: OpCountRow[];
  /** Nodes in the written file (fused ops written as standard ONNX). */
  nodesWritten: number;
  /** The written model file and its size. */
  output: string;
  bytes: number;
  /** The external data file, when weights went external, and its size. */
  dataPath?: string;
  dataBytes: number;
  /** The report file, when written. */
  report?: string;
}

/** Counts top-level nodes by op type (`domain::opType` outside ai.onnx). */
export function opCounts(g: Graph): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of g.nodes) {
    const k = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType}` : n.opType;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Rows of op types whose count differs between `before` and `after`, largest change first, then by name. */
export function opDelta(before: Graph, after: Graph): OpCountRow[] {
  const b = opCounts(before);
  const a = opCounts(after);
  const rows: OpCountRow[] = [];
  for (const k of new Set([...b.keys(), ...a.keys()])) {
    const row = { opType: k, before: b.get(k) ?? 0, after: a.get(k) ?? 0 };
    if (row.before !== row.after) rows.push(row);
  }
  return rows.sort((x, y) => Math.abs(y.after - y.before) - Math.abs(x.after - x.before) || x.opType.localeCompare(y.opType));
}

/** Pass names with the number of times each appears, in first-applied order. */
export function countPasses(applied: readonly string[]): { name: string; count: number }[] {
  const m = new Map<string, number>();
  for (const p of applied) m.set(p, (m.get(p) ?? 0) + 1);
  return [...m].map(([name, count]) => ({ name, count }));
}

/**
 * Optimizes `model` (a path or a built-in model name) and writes it to `o.output` (and the
 * report to `o.report`).
 * @throws OptiflowError as `optimize` (errors located at the model's name), `io_error` when an
 *   output cannot be written (nothing half-written remains), `invalid_argument` for a bad level
 *   or provider.
 */
export async function optimizeModel(model: string, o: OptimizeModelOptions): Promise<OptimizeSummary> {
  const src = resolveModel(model);
  let r;
  try {
    r = await optimize(sessionInput(src), { level: o.level ?? 'all', executionProviders: o.executionProviders }, BUILTIN_BACKENDS, DEFAULT_PROVIDERS);
  } catch (e) {
    throw src.bytes ? renameBytes(e, src.name) : e;
  }
  const standard = toStandardOnnx(r.graph);
  const written = writeOnnxFile(o.output, standard);
  if (o.report) {
    const { writeOptimizationReport } = await import('../report/html.js');
    await writeOptimizationReport(o.report, {
      before: r.original, after: r.graph, applied: r.applied, placements: r.placements,
      title: `${src.name} at level ${r.level}`,
    });
  }
  return {
    model: src.name, level: r.level, backends: [...new Set(r.placements.map((p) => p.backend))],
    passes: countPasses(r.applied), nodesBefore: r.original.nodes.length, nodesAfter: r.graph.nodes.length,
    opDelta: opDelta(r.original, r.graph), nodesWritten: standard.nodes.length,
    output: o.output, bytes: written.bytes, ...(written.dataPath ? { dataPath: written.dataPath } : {}),
    dataBytes: written.dataBytes, ...(o.report ? { report: o.report } : {}),
  };
}

/** An error about in-memory bytes (`<bytes> > node x`) renamed after the model. */
function renameBytes(e: unknown, name: string): unknown {
  if (!(e instanceof OptiflowError) || e.path[0] !== '<bytes>') return e;
  const bare = e.message.slice(e.path.join(' > ').length + 2);
  const renamed = new OptiflowError(e.code, bare, [name, ...e.path.slice(1)]);
  renamed.stack = e.stack;
  return renamed;
}

/** The human-readable summary of {@link optimizeModel}. */
export function formatOptimize(s: OptimizeSummary): string {
  const out = [`optimized ${s.model} at level ${s.level} (backends: ${s.backends.join(', ') || 'none'})`];
  out.push(`passes applied: ${s.passes.length ? s.passes.map((p) => `${p.name} ×${p.count}`).join(', ') : 'none'}`);
  const d = s.nodesAfter - s.nodesBefore;
  out.push(`nodes: ${s.nodesBefore} → ${s.nodesAfter} (${d > 0 ? '+' : ''}${d})`);
  if (s.opDelta.length) {
    const w = Math.max(7, ...s.opDelta.map((r) => r.opType.length));
    out.push(`  ${'op type'.padEnd(w)}  before   after   delta`);
    for (const r of s.opDelta) {
      const dd = r.after - r.before;
      out.push(`  ${r.opType.padEnd(w)}  ${String(r.before).padStart(6)}  ${String(r.after).padStart(6)}  ${`${dd > 0 ? '+' : ''}${dd}`.padStart(6)}`);
    }
  }
  if (s.nodesWritten !== s.nodesAfter) out.push(`fused optiflow ops written as standard ONNX: ${s.nodesWritten} nodes in the file`);
  out.push(`wrote ${s.output}: ${human(s.bytes)}B (${s.bytes} bytes)`);
  if (s.dataPath) out.push(`wrote ${s.dataPath}: ${human(s.dataBytes)}B of external weights`);
  if (s.report) out.push(`wrote report ${s.report}`);
  return out.join('\n') + '\n';
}

/** Adds the `optimize` command. */
export function registerOptimize(program: Command): void {
  program.command('optimize')
    .description('optimize a model and write it as standard ONNX, with a summary and an optional HTML report')
    .argument('<model>', 'an .onnx file or a built-in model name (see `optiflow zoo`)')
    .requiredOption('-o, --output <file>', 'where to write the optimized .onnx file')
    .option('--level <level>', 'graph optimization level: disabled, basic, extended or all', 'all')
    .option('--ep <list>', 'execution providers in priority order, comma-separated (e.g. wasm,js)')
    .option('--report <file>', 'write an HTML report comparing the graphs before and after')
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, o: { output: string; level: string; ep?: string; report?: string; json?: boolean }) => {
      const s = await optimizeModel(model, {
        output: o.output, level: o.level as OptimizeOptions['level'], report: o.report,
        executionProviders: o.ep?.split(',').map((x) => x.trim()).filter(Boolean),
      });
      process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : formatOptimize(s));
    });
}
