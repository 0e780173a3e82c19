/**
 * Segmentation: groups the nodes placed on a segment backend (one implementing
 * `compileSegment`, such as `onednn` or `webgpu`) into maximal segments that each run as one
 * engine, and orders everything so that contracting a segment into one step never creates a cycle.
 *
 * The schedule is a topological order built greedily: while a segment is open, it keeps taking
 * ready nodes of the same backend; otherwise it first drains ready nodes of ordinary backends
 * (which unblocks more segment nodes), then opens a segment with the earliest ready segment node.
 * A segment is a maximal run of consecutive same-backend nodes in that order, so every value it
 * reads from outside is produced before it starts.
 * Sources: TF-TRT `segment.cc` (maximal supported subgraphs, `minimum_segment_size`); TFLite
 * `GraphPartitionHelper`.
 * @module
 */
import type { Backend } from '../backends/backend.js';
import { nodeDependencies, type Graph, type Node } from '../ir/graph.js';

/** One step of a segmented schedule. */
export type ScheduleItem =
  | { readonly kind: 'node'; readonly node: Node; readonly backend: Backend }
  | { readonly kind: 'segment'; readonly backend: Backend; readonly nodes: readonly Node[];
      /** Values read from outside the segment (no initializers), first-use order. */
      readonly inputs: readonly string[];
      /** Values produced inside and read outside (or graph outputs), production order. */
      readonly outputs: readonly string[] };

/** Whether `b` compiles segments rather than single nodes. */
export function isSegmentBackend(b: Backend): boolean {
  return typeof b.compileSegment === 'function';
}

/**
 * Orders `g`'s nodes and groups segment-backend nodes into segments.
 * @param backendOf the backend each node is placed on
 * @returns the schedule; a node order in which every value is produced before it is read
 */
export function segmentSchedule(g: Graph, backendOf: (n: Node) => Backend): ScheduleItem[] {
  const nodes = g.nodes;
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => { for (const o of n.outputs) if (o) producer.set(o, i); });
  const deps = nodes.map((n) => [...new Set(nodeDependencies(n).map((x) => producer.get(x)).filter((p): p is number => p !== undefined))]);
  const readers: number[][] = nodes.map(() => []);
  const waiting = deps.map((d, i) => { for (const p of d) readers[p]!.push(i); return d.length; });
  const ready = new Set<number>();
  waiting.forEach((w, i) => { if (w === 0) ready.add(i); });
  const order: number[] = [];
  let open: Backend | undefined;
  const earliest = (pred: (i: number) => boolean): number | undefined => {
    let best: number | undefined;
    for (const i of ready) if (pred(i) && (best === undefined || i < best)) best = i;
    return best;
  };
  while (ready.size) {
    const seg = (i: number): boolean => isSegmentBackend(backendOf(nodes[i]!));
    let pick = open ? earliest((i) => backendOf(nodes[i]!) === open) : undefined;
    pick ??= earliest((i) => !seg(i));
    pick ??= earliest(() => true)!;
    ready.delete(pick);
    order.push(pick);
    const b = backendOf(nodes[pick]!);
    open = isSegmentBackend(b) ? b : undefined;
    for (const r of readers[pick]!) if (--waiting[r]! === 0) ready.add(r);
  }
  // Cycles cannot occur in a verified graph; keep any leftovers in their original order.
  if (order.length < nodes.length) nodes.forEach((_, i) => { if (!order.includes(i)) order.push(i); });

  // Who reads each value from where (subgraph references included), for segment outputs.
  const readBy = new Map<string, Set<number>>();
  nodes.forEach((n, i) => {
    for (const x of nodeDependencies(n)) (readBy.get(x) ?? readBy.set(x, new Set()).get(x)!).add(i);
  });
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const items: ScheduleItem[] = [];
  for (let k = 0; k < order.length;) {
    const first = nodes[order[k]!]!;
    const b = backendOf(first);
    if (!isSegmentBackend(b)) { items.push({ kind: 'node', node: first, backend: b }); k++; continue; }
    const idx: number[] = [];
    while (k < order.length && backendOf(nodes[order[k]!]!) === b) idx.push(order[k++]!);
    const members = new Set(idx);
    const produced = new Set<string>();
    const inputs: string[] = [];
    const outputs: string[] = [];
    for (const i of idx) {
      for (const x of nodeDependencies(nodes[i]!)) {
        if (!x || produced.has(x) || inputs.includes(x) || g.initializers.has(x)) continue;
        inputs.push(x);
      }
      for (const o of nodes[i]!.outputs) {
        if (!o) continue;
        produced.add(o);
        const outside = [...(readBy.get(o) ?? [])].some((r) => !members.has(r));
        if (outside || graphOutputs.has(o)) outputs.push(o);
      }
    }
    items.push({ kind: 'segment', backend: b, nodes: idx.map((i) => nodes[i]!), inputs, outputs });
  }
  return items;
}
