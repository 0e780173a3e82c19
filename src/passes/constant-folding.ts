/**
 * Constant folding: evaluates nodes whose inputs are all constants (initializers) and turns their
 * outputs into initializers; folds `Shape` when the dims it returns are static, and `Gather` of a
 * partly symbolic `Shape` when it picks only static dims. The evaluation itself is injected (the
 * runtime runs the node on a backend), so passes stay independent of backends.
 * @module
 */
import type { Dim, Graph, Node } from '../ir/graph.js';
import { sizeOf, type TensorData } from '../ir/tensor-data.js';
import type { GraphPass } from './pass-manager.js';

/** Evaluates one node on constant inputs; `undefined` when it cannot (unsupported, async). */
export type NodeEvaluator = (node: Node, inputs: readonly (TensorData | undefined)[]) => TensorData[] | undefined;

const NONDETERMINISTIC = new Set(['RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** Largest folded output, elements; bigger results stay computed at run time. */
export const MAX_FOLDED_ELEMENTS = 1 << 22;

/** Makes the constant-folding pass with the given evaluator. */
export function constantFolding(evaluate: NodeEvaluator): GraphPass {
  return {
    name: 'constant-folding',
    run(g: Graph): boolean {
      let changed = false;
      const keep: Node[] = [];
      const producers = g.producers();
      for (const n of g.nodes) {
        const folded = foldShape(g, n) ?? foldGatherOfShape(g, n, producers) ?? foldConstant(g, n, evaluate);
        if (!folded) { keep.push(n); continue; }
        n.outputs.forEach((o, i) => { if (o) g.initializers.set(o, folded[i]!); });
        changed = true;
      }
      g.nodes = keep;
      return changed;
    },
  };
}

/** The dims a `Shape` node returns (its `start`/`end` range applied), possibly symbolic. */
function shapeDims(g: Graph, n: Node): Dim[] | undefined {
  if (n.opType !== 'Shape' || n.domain !== '' || !n.inputs[0]) return undefined;
  const x = n.inputs[0];
  const shape = g.initializers.get(x)?.dims ?? g.valueInfo.get(x)?.shape ?? g.inputs.find((v) => v.name === x)?.shape;
  if (!shape) return undefined;
  const rank = shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const s = n.attributes.get('start'); const e = n.attributes.get('end');
  const start = clamp(s?.type === 'int' ? s.value : 0);
  const end = clamp(e?.type === 'int' ? e.value : rank);
  return shape.slice(start, Math.max(start, end));
}

const int64s = (dims: number[], vals: readonly number[]): TensorData =>
  ({ type: 'int64', dims, data: BigInt64Array.from(vals, (v) => BigInt(v)) });

/** `Shape` whose returned dims are all static (other dims of the input may be symbolic). */
function foldShape(g: Graph, n: Node): TensorData[] | undefined {
  const dims = shapeDims(g, n);
  if (!dims || !dims.every((d) => typeof d === 'number')) return undefined;
  return [int64s([dims.length], dims as number[])];
}

/**
 * `Gather(Shape(x), indices)` with constant indices picking only static dims, when other dims of
 * `x` are symbolic (`[N, 3, 4]` → `Gather(Shape, 1)` = 3).
 */
function foldGatherOfShape(g: Graph, n: Node, producers: ReadonlyMap<string, Node>): TensorData[] | undefined {
  if (n.opType !== 'Gather' || n.domain !== '' || !n.inputs[0] || !n.inputs[1]) return undefined;
  const axis = n.attributes.get('axis');
  if (axis?.type === 'int' && axis.value !== 0 && axis.value !== -1) return undefined;
  const p = producers.get(n.inputs[0]);
  const dims = p && shapeDims(g, p);
  const idx = g.initializers.get(n.inputs[1]);
  if (!dims || !idx || (idx.type !== 'int64' && idx.type !== 'int32')) return undefined;
  const picked: number[] = [];
  for (const v of Array.from(idx.data as ArrayLike<number | bigint>)) {
    const i = Number(v);
    const d = dims[i < 0 ? i + dims.length : i];
    if (typeof d !== 'number') return undefined;
    picked.push(d);
  }
  return [int64s([...idx.dims], picked)];
}

function foldConstant(g: Graph, n: Node, evaluate: NodeEvaluator): TensorData[] | undefined {
  if (NONDETERMINISTIC.has(n.opType) || n.inputs.length === 0) return undefined;
  if ([...n.attributes.values()].some((a) => a.type === 'graph' || a.type === 'graphs')) return undefined;
  const inputs = n.inputs.map((x) => (x ? g.initializers.get(x) : undefined));
  if (n.inputs.some((x, i) => x && !inputs[i])) return undefined;
  let res: TensorData[] | undefined;
  try { res = evaluate(n, inputs); } catch { return undefined; }
  if (!res || n.outputs.some((o, i) => o && !res![i])) return undefined;
  if (res.some((t) => sizeOf(t.dims) > MAX_FOLDED_ELEMENTS)) return undefined;
  return res;
}
