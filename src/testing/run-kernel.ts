/**
 * Test harness shared by the kernel unit tests: tensor builders from plain values, a runner that
 * executes one op the way the executor does (kernel chosen by opType/domain/opset, node built,
 * attributes resolved against the schema, inference, kernel run, each output checked against
 * inference), a runner for whole in-code graphs, and readers of results.
 *
 * The output checks mirror `checkOutput` of `src/runtime/executor.ts`: non-tensor kind, dtype,
 * dims (when inference resolved them) and element count.
 * @module
 */
import { createJsBackend } from '../backends/js/index.js';
import { floatView, fromNumbers } from '../backends/js/util.js';
import type { AnyKernel, KernelCtx, ResolvedOutput, SubgraphRunner } from '../backends/backend.js';
import type { DType, TensorStorage } from '../ir/dtype.js';
import { OptiflowError } from '../ir/errors.js';
import { floatToHalf } from '../ir/float16.js';
import { Graph, type Attribute, type Node } from '../ir/graph.js';
import {
  isTensorValue, sizeOf, type OptionalData, type RuntimeValue, type SequenceData, type TensorData,
} from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { resolveAttrs, type AttrKind, type AttrSpecs, type OpSchema } from '../ops/schema.js';
import { checkOutput, Plan, runtimeInfo } from '../runtime/executor.js';

// ---------------------------------------------------------------------------------------------
// Tensor builders

/** Plain element values accepted by {@link tensor}. */
export type PlainValues = readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];

/**
 * A tensor of `type` with `dims` from storage (used as is) or from plain values converted to the
 * dtype's storage: numbers through `fromNumbers` (floats encoded, float16/bfloat16 rounded to
 * nearest even, integers truncated; int64/uint64 via BigInt), bigints exactly for int64/uint64,
 * booleans as 0/1, strings only for `string`.
 * @throws Error when the values do not fit the dtype or their count differs from the dims' size
 *   (twice the size for complex types).
 */
export function tensor(type: DType, dims: readonly number[], data: TensorStorage | PlainValues): TensorData {
  const want = sizeOf(dims) * (type.startsWith('complex') ? 2 : 1);
  if (data.length !== want) throw new Error(`tensor(${type}, [${dims.join(',')}]): ${data.length} values for ${want} elements`);
  return { type, dims: [...dims], data: Array.isArray(data) ? storageOf(type, data as PlainValues) : data as TensorStorage };
}

function storageOf(type: DType, v: PlainValues): TensorStorage {
  if (type === 'string') {
    if (v.some((x) => typeof x !== 'string')) throw new Error('tensor(string): values must be strings');
    return [...(v as readonly string[])];
  }
  if (v.some((x) => typeof x === 'string')) throw new Error(`tensor(${type}): string values need dtype string`);
  if (v.some((x) => typeof x === 'bigint')) {
    const big = v.map((x) => (typeof x === 'bigint' ? x : BigInt(Number(x))));
    if (type === 'int64') return BigInt64Array.from(big);
    if (type === 'uint64') return BigUint64Array.from(big);
    return fromNumbers(type, big.map(Number));
  }
  return fromNumbers(type, (v as readonly (number | boolean)[]).map(Number));
}

/** A float32 tensor. */
export function f32(dims: readonly number[], values: readonly number[]): TensorData {
  return tensor('float32', dims, Float32Array.from(checked(dims, values)));
}

/** A float64 tensor. */
export function f64(dims: readonly number[], values: readonly number[]): TensorData {
  return tensor('float64', dims, Float64Array.from(checked(dims, values)));
}

/** A float16 tensor: each number rounded to the nearest float16 (ties to even), stored as raw bits. */
export function f16(dims: readonly number[], values: readonly number[]): TensorData {
  return tensor('float16', dims, Uint16Array.from(checked(dims, values), floatToHalf));
}

/** An int32 tensor (numbers truncated toward zero, wrapped as Int32Array does). */
export function i32(dims: readonly number[], values: readonly number[]): TensorData {
  return tensor('int32', dims, Int32Array.from(checked(dims, values)));
}

/** An int64 tensor; pass bigints for values beyond 2^53. @throws RangeError for non-integer numbers. */
export function i64(dims: readonly number[], values: readonly (number | bigint)[]): TensorData {
  return tensor('int64', dims, BigInt64Array.from(checked(dims, values), (v) => BigInt(v)));
}

/** A bool tensor (storage 0/1; any truthy value is 1). */
export function bool(dims: readonly number[], values: readonly (boolean | number)[]): TensorData {
  return tensor('bool', dims, Uint8Array.from(checked(dims, values), (v) => (v ? 1 : 0)));
}

/** A string tensor. */
export function str(dims: readonly number[], values: readonly string[]): TensorData {
  return tensor('string', dims, [...checked(dims, values)]);
}

function checked<T>(dims: readonly number[], values: readonly T[]): readonly T[] {
  if (values.length !== sizeOf(dims)) throw new Error(`${values.length} values for dims [${dims.join(',')}]`);
  return values;
}

/** An ONNX sequence value of tensors (`elemType` defaults to the first item's dtype). */
export function sequence(items: readonly TensorData[], elemType: DType | undefined = items[0]?.type): SequenceData {
  return { kind: 'sequence', elemType, items: [...items] };
}

/** An ONNX optional value; `undefined` makes an empty optional. */
export function optional(value: TensorData | SequenceData | undefined): OptionalData {
  return { kind: 'optional', value };
}

// ---------------------------------------------------------------------------------------------
// Attributes

/**
 * Attribute values a test may pass: a tagged {@link Attribute} (used as is), or a plain value
 * converted using the kind the schema declares for that attribute — number → int, or float when
 * the schema declares float or the number is not an integer; `{ float: n }` → float; string →
 * string; number[] → ints or floats (schema kind, else floats only when a value is fractional);
 * string[] → strings; a {@link TensorData} → tensor; a {@link Graph} → graph.
 */
export type TestAttr = Attribute | number | string | readonly number[] | readonly string[]
  | { readonly float: number } | TensorData | Graph;

/** Tagged attribute builders, for tests that spell the kind out. */
export const A = {
  /** An int attribute. */
  int: (value: number): Attribute => ({ type: 'int', value }),
  /** A float attribute. */
  float: (value: number): Attribute => ({ type: 'float', value }),
  /** A string attribute. */
  string: (value: string): Attribute => ({ type: 'string', value }),
  /** An ints attribute. */
  ints: (value: number[]): Attribute => ({ type: 'ints', value }),
  /** A floats attribute. */
  floats: (value: number[]): Attribute => ({ type: 'floats', value }),
  /** A strings attribute. */
  strings: (value: string[]): Attribute => ({ type: 'strings', value }),
  /** A tensor attribute. */
  tensor: (value: TensorData): Attribute => ({ type: 'tensor', value }),
  /** A graph (subgraph body) attribute. */
  graph: (value: Graph): Attribute => ({ type: 'graph', value }),
};

/**
 * Converts a test attribute value to a tagged {@link Attribute} (see {@link TestAttr}).
 * @param kind the kind the schema declares for this attribute, when it declares it
 */
export function toAttribute(v: TestAttr, kind?: AttrKind): Attribute {
  if (v instanceof Graph) return { type: 'graph', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'number') {
    return kind === 'float' || !Number.isInteger(v) ? { type: 'float', value: v } : { type: 'int', value: v };
  }
  if (isReadonlyArray(v)) {
    if (v.length && v.every((x) => typeof x === 'string')) return { type: 'strings', value: [...v as readonly string[]] };
    const nums = [...v as readonly number[]];
    if (!nums.length && (kind === 'ints' || kind === 'floats' || kind === 'strings')) return { type: kind, value: [] } as Attribute;
    const floats = kind === 'floats' || (kind !== 'ints' && nums.some((x) => !Number.isInteger(x)));
    return floats ? { type: 'floats', value: nums } : { type: 'ints', value: nums };
  }
  if ('dims' in v && 'data' in v) return { type: 'tensor', value: v };
  if ('float' in v) return { type: 'float', value: v.float };
  return v;
}

function isReadonlyArray(v: unknown): v is readonly unknown[] {
  return Array.isArray(v);
}

/** Builds a node (domain `''` unless given); attributes converted by {@link toAttribute}. */
export function makeNode(opType: string, inputs: string[], outputs: string[], attrs: Record<string, TestAttr> = {},
  domain = ''): Node {
  return {
    name: `${opType}_0`, opType, domain, inputs, outputs,
    attributes: new Map(Object.entries(attrs).map(([k, v]) => [k, toAttribute(v)])),
  };
}

// ---------------------------------------------------------------------------------------------
// Running one kernel

/** Options of {@link runKernel}. */
export interface RunOptions {
  /** Opset version of the op's domain; the kernel whose schema covers it is run. */
  readonly opset: number;
  /**
   * Domain of the op (`''` = ai.onnx). Omitted: the one domain the listed kernels of `opType`
   * have; an error when they span several.
   */
  readonly domain?: string;
  /** Number of outputs the node declares (default 1); every one is checked against inference. */
  readonly outputCount?: number;
  /** Runs subgraph attributes (If/Loop/Scan); default {@link jsSubgraphRunner} at this opset. */
  readonly runSubgraph?: SubgraphRunner;
  /**
   * Input indices handed to the kernel's `create` phase as constants (as initializers would be),
   * e.g. `[1, 2]` for Conv weights and bias; default none.
   */
  readonly constantInputs?: readonly number[];
}

/**
 * The kernel of `opType` in `domain` whose schema's `since..until` covers `opset`.
 * @param domain omitted: the single domain the kernels of `opType` use
 * @throws Error when none matches or the domain is ambiguous
 */
export function findKernel(kernels: readonly AnyKernel[], opType: string, opset: number, domain?: string): AnyKernel {
  const named = kernels.filter((k) => k.schema.opType === opType);
  if (!named.length) throw new Error(`no kernel for ${opType} in the given list`);
  const domains = [...new Set(named.map((k) => k.schema.domain))];
  if (domain === undefined && domains.length > 1) {
    throw new Error(`${opType} exists in domains ${domains.map((d) => `'${d}'`).join(', ')}: pass options.domain`);
  }
  const dom = domain ?? domains[0]!;
  const k = named.find((x) => x.schema.domain === dom && x.schema.since <= opset && opset <= x.schema.until);
  if (!k) {
    const ranges = named.filter((x) => x.schema.domain === dom).map((x) => `${x.schema.since}..${x.schema.until}`);
    throw new Error(`no kernel for ${dom || 'ai.onnx'}::${opType} at opset ${opset} (covered: ${ranges.join(', ') || 'none'})`);
  }
  return k;
}

interface Prepared {
  readonly kernel: AnyKernel;
  readonly ctx: KernelCtx<unknown, unknown>;
}

function prepare(kernels: readonly AnyKernel[], opType: string, inputs: readonly (RuntimeValue | undefined)[],
  attrs: Readonly<Record<string, TestAttr>>, options: RunOptions): Prepared {
  const { opset } = options;
  const outputCount = options.outputCount ?? 1;
  const kernel = findKernel(kernels, opType, opset, options.domain);
  const schema: OpSchema<AttrSpecs> = kernel.schema;
  const node: Node = {
    name: `${opType}_0`, opType, domain: schema.domain, inputs: inputs.map((x, i) => (x ? `in${i}` : '')),
    outputs: Array.from({ length: outputCount }, (_, i) => `out${i}`),
    attributes: new Map(Object.entries(attrs).map(([k, v]) => [k, toAttribute(v, schema.attrs[k]?.kind)])),
  };
  const where = [`node ${node.name}`];
  if (inputs.length < schema.inputs[0] || inputs.length > schema.inputs[1]) {
    throw new OptiflowError('invalid_model', `${opType} takes ${schema.inputs[0]}..${schema.inputs[1]} inputs, node has ${inputs.length}`, where);
  }
  if (outputCount < schema.outputs[0] || outputCount > schema.outputs[1]) {
    throw new OptiflowError('invalid_model', `${opType} has ${schema.outputs[0]}..${schema.outputs[1]} outputs, node has ${outputCount}`, where);
  }
  const a = resolveAttrs(schema, node);
  const inferred = schema.infer({ attrs: a, opset, node, outputCount, inputs: inputs.map(runtimeInfo) });
  const outputs: ResolvedOutput[] = inferred.map((o) => ({
    dtype: o.dtype, kind: o.kind,
    shape: o.shape && o.shape.every((d) => typeof d === 'number') ? (o.shape as number[]) : undefined,
  }));
  const runSubgraph = options.runSubgraph ?? jsSubgraphRunner(new Map([[schema.domain, opset]]));
  const constants = inputs.map((x, i) => (options.constantInputs?.includes(i) && x && isTensorValue(x) ? x : undefined));
  const state = kernel.create ? kernel.create({ attrs: a, opset, node, constants }) : undefined;
  return {
    kernel,
    ctx: { attrs: a, opset, inputs: inputs as readonly (TensorData | undefined)[], outputs, node, runSubgraph, state },
  };
}

/**
 * Checks the kernel's results like the executor: one result per declared output, non-tensor kinds
 * matching inference, and for tensors the inferred dtype, the inferred dims where known, and an
 * element count matching the dims.
 * @throws OptiflowError `runtime_error` naming the node and output
 */
function checkOutputs(node: Node, res: readonly RuntimeValue[], outs: readonly ResolvedOutput[]): void {
  node.outputs.forEach((_, k) => {
    const v = res[k];
    if (!v) throw new OptiflowError('runtime_error', `kernel produced no output ${k}`, [`node ${node.name} (${node.opType})`]);
    checkOutput(node, k, v, outs[k]);
  });
}

function tensorsOnly(opType: string, res: readonly RuntimeValue[]): TensorData[] {
  return res.map((r, i) => {
    if (!isTensorValue(r)) throw new Error(`${opType} output ${i} is a ${r.kind}; use runKernelValues`);
    return r;
  });
}

/**
 * Runs op `opType` from `kernels` on `inputs` as the executor runs a node: picks the kernel whose
 * schema covers `options.opset`/`options.domain`, checks input/output counts against the schema,
 * resolves `attrs` (see {@link TestAttr}) with defaults, infers outputs from the concrete inputs,
 * runs the kernel and checks each output against inference.
 * @param inputs positional inputs; `undefined` = omitted optional input; sequences/optionals allowed
 * @returns every output as a tensor
 * @throws Error when no kernel matches or an output is not a tensor; whatever inference or the
 *   kernel throws (OptiflowError for spec violations); OptiflowError `runtime_error` when an
 *   output disagrees with inference, `invalid_model` for input/output counts outside the schema's
 */
export async function runKernel(kernels: readonly AnyKernel[], opType: string, inputs: readonly (RuntimeValue | undefined)[],
  attrs: Readonly<Record<string, TestAttr>>, options: RunOptions): Promise<TensorData[]> {
  return tensorsOnly(opType, await runKernelValues(kernels, opType, inputs, attrs, options));
}

/**
 * {@link runKernel} for ops whose outputs may be sequences or optionals.
 * @returns the outputs as the kernel returned them (after the executor's checks)
 * @throws as {@link runKernel}, except that non-tensor outputs are allowed
 */
export async function runKernelValues(kernels: readonly AnyKernel[], opType: string,
  inputs: readonly (RuntimeValue | undefined)[], attrs: Readonly<Record<string, TestAttr>>,
  options: RunOptions): Promise<RuntimeValue[]> {
  const { kernel, ctx } = prepare(kernels, opType, inputs, attrs, options);
  const res = await kernel.run(ctx as KernelCtx<never, unknown>);
  checkOutputs(ctx.node, res, ctx.outputs);
  return res;
}

/**
 * {@link runKernel} for synchronous kernels, so tests can use `assert.throws`.
 * @throws Error when the kernel returns a Promise; otherwise as {@link runKernel}
 */
export function runKernelSync(kernels: readonly AnyKernel[], opType: string, inputs: readonly (RuntimeValue | undefined)[],
  attrs: Readonly<Record<string, TestAttr>>, options: RunOptions): TensorData[] {
  const { kernel, ctx } = prepare(kernels, opType, inputs, attrs, options);
  const res = kernel.run(ctx as KernelCtx<never, unknown>);
  if (res instanceof Promise) throw new Error(`${opType} kernel is asynchronous: use runKernel`);
  checkOutputs(ctx.node, res, ctx.outputs);
  return tensorsOnly(opType, res);
}

/** A runner bound to one kernel list and default opset: `(opType, inputs, attrs, opset, outputCount)`. */
export type KernelRunner = (opType: string, inputs: readonly (RuntimeValue | undefined)[],
  attrs?: Readonly<Record<string, TestAttr>>, opset?: number, outputCount?: number) => Promise<TensorData[]>;

/**
 * Binds {@link runKernel} to a family's kernel list and default opset (and domain), for tests that
 * run many ops with positional `opset`/`outputCount` overrides.
 */
export function kernelRunner(kernels: readonly AnyKernel[], defaults: Omit<RunOptions, 'outputCount'>): KernelRunner {
  return (opType, inputs, attrs = {}, opset = defaults.opset, outputCount = 1) =>
    runKernel(kernels, opType, inputs, attrs, { ...defaults, opset, outputCount });
}

// ---------------------------------------------------------------------------------------------
// Graphs and subgraphs

const REGISTRY = new OpRegistry(ALL_SCHEMAS);

/**
 * A subgraph runner that executes bodies through the executor on the js backend.
 * @param opsets opsets for bodies that declare none (a body's own `opsets` win when non-empty)
 * @param outer values visible to bodies as outer scope
 */
export function jsSubgraphRunner(opsets: Map<string, number>,
  outer?: ReadonlyMap<string, RuntimeValue>): SubgraphRunner {
  return async (g, feeds) => {
    const os = g.opsets.size ? g.opsets : opsets;
    const plan = await Plan.create(g, [createJsBackend()], checkOps(g, REGISTRY, [], os), os);
    const r = await plan.run(feeds, outer);
    return g.outputs.map((o) => r.get(o.name)!);
  };
}

/**
 * Runs graph `g` (its `opsets` set by the caller) through the executor with the js backend.
 * @returns every graph output by name
 * @throws OptiflowError from checking or running the graph
 */
export async function runGraph(g: Graph, feeds: Readonly<Record<string, RuntimeValue>>): Promise<Map<string, RuntimeValue>> {
  const plan = await Plan.create(g, [createJsBackend()], checkOps(g, REGISTRY), g.opsets);
  return plan.run(new Map(Object.entries(feeds)));
}

// ---------------------------------------------------------------------------------------------
// Reading results

function asTensor(v: RuntimeValue | undefined): TensorData {
  if (!v) throw new Error('no value');
  if (!isTensorValue(v)) throw new Error(`expected a tensor, got a ${v.kind}`);
  return v;
}

/** Elements of a tensor as stored: bigints as numbers, strings as is, float16 as raw bits; `-0` kept. */
export function values(t: RuntimeValue | undefined): (number | string)[] {
  return Array.from(asTensor(t).data as ArrayLike<number | bigint | string>, (v) => (typeof v === 'bigint' ? Number(v) : v));
}

/**
 * Elements of a non-string tensor as numbers (bigints converted, float16 as raw bits); `-0` kept.
 * @throws Error for string tensors
 */
export function numbers(t: RuntimeValue | undefined): number[] {
  const x = asTensor(t);
  if (x.type === 'string') throw new Error('numbers(): string tensor');
  return Array.from(x.data as ArrayLike<number | bigint>, Number);
}

/**
 * Elements of a float tensor as numbers, float16/bfloat16 decoded.
 * @throws Error for non-float tensors
 */
export function floats(t: RuntimeValue | undefined): number[] {
  return Array.from(floatView(asTensor(t)));
}

/** Dims of a tensor value. */
export function dimsOf(t: RuntimeValue | undefined): number[] {
  return [...asTensor(t).dims];
}

/**
 * Asserts element-wise closeness: `|got - want| <= tol · max(1, |want|)`, equal values (also
 * infinities) and NaN against NaN pass.
 * @throws Error naming the first differing element (or the length mismatch)
 */
export function near(got: readonly (number | string)[], want: readonly number[], tol = 1e-6): void {
  if (got.length !== want.length) throw new Error(`length ${got.length}, expected ${want.length}`);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (typeof g !== 'number') throw new Error(`element ${i}: got ${String(g)}, expected ${w}`);
    if (g === w || (Number.isNaN(g) && Number.isNaN(w))) return;
    if (!(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)))) {
      throw new Error(`element ${i}: got ${g}, expected ${w}\n got ${got.join(', ')}`);
    }
  });
}
