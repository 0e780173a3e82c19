/**
 * The mutable state of one segment translation: engine tensors with their dims, the value of each
 * graph name (an engine tensor or a constant), the primitive list with the post-op list of each
 * convolution, matmul and binary, and helpers shared by the per-op translators (reshape, eltwise,
 * binary with numpy broadcasting resolved for oneDNN, post-op folding).
 *
 * Source: oneDNN 2.6 developer guide (binary: src0 has dst's dims, src1 broadcasts; post-ops).
 * @module
 */
import { OptiflowError } from '../../ir/errors.js';
import type { Node } from '../../ir/graph.js';
import { sizeOf, type TensorData } from '../../ir/tensor-data.js';
import type { EltwiseAlg, EngineConst, EngineDType, EngineOp, PostOp } from './spec.js';

/** A value during translation: an engine tensor (index into the tensor list) or a constant. */
export type Val = { readonly kind: 'tensor'; readonly index: number } | { readonly kind: 'const'; readonly data: TensorData };

/** Binary algorithms of oneDNN's binary primitive and post-op. */
export type BinaryAlg = 'add' | 'mul' | 'sub' | 'div' | 'max' | 'min';

/** What a per-op translator sees. */
export interface NodeCtx {
  readonly node: Node;
  readonly opset: number;
  /** Resolved attributes (defaults applied). */
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Positional inputs: engine tensors or constants (initializers); `undefined` when omitted. */
  readonly inputs: readonly (Val | undefined)[];
  /** Concrete dims of each output, from the schema's inference (`[]` for omitted outputs). */
  readonly outDims: readonly (readonly number[])[];
  readonly b: EngineBuilder;
  /** Error path. */
  readonly where: string;
}

/** Translates one node (emits ops, binds its outputs); throws OptiflowError `unsupported_op` to decline. */
export type Translator = (ctx: NodeCtx) => void;

/** Largest finite float32, for unbounded Clip limits. */
export const FLT_MAX = 3.4028234663852886e38;

/** Declines a node: OptiflowError `unsupported_op` naming it. */
export function decline(ctx: { where: string }, why: string): never {
  throw new OptiflowError('unsupported_op', `onednn: ${why}`, [ctx.where]);
}

/** Whether two dims lists are equal. */
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `dims` left-padded with 1s to `rank`. */
export function padDims(dims: readonly number[], rank: number): number[] {
  return [...new Array<number>(Math.max(0, rank - dims.length)).fill(1), ...dims];
}

/** Float32 view of a constant (float64 converted). */
export function constData(t: TensorData, where: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new OptiflowError('unsupported_op', `onednn: constant of dtype ${t.type}; only float32`, [where]);
}

/** An engine constant with `dims` (Int8Array data: int8 weights). */
export function econst(dims: readonly number[], data: Float32Array | Int8Array): EngineConst {
  return { dims: [...dims], data };
}

/** Ops whose post-op list can receive folded eltwise/binary steps. */
type PostOpKind = 'conv' | 'matmul' | 'binary';

/** Accumulates one engine. */
export class EngineBuilder {
  /** Dims of each engine tensor. */
  readonly tensors: number[][] = [];
  /** Element type of each engine tensor (parallel to {@link tensors}; `f32` unless int8). */
  readonly dtypes: EngineDType[] = [];
  /** Engine tensor or constant of each graph value name bound so far. */
  readonly values = new Map<string, Val>();
  /** Tensors fed by the engine's inputs, in segment input order. */
  readonly inputIndices: number[] = [];
  private readonly ops: EngineOp[] = [];
  /** Post-op list of each op index with one (shared with `ops[i].postOps` at {@link finishOps}). */
  private readonly post = new Map<number, PostOp[]>();
  /** Producing op index of each tensor (segment inputs have none). */
  private readonly producer = new Map<number, number>();
  /** Readers of each tensor that are not graph nodes' value names (engine-internal reuse). */
  private readonly internalReads = new Map<number, number>();
  /** Ops dropped by {@link removeOp}. */
  private readonly removed = new Set<number>();

  /**
   * @param uses number of reads of each value name by the segment's nodes
   * @param segmentOutputs value names read outside the segment
   * @param fold whether elementwise nodes may fold into their producer's post-ops ({@link foldTarget};
   *   false at graph optimization level `disabled` and `basic`: one primitive per node)
   */
  constructor(readonly uses: ReadonlyMap<string, number>, readonly segmentOutputs: ReadonlySet<string>,
    readonly fold = true) {}

  /** Binds a segment input to a new tensor. */
  bindInput(name: string, dims: readonly number[], dtype: EngineDType = 'f32'): void {
    const i = this.tensor(dims, dtype);
    this.inputIndices.push(i);
    this.values.set(name, { kind: 'tensor', index: i });
  }

  /** A new tensor with `dims` (element type `dtype`, default f32). */
  tensor(dims: readonly number[], dtype: EngineDType = 'f32'): number {
    this.tensors.push([...dims]);
    this.dtypes.push(dtype);
    return this.tensors.length - 1;
  }

  /** Dims of tensor `i`. */
  dims(i: number): number[] { return this.tensors[i]!; }

  /** Element type of tensor `i`. */
  dtype(i: number): EngineDType { return this.dtypes[i]!; }

  /** Binds a node output name to a tensor. */
  bind(name: string | undefined, index: number): void {
    if (name) this.values.set(name, { kind: 'tensor', index });
  }

  /** Appends an op (its dst's producer recorded); returns its index. */
  emit(op: EngineOp): number {
    const k = this.ops.length;
    this.ops.push(op);
    if ('postOps' in op) this.post.set(k, [...op.postOps]);
    if ('dst' in op) this.producer.set(op.dst, k);
    const reads = op.kind === 'concat' ? op.srcs : 'src' in op ? [op.src] : op.kind === 'matmul' || op.kind === 'binary'
      ? [op.a, op.b].filter((x): x is number => typeof x === 'number') : [];
    for (const r of reads) this.internalReads.set(r, (this.internalReads.get(r) ?? 0) + 1);
    return k;
  }

  /** Producing op index of tensor `t` (undefined for segment inputs). */
  producerOf(t: number): number | undefined { return this.producer.get(t); }

  /** Number of ops reading tensor `t` as a primary operand (src, a, b, srcs). */
  readsOf(t: number): number { return this.internalReads.get(t) ?? 0; }

  /**
   * Drops op `k` (its dst must not be read by any later op: the caller checked); the op list
   * keeps its indices, {@link finishOps} leaves it out.
   */
  removeOp(k: number): void {
    this.removed.add(k);
    const op = this.ops[k]!;
    if ('dst' in op && this.producer.get(op.dst) === k) this.producer.delete(op.dst);
  }

  /** Replaces op `k` (same kind and dst), keeping its post-op list. */
  replaceOp(k: number, op: EngineOp): void { this.ops[k] = op; }

  /** Number of ops emitted so far. */
  opCount(): number { return this.ops.length; }

  /** Op `k`. */
  op(k: number): EngineOp { return this.ops[k]!; }

  /** The ops with their final post-op lists (removed ops left out). */
  finishOps(): EngineOp[] {
    return this.ops.flatMap((op, k) => {
      if (this.removed.has(k)) return [];
      const p = this.post.get(k);
      return [p && 'postOps' in op ? { ...op, postOps: p } as EngineOp : op];
    });
  }

  /** A tensor with `dims` holding `src`'s elements (a reshape op, or `src` itself when dims agree). */
  reshape(src: number, dims: readonly number[]): number {
    if (sameDims(this.dims(src), dims)) return src;
    const dst = this.tensor(dims, this.dtype(src));
    this.emit({ kind: 'reshape', src, dst });
    return dst;
  }

  /** A new tensor `alg(src)`. */
  eltwise(src: number, alg: EltwiseAlg, alpha: number, beta: number): number {
    const dst = this.tensor(this.dims(src));
    this.emit({ kind: 'eltwise', alg, alpha, beta, src, dst });
    return dst;
  }

  /** The tensor index of `v`, declining constants. */
  tensorOf(ctx: { where: string }, v: Val | undefined, what: string): number {
    if (!v) decline(ctx, `${what} is missing`);
    if (v.kind !== 'tensor') decline(ctx, `${what} is a constant; onednn needs a computed tensor here`);
    return v.index;
  }

  /**
   * The op that produced tensor `t` when its post-op list may grow: a conv, matmul or binary whose
   * dst is `t`, and `name` (the value `t` carries) has exactly one reader and is not read outside
   * the segment, and folding is on ({@link fold}); `undefined` otherwise.
   */
  foldTarget(t: number, name: string, kinds: readonly PostOpKind[] = ['conv', 'matmul', 'binary']): number | undefined {
    if (!this.fold) return undefined;
    const k = this.producer.get(t);
    if (k === undefined) return undefined;
    const op = this.ops[k]!;
    if (!(kinds as readonly string[]).includes(op.kind)) return undefined;
    if ((this.uses.get(name) ?? 0) !== 1 || this.segmentOutputs.has(name)) return undefined;
    if ((this.internalReads.get(t) ?? 0) !== 0) return undefined;
    return k;
  }

  /** Whether tensor `t` is available before op `k` runs (a segment input or produced earlier). */
  availableBefore(t: number, k: number): boolean {
    const p = this.producer.get(t);
    return p === undefined ? this.inputIndices.includes(t) : p < k;
  }

  /** Appends a post-op to op `k`. */
  addPostOp(k: number, p: PostOp): void { this.post.get(k)!.push(p); }

  /** Post-ops of op `k` so far. */
  postOpsOf(k: number): readonly PostOp[] { return this.post.get(k) ?? []; }

  /**
   * `a (alg) b` with numpy broadcasting to `outDims`, as oneDNN's binary wants it (src0 with dst's
   * dims, src1 broadcasting over dims of size 1; ranks equalized): operands swapped for commutative
   * algorithms, `b - a` negated and `b / a` inverted otherwise, and a src0 that broadcasts too
   * materialized first (constants expanded here, tensors by adding to zeros).
   * @returns the result tensor
   */
  binary(ctx: { where: string }, alg: BinaryAlg, a: Val, b: Val, outDims: readonly number[]): number {
    if (a.kind === 'const' && b.kind === 'const') decline(ctx, 'binary op of two constants (fold constants first)');
    const r = outDims.length;
    const A = this.equalize(ctx, a, r); const B = this.equalize(ctx, b, r);
    const full = (v: Val): boolean => sameDims(this.valDims(v), outDims);
    const commutative = alg === 'add' || alg === 'mul' || alg === 'max' || alg === 'min';
    const dst = this.tensor(outDims);
    const arg = (v: Val): number | EngineConst => (v.kind === 'tensor' ? v.index : econst(v.data.dims, constData(v.data, ctx.where)));
    if (full(A)) {
      this.emit({ kind: 'binary', alg, a: arg(A), b: arg(B), dst, postOps: [] });
    } else if (full(B)) {
      const post: PostOp[] = commutative ? [] : alg === 'sub'
        ? [{ kind: 'eltwise', alg: 'linear', alpha: -1, beta: 0 }] : [{ kind: 'eltwise', alg: 'pow', alpha: 1, beta: -1 }];
      this.emit({ kind: 'binary', alg, a: arg(B), b: arg(A), dst, postOps: post });
    } else {
      const wide = this.materialize(ctx, A, outDims);
      this.emit({ kind: 'binary', alg, a: arg(wide), b: arg(B), dst, postOps: [] });
    }
    return dst;
  }

  /** Dims of a value. */
  valDims(v: Val): readonly number[] { return v.kind === 'tensor' ? this.dims(v.index) : v.data.dims; }

  /** `v` with rank `r` (a reshape for tensors, padded dims for constants). */
  private equalize(ctx: { where: string }, v: Val, r: number): Val {
    const d = this.valDims(v);
    if (d.length === r) return v;
    if (d.length > r) decline(ctx, 'operand rank exceeds the output rank');
    if (v.kind === 'tensor') return { kind: 'tensor', index: this.reshape(v.index, padDims(d, r)) };
    return { kind: 'const', data: { type: 'float32', dims: padDims(d, r), data: constData(v.data, ctx.where) } };
  }

  /** `v` broadcast to `dims` (same rank). */
  private materialize(ctx: { where: string }, v: Val, dims: readonly number[]): Val {
    if (v.kind === 'const') return { kind: 'const', data: { type: 'float32', dims: [...dims], data: broadcastTo(constData(v.data, ctx.where), v.data.dims, dims) } };
    const dst = this.tensor(dims);
    this.emit({ kind: 'binary', alg: 'add', a: econst(dims, new Float32Array(sizeOf(dims))), b: v.index, dst, postOps: [] });
    return { kind: 'tensor', index: dst };
  }
}

/** Row-major `data` of `from` dims broadcast (numpy, same rank) to `to` dims. */
export function broadcastTo(data: Float32Array, from: readonly number[], to: readonly number[]): Float32Array {
  const out = new Float32Array(sizeOf(to));
  const r = to.length;
  const srcStrides = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) { srcStrides[i] = from[i] === 1 ? 0 : acc; acc *= from[i]!; }
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let s = 0;
    for (let i = 0; i < r; i++) s += idx[i]! * srcStrides[i]!;
    out[o] = data[s]!;
    for (let i = r - 1; i >= 0; i--) { if (++idx[i]! < to[i]!) break; idx[i] = 0; }
  }
  return out;
}
