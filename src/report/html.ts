/**
 * The optimization report: one self-contained HTML page (inline CSS and SVG, no scripts, no
 * external URLs) comparing a graph before and after optimization — summary numbers, the rewrites
 * applied, node changes by op type, both graphs side by side, and where each node was placed.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OptiflowError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { layoutGraph, type PlacementInfo } from './layout.js';
import { backendColors, FAMILY_COLORS, type OpFamily } from './op-family.js';
import { graphStats, type GraphStats } from './stats.js';
import { escapeHtml, layoutSvg } from './svg.js';

/** What the report shows. */
export interface OptimizationReport {
  /** Page title (model name and optimization level, say). */
  title: string;
  /** The graph as loaded (with shapes inferred, for FLOPs). */
  before: Graph;
  /** The optimized graph (with shapes inferred). */
  after: Graph;
  /** Names of the rewrites (passes or rules) applied, one entry per application, repeats included. */
  applied: string[];
  /** Where each node of `after` runs (`session.placements`). */
  placements?: readonly PlacementInfo[];
  /** Values of symbolic dims for the FLOP counts, e.g. `{ N: 1 }`. */
  dims?: Readonly<Record<string, number>>;
}

const UNITS = ['', 'k', 'M', 'G', 'T', 'P'];

/** `1234567` → `1.23 M` (SI prefixes, 3 significant digits). */
export function formatCount(n: number): string {
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < UNITS.length - 1) { v /= 1000; i++; }
  return `${i === 0 ? String(v) : v.toPrecision(3)}${UNITS[i] ? ` ${UNITS[i]}` : ''}`;
}

/** `102760448` → `98.0 MiB` (binary prefixes). */
export function formatBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${u[i]}`;
}

/** A signed change with its percentage, e.g. `−12 (−8.5%)`. */
function delta(before: number, after: number, fmt: (n: number) => string): string {
  const d = after - before;
  if (d === 0) return '<span class="same">no change</span>';
  const pct = before !== 0 ? ` (${d > 0 ? '+' : '−'}${Math.abs((100 * d) / before).toFixed(1)}%)` : '';
  return `<span class="${d < 0 ? 'down' : 'up'}">${d > 0 ? '+' : '−'}${fmt(Math.abs(d))}${pct}</span>`;
}

/** `3 nodes`, `1 node`. */
function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** Counts of each distinct entry, in order of first appearance. */
function tally(items: readonly string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const s of items) m.set(s, (m.get(s) ?? 0) + 1);
  return [...m];
}

function summaryTable(b: GraphStats, a: GraphStats, dims: Readonly<Record<string, number>> | undefined): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const row = (label: string, x: number, y: number, fmt: (v: number) => string) =>
    `<tr><th>${label}</th><td title="${n(x)}">${fmt(x)}</td><td title="${n(y)}">${fmt(y)}</td><td>${delta(x, y, fmt)}</td></tr>`;
  const bound = dims && Object.keys(dims).length
    ? ` at ${Object.entries(dims).map(([k, v]) => `${escapeHtml(k)}=${v}`).join(', ')}` : '';
  const notes: string[] = [];
  if (b.unknownShapeNodes || a.unknownShapeNodes) {
    notes.push(`FLOPs exclude nodes without static shapes: ${b.unknownShapeNodes} before, ${a.unknownShapeNodes} after.`);
  }
  const unc = [...new Set([...b.uncountedOpTypes, ...a.uncountedOpTypes])];
  if (unc.length) notes.push(`No FLOP model (counted as 0): ${escapeHtml(unc.join(', '))}.`);
  return '<table class="summary"><thead><tr><th></th><th>before</th><th>after</th><th>change</th></tr></thead><tbody>'
    + row('nodes', b.nodes, a.nodes, (v) => String(v))
    + row(`FLOPs${bound}`, b.flops, a.flops, formatCount)
    + row('parameter bytes', b.parameterBytes, a.parameterBytes, formatBytes)
    + '</tbody></table>'
    + '<p class="note">FLOPs: a multiply-add counts 2 (Conv, Gemm, MatMul, Attention and their fused forms; '
    + 'fused bias/activation epilogues not counted); elementwise and normalization ops 1 per output element; '
    + 'data movement 0.</p>'
    + notes.map((t) => `<p class="note">${t}</p>`).join('');
}

function appliedTable(applied: readonly string[]): string {
  if (applied.length === 0) return '<p>No rewrite changed the graph.</p>';
  return '<table class="applied"><thead><tr><th>rewrite</th><th>times applied</th></tr></thead><tbody>'
    + tally(applied).map(([name, c]) => `<tr><td>${escapeHtml(name)}</td><td class="num">${c}</td></tr>`).join('')
    + '</tbody></table>';
}

function opChangesTable(b: GraphStats, a: GraphStats): string {
  const types = [...new Set([...Object.keys(b.byOpType), ...Object.keys(a.byOpType)])];
  const rows = types.map((t) => ({ t, x: b.byOpType[t] ?? 0, y: a.byOpType[t] ?? 0 }))
    .filter((r) => r.x !== r.y)
    .sort((p, q) => (p.y - p.x) - (q.y - q.x) || p.t.localeCompare(q.t));
  if (rows.length === 0) return '<p>No op type changed count.</p>';
  return '<table class="ops"><thead><tr><th>op type</th><th>before</th><th>after</th><th>removed / added</th></tr></thead><tbody>'
    + rows.map((r) => `<tr><td>${escapeHtml(r.t)}</td><td class="num">${r.x}</td><td class="num">${r.y}</td>`
      + `<td class="num ${r.y < r.x ? 'removed' : 'added'}">${r.y < r.x ? `−${r.x - r.y} removed` : `+${r.y - r.x} added`}</td></tr>`).join('')
    + '</tbody></table>';
}

function legend(colors: ReadonlyMap<string, string>): string {
  const fam = (Object.keys(FAMILY_COLORS) as OpFamily[]).map((f) =>
    `<span class="key"><span class="sw" style="background:${FAMILY_COLORS[f].fill};border-color:${FAMILY_COLORS[f].stroke}"></span>${FAMILY_COLORS[f].label}</span>`).join('');
  const be = [...colors].map(([b, c]) =>
    `<span class="key"><span class="sw backend" style="border-color:${c}"></span>backend ${escapeHtml(b)}</span>`).join('');
  return `<div class="legend">${fam}${be}</div>`;
}

function placementTable(placements: readonly PlacementInfo[], colors: ReadonlyMap<string, string>): string {
  if (placements.length === 0) return '<p>No placements given.</p>';
  const counts = tally(placements.map((p) => p.backend));
  const sw = (b: string) => `<span class="sw backend" style="border-color:${colors.get(b) ?? '#000'}"></span>`;
  return `<p>${counts.map(([b, c]) => `${sw(b)}<b>${escapeHtml(b)}</b>: ${plural(c, 'node')}`).join(' &nbsp; ')}</p>`
    + '<div class="table-scroll"><table class="placements"><thead><tr><th>node</th><th>op type</th><th>backend</th><th>cause</th></tr></thead><tbody>'
    + placements.map((p) => `<tr><td>${escapeHtml(p.node)}</td><td>${escapeHtml(p.opType)}</td>`
      + `<td>${sw(p.backend)}${escapeHtml(p.backend)}</td><td>${escapeHtml(p.cause)}</td></tr>`).join('')
    + '</tbody></table></div>';
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;padding:16px 24px;color:#212529;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.sub{color:#6c757d;margin:0 0 12px}
table{border-collapse:collapse;margin:4px 0}th,td{border:1px solid #dee2e6;padding:3px 10px;text-align:left;vertical-align:top}
thead th{background:#f1f3f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.summary td{text-align:right;font-variant-numeric:tabular-nums}
.down{color:#2b8a3e}.up{color:#c92a2a}.same{color:#868e96}
.note{color:#6c757d;font-size:12px;margin:2px 0;max-width:70em}
.cols{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.graphs{display:flex;gap:12px;align-items:stretch}
.panel{flex:1 1 0;min-width:0;border:1px solid #ced4da;border-radius:6px;display:flex;flex-direction:column;background:#fcfcfd}
.panel h3{margin:0;padding:6px 10px;font-size:14px;background:#f8f9fa;border-bottom:1px solid #ced4da;border-radius:6px 6px 0 0}
.scroll{overflow:auto;max-height:78vh}
.table-scroll{overflow:auto;max-height:60vh;display:inline-block;border-bottom:1px solid #dee2e6}
.added{color:#1864ab}.removed{color:#2b8a3e}
svg.graph{display:block}
svg.graph text{text-anchor:middle;font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace}
svg.graph .l1{font-size:11px;font-weight:600;fill:#212529}
svg.graph .l2{font-size:10px;fill:#495057}
svg.graph .badge-text{font-size:9px;font-weight:600;fill:#fff}
svg.graph .edge{fill:none;stroke:#adb5bd;stroke-width:1.3}
svg.graph g.node:hover rect{stroke-width:3}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:4px 0 10px;font-size:12px}
.key{display:inline-flex;align-items:center;gap:5px}
.sw{display:inline-block;width:14px;height:11px;border:1.5px solid;border-radius:3px;vertical-align:middle;margin-right:4px}
.sw.backend{background:#fff;border-width:3px}
.placements td:last-child{color:#495057;font-size:12px}
`;

/**
 * Builds the report page. Both graphs are laid out with {@link layoutGraph}; each is one `<svg>`
 * with one `<g class="node">` per graph node, sized to the drawing and scrolled inside its panel.
 * Node outlines and badges show the backend from `placements` (which name nodes of `after`).
 * @returns the complete HTML document
 */
export function optimizationReportHtml(r: OptimizationReport): string {
  const b = graphStats(r.before, { dims: r.dims });
  const a = graphStats(r.after, { dims: r.dims });
  const placements = r.placements ?? [];
  const colors = backendColors(placements.map((p) => p.backend));
  const before = layoutGraph(r.before, { backendColors: colors });
  const after = layoutGraph(r.after, { placements, backendColors: colors });
  const title = escapeHtml(r.title);
  return '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    + '<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
    + `<title>${title}</title><style>${CSS}</style></head><body>`
    + `<h1>${title}</h1><p class="sub">${plural(b.nodes, 'node')} before, ${a.nodes} after · ${plural(r.applied.length, 'rewrite application')}</p>`
    + '<div class="cols"><section><h2>Summary</h2>' + summaryTable(b, a, r.dims) + '</section>'
    + '<section><h2>Rewrites applied</h2>' + appliedTable(r.applied) + '</section>'
    + '<section><h2>Nodes removed / added by op type</h2>' + opChangesTable(b, a) + '</section></div>'
    + '<h2>Graphs</h2>' + legend(colors)
    + '<div class="graphs">'
    + `<section class="panel" id="panel-before"><h3>Before: ${plural(b.nodes, 'node')}</h3><div class="scroll">${layoutSvg(before, 'graph-before', `${r.title}: graph before optimization`)}</div></section>`
    + `<section class="panel" id="panel-after"><h3>After: ${plural(a.nodes, 'node')}</h3><div class="scroll">${layoutSvg(after, 'graph-after', `${r.title}: graph after optimization`)}</div></section>`
    + '</div>'
    + '<h2>Placement</h2>' + placementTable(placements, colors)
    + '</body></html>\n';
}

/**
 * Writes the report to `path` atomically: to a temporary file in the same directory, then renamed
 * into place (a reader never sees a half-written page).
 * @throws OptiflowError `io_error` naming `path` when the file cannot be written.
 */
export async function writeOptimizationReport(path: string, r: OptimizationReport): Promise<void> {
  const html = optimizationReportHtml(r);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, html, 'utf8');
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new OptiflowError('io_error', `cannot write report: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, [path]);
  }
}
