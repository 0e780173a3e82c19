/**
 * Decompositions of the `optiflow` pattern ops into standard ONNX ops: what the exporter writes
 * where no standard op exists at the model's opset, and the executable definition of each op.
 * Each returns nodes producing the op's output names and may add scalar initializers to the graph.
 * Source: ONNX function bodies of Gelu-20, LayerNormalization-17 and Attention-23.
 * @module
 */
import { dtypeFromOnnx, ONNX_DTYPE_CODE, type DType } from '../ir/dtype.js';
import { OptiflowError } from '../ir/errors.js';
import type { Attribute, Graph, Node } from '../ir/graph.js';
import { float32ArrayToBfloat16, float32ArrayToHalf } from '../ir/float16.js';
import type { TensorData } from '../ir/tensor-data.js';
import { parseProgram, type EwOperand } from './optiflow-patterns-program.js';

/** Hands out value names not yet used in a graph (graph inputs, outputs, initializers, node values). */
export class NameSource {
  private readonly used = new Set<string>();

  /** Collects the names `g` already uses (top level; subgraphs may shadow, never collide). */
  constructor(g: Graph) {
    for (const v of [...g.inputs, ...g.outputs]) this.used.add(v.name);
    for (const k of g.initializers.keys()) this.used.add(k);
    for (const n of g.nodes) for (const x of [...n.inputs, ...n.outputs]) if (x) this.used.add(x);
  }

  /** `base`, or `base_k` for the first free `k`; the name is reserved. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

/** Dtype of value `name` in `g` (initializer, graph input, inferred value), or `undefined`. */
export function dtypeIn(g: Graph, name: string): DType | undefined {
  return g.initializers.get(name)?.type ?? g.valueInfo.get(name)?.dtype ?? g.inputs.find((v) => v.name === name)?.dtype;
}

/** A scalar (dims `[]`) float constant of `dtype`, rounded to that type. */
export function scalarTensor(dtype: DType, v: number): TensorData {
  const one = [v];
  switch (dtype) {
    case 'float64': return { type: dtype, dims: [], data: Float64Array.from(one) };
    case 'float16': return { type: dtype, dims: [], data: float32ArrayToHalf(one) };
    case 'bfloat16': return { type: dtype, dims: [], data: float32ArrayToBfloat16(one) };
    default: return { type: 'float32', dims: [], data: Float32Array.from(one) };
  }
}

/** Builds the nodes of one decomposition with fresh names derived from the decomposed node. */
class Emitter {
  readonly nodes: Node[] = [];
  private readonly names: NameSource;

  constructor(private readonly g: Graph, private readonly base: Node) { this.names = new NameSource(g); }

  /** Adds a node; `out` is its output name (fresh from `base` when not given). */
  op(opType: string, inputs: string[], attrs: [string, Attribute][] = [], out?: string): string {
    const o = out ?? this.names.fresh(`${this.base.outputs[0]}/${opType.toLowerCase()}`);
    this.nodes.push({ name: this.names.fresh(`${this.base.name}/${opType}`), opType, domain: '', inputs, outputs: [o], attributes: new Map(attrs) });
    return o;
  }

  /** Adds an initializer `t` under a fresh name. */
  constant(what: string, t: TensorData): string {
    const name = this.names.fresh(`${this.base.name}/${what}`);
    this.g.initializers.set(name, t);
    return name;
  }
}

const int = (value: number): Attribute => ({ type: 'int', value });
const ints = (value: number[]): Attribute => ({ type: 'ints', value });
const float = (value: number): Attribute => ({ type: 'float', value });
const attrOf = (n: Node, key: string): Attribute | undefined => n.attributes.get(key);

/**
 * `optiflow::Gelu` as Div/Erf/Add/Mul (`approximate='none'`) or Mul/Add/Tanh (`'tanh'`), constants
 * in X's dtype (float32 when unknown). Needs opset 9+ for the erf form (Erf).
 */
export const decomposeGelu = (node: Node, g: Graph): Node[] => {
  const e = new Emitter(g, node);
  const x = node.inputs[0]!;
  const dt = dtypeIn(g, x) ?? 'float32';
  const c = (what: string, v: number) => e.constant(what, scalarTensor(dt, v));
  const a = attrOf(node, 'approximate');
  let inner: string;
  if (a?.type === 'string' && a.value === 'tanh') {
    const cube = e.op('Mul', [e.op('Mul', [x, x]), x]);
    const poly = e.op('Add', [x, e.op('Mul', [cube, c('coef', 0.044715)])]);
    inner = e.op('Tanh', [e.op('Mul', [poly, c('sqrt_2_over_pi', Math.sqrt(2 / Math.PI))])]);
  } else {
    inner = e.op('Erf', [e.op('Div', [x, c('sqrt2', Math.SQRT2)])]);
  }
  const bracket = e.op('Add', [inner, c('one', 1)]);
  e.op('Mul', [e.op('Mul', [x, c('half', 0.5)]), bracket], [], node.outputs[0]);
  return e.nodes;
};

/**
 * `optiflow::LayerNormalization` as ONNX's LayerNormalization-17 function body: X cast to
 * `stash_type` when it differs, ReduceMean/Sub/Mul/ReduceMean/Add/Sqrt/Div over the axes from
 * `axis`, cast back, Mul Scale, Add B; Mean and InvStdDev (Reciprocal of the std) when requested.
 * ReduceMean takes axes as an attribute before opset 18 and as an input from 18.
 * @throws OptiflowError `invalid_model` when `axis` is non-negative and X's rank is unknown.
 */
export const decomposeLayerNormalization = (node: Node, g: Graph, opset: number): Node[] => {
  const e = new Emitter(g, node);
  const [x, scale, bias] = node.inputs as [string, string, string | undefined];
  const ax = attrOf(node, 'axis'); const ep = attrOf(node, 'epsilon'); const st = attrOf(node, 'stash_type');
  const axis = ax?.type === 'int' ? ax.value : -1;
  const eps = ep?.type === 'float' ? ep.value : 1e-5;
  const xt = dtypeIn(g, x) ?? 'float32';
  const stash = dtypeFromOnnx(st?.type === 'int' ? st.value : 1) ?? 'float32';
  let axes: number[];
  if (axis < 0) axes = Array.from({ length: -axis }, (_, i) => axis + i);
  else {
    const rank = g.valueInfo.get(x)?.shape?.length ?? g.inputs.find((v) => v.name === x)?.shape?.length;
    if (rank === undefined) throw new OptiflowError('invalid_model', 'LayerNormalization with a non-negative axis needs the rank of X to decompose', [`node ${node.name}`]);
    axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  }
  const reduce = (v: string, out?: string) => (opset >= 18
    ? e.op('ReduceMean', [v, e.constant('axes', { type: 'int64', dims: [axes.length], data: BigInt64Array.from(axes, BigInt) })], [['keepdims', int(1)]], out)
    : e.op('ReduceMean', [v], [['axes', ints(axes)], ['keepdims', int(1)]], out));
  const xs = xt === stash ? x : e.op('Cast', [x], [['to', int(ONNX_DTYPE_CODE[stash])]]);
  const mean = reduce(xs, node.outputs[1] || undefined);
  const d = e.op('Sub', [xs, mean]);
  const variance = reduce(e.op('Mul', [d, d]));
  const std = e.op('Sqrt', [e.op('Add', [variance, e.constant('epsilon', scalarTensor(stash, eps))])]);
  let normalized = e.op('Div', [d, std]);
  if (xt !== stash) normalized = e.op('Cast', [normalized], [['to', int(ONNX_DTYPE_CODE[xt])]]);
  if (node.outputs[2]) e.op('Reciprocal', [std], [], node.outputs[2]);
  if (bias) e.op('Add', [e.op('Mul', [normalized, scale]), bias], [], node.outputs[0]);
  else e.op('Mul', [normalized, scale], [], node.outputs[0]);
  return e.nodes;
};

/**
 * `optiflow::Attention` (4-D) as Transpose/MatMul/Mul/Add/Softmax/MatMul; a bool mask becomes
 * `Where(mask, 0, -inf)`. Without a `scale` attribute the scale is `1/√D`, a constant when D is
 * known statically, else computed from `Shape(Q)`.
 */
export const decomposeAttention = (node: Node, g: Graph): Node[] => {
  const e = new Emitter(g, node);
  const [q, k, v, mask] = node.inputs as [string, string, string, string | undefined];
  const dt = dtypeIn(g, q) ?? 'float32';
  const sa = attrOf(node, 'scale');
  const d = g.valueInfo.get(q)?.shape?.[3] ?? g.inputs.find((x) => x.name === q)?.shape?.[3];
  let scale: string;
  if (sa?.type === 'float') scale = e.constant('scale', scalarTensor(dt, sa.value));
  else if (typeof d === 'number') scale = e.constant('scale', scalarTensor(dt, 1 / Math.sqrt(d)));
  else {
    const dim = e.op('Gather', [e.op('Shape', [q]), e.constant('head_axis', { type: 'int64', dims: [], data: BigInt64Array.of(3n) })], [['axis', int(0)]]);
    scale = e.op('Reciprocal', [e.op('Sqrt', [e.op('Cast', [dim], [['to', int(ONNX_DTYPE_CODE[dt])]])])]);
  }
  let scores = e.op('Mul', [e.op('MatMul', [q, e.op('Transpose', [k], [['perm', ints([0, 1, 3, 2])]])]), scale]);
  if (mask) {
    const additive = dtypeIn(g, mask) === 'bool'
      ? e.op('Where', [mask, e.constant('zero', scalarTensor(dt, 0)), e.constant('neg_inf', scalarTensor(dt, -Infinity))])
      : mask;
    scores = e.op('Add', [scores, additive]);
  }
  e.op('MatMul', [e.op('Softmax', [scores], [['axis', int(-1)]]), v], [], node.outputs[0]);
  return e.nodes;
};

/**
 * `optiflow::FusedElementwise` as one standard node per program step; literals become float32
 * scalar initializers, Clip bounds inputs (opset 11+) or `min`/`max` attributes (before 11).
 * @throws OptiflowError `invalid_attribute` for a malformed program.
 */
export const decomposeFusedElementwise = (node: Node, g: Graph, opset: number): Node[] => {
  const e = new Emitter(g, node);
  const p = attrOf(node, 'program');
  const steps = parseProgram(p?.type === 'string' ? p.value : '', node.inputs.length, node);
  const temps: string[] = [];
  const lit = (v: number) => e.constant('c', scalarTensor('float32', v));
  const operand = (a: EwOperand) => (a.kind === 'input' ? node.inputs[a.index]! : a.kind === 'temp' ? temps[a.index]! : lit(a.value));
  steps.forEach((s, k) => {
    const out = k === steps.length - 1 ? node.outputs[0] : undefined;
    const val = (a: EwOperand) => (a.kind === 'literal' ? a.value : NaN);
    if (s.op === 'Clip' && opset < 11) {
      temps.push(e.op('Clip', [operand(s.args[0]!)], [['min', float(val(s.args[1]!))], ['max', float(val(s.args[2]!))]], out));
    } else temps.push(e.op(s.op, s.args.map(operand), [], out));
  });
  return e.nodes;
};
