/**
 * Memory planning, pure functions over a schedule: lifetimes (the step that produces each value
 * and the last step that reads it, so the executor can release it right after) and an arena plan
 * (one byte offset per intermediate, reusing memory between values whose lifetimes do not overlap).
 * Source: TFLite memory planner (arXiv:2001.03288), tinygrad `schedule/memory.py`, XNNPACK
 * `src/memory-planner.c`.
 * @module
 */
import { OptiflowError } from '../ir/errors.js';
import { nodeDependencies, type Node } from '../ir/graph.js';

/** First and last use of a value, as step indices. */
export interface Lifetime {
  /** Step producing the value (-1 for graph inputs and initializers). */
  first: number;
  /** Last step reading it; `Infinity` when it must outlive the run (a graph output). */
  last: number;
}

/**
 * Computes lifetimes of every value read or written by `steps` (in execution order).
 * @param keep names that must survive the run (graph outputs)
 */
export function computeLifetimes(steps: readonly Node[], keep: Iterable<string>): Map<string, Lifetime> {
  const life = new Map<string, Lifetime>();
  steps.forEach((n, i) => {
    for (const x of nodeDependencies(n)) {
      const l = life.get(x);
      if (l) l.last = i; else life.set(x, { first: -1, last: i });
    }
    for (const o of n.outputs) if (o && !life.has(o)) life.set(o, { first: i, last: i });
  });
  for (const k of keep) {
    const l = life.get(k);
    if (l) l.last = Infinity; else life.set(k, { first: -1, last: Infinity });
  }
  return life;
}

/**
 * For each step, the values that die after it (last read there and produced inside the schedule).
 * @returns `releases[i]` = names to free after step `i`
 */
export function releaseSchedule(steps: readonly Node[], keep: Iterable<string>): string[][] {
  const out: string[][] = steps.map(() => []);
  for (const [name, l] of computeLifetimes(steps, keep)) {
    if (l.first >= 0 && Number.isFinite(l.last)) out[l.last]!.push(name);
  }
  return out;
}

/** Options of {@link planArena}. */
export interface ArenaOptions {
  /**
   * Whether `node` may write `outputName` over `inputName` (same offset). Only asked when the input
   * is an arena value whose lifetime ends at `node`, is not kept, and has the output's exact size.
   * Default: never. {@link elementwiseInPlace} allows it for elementwise and reshape-like ops.
   */
  inPlace?: (node: Node, inputName: string, outputName: string) => boolean;
  /** Offset alignment in bytes, a positive integer (default 64, a cache line; SIMD loads want 16). */
  alignment?: number;
}

/** An arena plan: one offset per intermediate value, the arena size, and reference sizes. */
export interface ArenaPlan {
  /** Byte offset of every planned value (values that share a buffer in place share an offset). */
  offsets: Map<string, number>;
  /** Arena size in bytes: the highest `offset + size` (sizes rounded up to the alignment). */
  peakBytes: number;
  /** Sum of the sizes of all planned values: what one buffer per value would take. */
  totalBytes: number;
  /**
   * The most bytes live at any one step (after in-place merging, aligned sizes): a lower bound on
   * `peakBytes` for any offset assignment of these buffers; the gap is fragmentation.
   */
  liveBytes: number;
  /** Values produced by `steps` that were not planned because `sizes` has no entry for them. */
  unsized: string[];
  /** In-place reuses made: [output, input it overwrites]. */
  inPlace: [string, string][];
}

/** One arena buffer: values merged in place, with the union of their lifetimes. */
interface Buffer { names: string[]; size: number; first: number; last: number; offset: number }

/**
 * Plans one arena for the intermediates of a schedule: every value produced by `steps` gets a byte
 * offset such that values whose lifetimes (producing step to last reading step, inclusive)
 * overlap never overlap in memory. Offsets are chosen greedily by size: buffers in decreasing size,
 * each placed in the smallest gap between the already-placed buffers it overlaps in time that
 * fits it, else above them ("greedy by size for offset calculation", Pisarchyk and Lee, "Efficient
 * Memory Management for Deep Neural Net Inference", arXiv:2001.03288). Before that, an output may
 * take over the buffer of an input that dies at its node and has its size, where `options.inPlace`
 * allows it. Graph inputs and initializers (values not produced by `steps`) are not planned; kept
 * values live to the end of the schedule. A pure function.
 * @param steps nodes in execution order
 * @param sizes bytes of each value; values missing here are listed in `unsized` and not planned
 * @param keep values that must survive the run (graph outputs)
 * @throws OptiflowError `invalid_argument` on a negative or non-finite size or a bad alignment.
 */
export function planArena(steps: readonly Node[], sizes: ReadonlyMap<string, number>, keep: Iterable<string>,
  options: ArenaOptions = {}): ArenaPlan {
  const alignment = options.alignment ?? 64;
  if (!Number.isInteger(alignment) || alignment < 1) {
    throw new OptiflowError('invalid_argument', `arena alignment must be a positive integer, got ${alignment}`);
  }
  const kept = new Set(keep);
  const life = computeLifetimes(steps, kept);
  const end = steps.length - 1;
  const bufferOf = new Map<string, Buffer>();
  const buffers: Buffer[] = [];
  const unsized: string[] = [];
  const inPlace: [string, string][] = [];
  let totalBytes = 0;
  steps.forEach((node, i) => {
    const donated = new Set<Buffer>();
    for (const o of node.outputs) {
      if (!o || bufferOf.has(o) || life.get(o)!.first !== i) continue;
      const size = sizes.get(o);
      if (size === undefined) { unsized.push(o); continue; }
      if (!Number.isFinite(size) || size < 0) {
        throw new OptiflowError('invalid_argument', `value '${o}' has size ${size} bytes`, [`node ${node.name}`]);
      }
      totalBytes += size;
      const last = Math.min(life.get(o)!.last, end);
      const donor = options.inPlace && node.inputs.find((x) => {
        const b = x ? bufferOf.get(x) : undefined;
        return b !== undefined && !donated.has(b) && b.last === i && !kept.has(x) && life.get(x)!.last === i
          && sizes.get(x) === size && options.inPlace!(node, x, o);
      });
      if (donor) {
        const b = bufferOf.get(donor)!;
        donated.add(b);
        b.names.push(o);
        b.last = last;
        bufferOf.set(o, b);
        inPlace.push([o, donor]);
        continue;
      }
      const b: Buffer = { names: [o], size: Math.ceil(size / alignment) * alignment, first: i, last, offset: 0 };
      buffers.push(b);
      bufferOf.set(o, b);
    }
  });
  // Greedy by size: larger buffers first; ties by first use, then name, for a deterministic plan.
  const order = [...buffers].sort((a, b) => b.size - a.size || a.first - b.first || (a.names[0]! < b.names[0]! ? -1 : 1));
  const placed: Buffer[] = [];
  let peakBytes = 0;
  for (const b of order) {
    const overlapping = placed.filter((p) => p.first <= b.last && b.first <= p.last).sort((x, y) => x.offset - y.offset);
    let best: number | undefined;
    let bestGap = Infinity;
    let prevEnd = 0;
    for (const p of overlapping) {
      const gap = p.offset - prevEnd;
      if (gap >= b.size && gap < bestGap) { best = prevEnd; bestGap = gap; }
      prevEnd = Math.max(prevEnd, p.offset + p.size);
    }
    b.offset = best ?? prevEnd;
    peakBytes = Math.max(peakBytes, b.offset + b.size);
    placed.push(b);
  }
  const offsets = new Map<string, number>();
  for (const b of buffers) for (const n of b.names) offsets.set(n, b.offset);
  // Bytes live per step by a sweep over buffer starts and ends.
  const delta = new Array<number>(steps.length + 1).fill(0);
  for (const b of buffers) { delta[b.first]! += b.size; delta[b.last + 1]! -= b.size; }
  let live = 0;
  let liveBytes = 0;
  for (const d of delta) { live += d; liveBytes = Math.max(liveBytes, live); }
  return { offsets, peakBytes, totalBytes, liveBytes, unsized, inPlace };
}

/**
 * Elementwise ONNX ops (every output element depends on the input elements at the same index,
 * read before the write) and reshape-like ops (same bytes, new dims): their output may overwrite
 * an input of the same size.
 */
export const IN_PLACE_OPS: ReadonlySet<string> = new Set([
  'Abs', 'Acos', 'Acosh', 'Add', 'And', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BitwiseAnd', 'BitwiseNot',
  'BitwiseOr', 'BitwiseXor', 'Cast', 'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh', 'Div', 'Elu', 'Equal', 'Erf',
  'Exp', 'Floor', 'Gelu', 'Greater', 'GreaterOrEqual', 'HardSigmoid', 'HardSwish', 'Identity', 'IsInf',
  'IsNaN', 'LeakyRelu', 'Less', 'LessOrEqual', 'Log', 'Max', 'Mean', 'Min', 'Mish', 'Mod', 'Mul', 'Neg',
  'Not', 'Or', 'PRelu', 'Pow', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin',
  'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Sub', 'Sum', 'Tan', 'Tanh', 'ThresholdedRelu', 'Where', 'Xor',
  'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Dropout',
]);

/**
 * The usual in-place rule for {@link planArena}: an op of the ONNX domain in {@link IN_PLACE_OPS}
 * may write its output over a data input (any input of an elementwise op; input 0 of a
 * reshape-like op). The planner adds the other conditions: the input dies at this node and has
 * the output's byte size (so, for a broadcasting op, the input's dims equal the output's).
 */
export function elementwiseInPlace(node: Node, inputName: string): boolean {
  if (node.domain !== '' || !IN_PLACE_OPS.has(node.opType)) return false;
  return !RESHAPE_LIKE.has(node.opType) || node.inputs[0] === inputName;
}

const RESHAPE_LIKE = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);
