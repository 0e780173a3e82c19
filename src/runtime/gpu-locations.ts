/**
 * Where the executor leaves each segment output: on the CPU, or in a GPU buffer for
 * {@link Backend.gpuResident} segments (onnxruntime's IO binding / preferred output location).
 * @module
 */
import type { Backend } from '../backends/backend.js';
import { nodeDependencies, type Graph } from '../ir/graph.js';
import type { ScheduleItem } from '../partition/segments.js';

/** Where a value is left: on the CPU, or in a GPU buffer (onnxruntime's output locations). */
export type ValueLocation = 'cpu' | 'gpu-buffer';

/**
 * The output locations of every segment of a schedule `items`: `gpu-buffer` for outputs of
 * {@link Backend.gpuResident} segments that are graph outputs asked for on the GPU, or that only
 * GPU-resident segments read (values passed between GPU segments stay on the device); `cpu` for
 * the rest (values read inside subgraphs always).
 */
export function gpuLocations(graph: Graph, items: readonly ScheduleItem[], wanted: ReadonlyMap<string, ValueLocation> | undefined):
  (it: ScheduleItem & { kind: 'segment' }) => ValueLocation[] {
  // The backend of each reader of a value; `undefined` for ordinary node steps.
  const readers = new Map<string, (Backend | undefined)[]>();
  const implicit = new Set<string>();
  for (const it of items) {
    const nodes = it.kind === 'node' ? [it.node] : it.nodes;
    for (const n of nodes) {
      for (const x of n.inputs) if (x) (readers.get(x) ?? readers.set(x, []).get(x)!).push(it.kind === 'segment' ? it.backend : undefined);
      for (const x of nodeDependencies(n)) if (!n.inputs.includes(x)) implicit.add(x);
    }
  }
  const outputs = new Set(graph.outputs.map((o) => o.name));
  return (it) => it.outputs.map((name) => {
    if (!it.backend.gpuResident || implicit.has(name)) return 'cpu';
    if (outputs.has(name)) return wanted?.get(name) === 'gpu-buffer' ? 'gpu-buffer' : 'cpu';
    const rs = readers.get(name) ?? [];
    return rs.length > 0 && rs.every((b) => b?.gpuResident === true) ? 'gpu-buffer' : 'cpu';
  });
}
