/**
 * Layered layout of a graph for the report's graph view, computed with dagre (Sugiyama-style
 * layering, crossing minimisation, Brandes-Köpf coordinates) in Node; no browser needed.
 * Source: Gansner et al., "A Technique for Drawing Directed Graphs" (1993); `@dagrejs/dagre`.
 * @module
 */
import { Graph as DagreGraph, layout as dagreLayout } from '@dagrejs/dagre';
import type { Graph, Node } from '../ir/graph.js';
import { backendColors, FAMILY_COLORS, opFamily, opKey, type OpFamily } from './op-family.js';

/** A point in layout coordinates (pixels, y down). */
export interface Point {
  x: number;
  y: number;
}

/** Where one node of the graph (or one graph input/output) is drawn. */
export interface NodeBox {
  /** `node` for a graph node, `input` / `output` for a graph input / output terminal. */
  kind: 'node' | 'input' | 'output';
  /** Node name (value name for terminals). */
  name: string;
  /** Display op type (`domain::opType` outside ai.onnx); the value's shape for terminals. */
  opType: string;
  /** Op family (terminals: `tensor`). */
  family: OpFamily;
  /** Top-left corner and size, in pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Fill and outline colours (the outline is the backend colour when the node has a placement). */
  fill: string;
  stroke: string;
  /** Backend the node was placed on, with its badge colour. */
  backend?: { name: string; color: string };
  /** Multi-line tooltip: op, name, inputs and outputs with their static shapes. */
  tooltip: string;
}

/** One edge drawn as a polyline from producer to consumer. */
export interface EdgePath {
  /** Producer box name and consumer box name. */
  from: string;
  to: string;
  /** Value names carried (several when two nodes are joined by more than one value). */
  values: string[];
  /** Polyline points, from the producer's border to the consumer's border. */
  points: Point[];
}

/** The laid-out graph. */
export interface GraphLayout {
  /** Size of the drawing in pixels (margins included). */
  width: number;
  height: number;
  /** One box per graph node (kind `node`), plus graph input/output terminals. */
  boxes: NodeBox[];
  edges: EdgePath[];
  /** Backend colours used in this layout, by backend name. */
  backendColors: Map<string, string>;
}

/** A node placement as the session reports it (`session.placements`). */
export interface PlacementInfo {
  node: string;
  opType: string;
  backend: string;
  cause: string;
}

/** Options of {@link layoutGraph}. */
export interface LayoutOptions {
  /** Placements of the nodes of this graph: outline and badge in the backend's colour. */
  placements?: readonly PlacementInfo[];
  /** Backend colours to use (so that two layouts agree); default from the placements. */
  backendColors?: Map<string, string>;
  /** Layer direction, top-to-bottom (default) or left-to-right. */
  rankdir?: 'TB' | 'LR';
}

/** Approximate advance width of one character of the view's 12px sans-serif labels. */
const CHAR_W = 7;
const NODE_H = 40;
const MAX_LABEL = 30;

/** Shortens `s` to `max` characters with an ellipsis in the middle (names keep both ends). */
export function shorten(s: string, max = MAX_LABEL): string {
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
}

/** Renders a shape like `[1,64,56,56]`; unknown rank as `?`. */
function shapeText(g: Graph, name: string): string {
  const t = g.initializers.get(name);
  const s = t ? t.dims : (g.valueInfo.get(name) ?? g.inputs.find((v) => v.name === name) ?? g.outputs.find((v) => v.name === name))?.shape;
  return s ? `[${s.join(',')}]` : '?';
}

function nodeTooltip(g: Graph, n: Node, backend: string | undefined): string {
  const io = (names: string[]) => names.filter((x) => x).map((x) => `  ${x} ${shapeText(g, x)}${g.initializers.has(x) ? ' (initializer)' : ''}`);
  return [`${opKey(n)} ${n.name}`, ...(backend ? [`backend: ${backend}`] : []), 'inputs:', ...io(n.inputs), 'outputs:', ...io(n.outputs)].join('\n');
}

/**
 * Lays out the top-level nodes of `g` with dagre. Graph inputs and outputs become terminal boxes;
 * initializers are not drawn (they appear in node tooltips). Node ids in the layout are prefixed
 * internally, so node names may equal value names.
 * @returns boxes (top-left corners) and edge polylines in pixels
 */
export function layoutGraph(g: Graph, o: LayoutOptions = {}): GraphLayout {
  const placed = new Map((o.placements ?? []).map((p) => [p.node, p.backend]));
  const colors = o.backendColors ?? backendColors(placed.values());
  const dg = new DagreGraph({ multigraph: false });
  dg.setGraph({ rankdir: o.rankdir ?? 'TB', nodesep: 24, ranksep: 36, edgesep: 12, marginx: 16, marginy: 16 });
  dg.setDefaultEdgeLabel(() => ({}));
  const boxes = new Map<string, NodeBox>();
  const add = (id: string, b: Omit<NodeBox, 'x' | 'y' | 'width' | 'height'>, lines: string[]) => {
    const width = Math.max(72, ...lines.map((l) => l.length * CHAR_W)) + 20;
    const height = b.kind === 'node' ? NODE_H : 28;
    boxes.set(id, { ...b, x: 0, y: 0, width, height });
    dg.setNode(id, { width, height });
  };
  const terminal = { family: 'tensor' as const, fill: '#f8f9fa', stroke: '#868e96' };
  const initializerInputs = new Set(g.initializers.keys());
  for (const v of g.inputs) {
    if (initializerInputs.has(v.name)) continue;
    const shape = shapeText(g, v.name);
    add(`i:${v.name}`, { kind: 'input', name: v.name, opType: shape, tooltip: `input ${v.name} ${shape}`, ...terminal }, [shorten(v.name), shape]);
  }
  g.nodes.forEach((n, i) => {
    const family = opFamily(n);
    const backend = placed.get(n.name);
    const color = backend ? colors.get(backend) ?? '#000000' : undefined;
    add(`n:${i}`, {
      kind: 'node', name: n.name, opType: opKey(n), family, fill: FAMILY_COLORS[family].fill,
      stroke: color ?? FAMILY_COLORS[family].stroke, tooltip: nodeTooltip(g, n, backend),
      ...(backend ? { backend: { name: backend, color: color! } } : {}),
    }, [opKey(n), shorten(n.name)]);
  });
  g.outputs.forEach((v) => {
    const shape = shapeText(g, v.name);
    add(`o:${v.name}`, { kind: 'output', name: v.name, opType: shape, tooltip: `output ${v.name} ${shape}`, ...terminal }, [shorten(v.name), shape]);
  });

  const producer = new Map<string, string>();
  for (const v of g.inputs) if (!initializerInputs.has(v.name)) producer.set(v.name, `i:${v.name}`);
  g.nodes.forEach((n, i) => { for (const x of n.outputs) if (x) producer.set(x, `n:${i}`); });
  const values = new Map<string, { from: string; to: string; values: string[] }>();
  const connect = (from: string | undefined, to: string, value: string) => {
    if (!from || from === to) return;
    const key = `${from}\u0000${to}`;
    const e = values.get(key);
    if (e) { if (!e.values.includes(value)) e.values.push(value); return; }
    values.set(key, { from, to, values: [value] });
    dg.setEdge(from, to);
  };
  g.nodes.forEach((n, i) => { for (const x of n.inputs) if (x) connect(producer.get(x), `n:${i}`, x); });
  for (const v of g.outputs) connect(producer.get(v.name), `o:${v.name}`, v.name);

  dagreLayout(dg);
  for (const [id, b] of boxes) {
    const p = dg.node(id) as { x: number; y: number };
    b.x = p.x - b.width / 2;
    b.y = p.y - b.height / 2;
  }
  const edges: EdgePath[] = [];
  for (const e of values.values()) {
    const label = dg.edge(e.from, e.to) as { points?: Point[] } | undefined;
    edges.push({
      from: boxes.get(e.from)!.name, to: boxes.get(e.to)!.name, values: e.values,
      points: (label?.points ?? []).map((p) => ({ x: p.x, y: p.y })),
    });
  }
  const gl = dg.graph() as { width?: number; height?: number };
  return {
    width: Math.ceil(gl.width ?? 0), height: Math.ceil(gl.height ?? 0),
    boxes: [...boxes.values()], edges, backendColors: colors,
  };
}
