/**
 * The activation epilogue shared by the fused ops of the `optiflow` domain (FusedConv, FusedGemm,
 * FusedMatMul): the `activation` / `activation_params` attributes, their validation, and the
 * standard ONNX nodes an activation decomposes into at a given ai.onnx opset.
 *
 * Source: ONNX operator spec (docs/Operators.md: Relu, Clip, Sigmoid, HardSigmoid, HardSwish,
 * LeakyRelu, Tanh, Gelu); GELU formulas from Hendrycks & Gimpel, arXiv:1606.08415.
 * @module
 */
import type { DType } from '../ir/dtype.js';
import { OptiflowError } from '../ir/errors.js';
import { floatToBfloat16, floatToHalf } from '../ir/float16.js';
import type { Attribute, Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { attr } from './schema.js';
import { fail } from './shape-utils.js';

/** Activations a fused op can apply to its result, by their ONNX op names. */
export const FUSED_ACTIVATIONS = ['Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Tanh', 'Gelu'] as const;

/** One of {@link FUSED_ACTIVATIONS}. */
export type FusedActivationKind = (typeof FUSED_ACTIVATIONS)[number];

/**
 * A validated activation with every parameter present: Clip `[min, max]`, LeakyRelu `[alpha]`,
 * HardSigmoid `[alpha, beta]`, Gelu `[approximate]` (0 = erf form, 1 = tanh form), others `[]`.
 * `kind` is `''` for none.
 */
export interface FusedActivation {
  readonly kind: FusedActivationKind | '';
  readonly params: readonly number[];
}

/**
 * Parameter defaults used when `activation_params` is empty: the defaults of the standard ops
 * (Clip without bounds, LeakyRelu alpha 0.01, HardSigmoid 0.2/0.5, Gelu erf form).
 */
const DEFAULT_PARAMS: Readonly<Record<FusedActivationKind, readonly number[]>> = {
  Relu: [], Sigmoid: [], Tanh: [], HardSwish: [],
  Clip: [-Infinity, Infinity], LeakyRelu: [0.01], HardSigmoid: [0.2, 0.5], Gelu: [0],
};

/** The attributes every fused op shares: `activation` ('' = none) and `activation_params`. */
export const FUSED_ACTIVATION_ATTRS = {
  activation: attr.string(''),
  activation_params: attr.floats([]),
};

/**
 * Validates a fused op's activation attributes. `params` may be empty (the standard op's defaults
 * apply, see {@link FusedActivation}) or must have the activation's exact count.
 * @returns the activation with every parameter filled in
 * @throws OptiflowError `invalid_attribute` naming the node: unknown activation, wrong parameter
 *   count, params given without an activation, Gelu approximate not 0 or 1.
 */
export function resolveActivation(node: Node, activation: string, params: readonly number[]): FusedActivation {
  if (activation === '') {
    if (params.length) fail(node, 'invalid_attribute', `activation_params [${params.join(',')}] given without an activation`);
    return { kind: '', params: [] };
  }
  if (!(FUSED_ACTIVATIONS as readonly string[]).includes(activation)) {
    fail(node, 'invalid_attribute', `activation '${activation}' is not one of ${FUSED_ACTIVATIONS.join(', ')}`);
  }
  const kind = activation as FusedActivationKind;
  const def = DEFAULT_PARAMS[kind];
  if (params.length !== 0 && params.length !== def.length) {
    fail(node, 'invalid_attribute', `activation ${kind} takes ${def.length} activation_params, got ${params.length}`);
  }
  const full = params.length ? [...params] : [...def];
  if (kind === 'Gelu' && full[0] !== 0 && full[0] !== 1) {
    fail(node, 'invalid_attribute', `Gelu activation_params [approximate] must be 0 (erf) or 1 (tanh), got ${full[0]}`);
  }
  return { kind, params: full };
}

/** The activation of a fused node, validated (see {@link resolveActivation}). */
export function activationOfNode(node: Node): FusedActivation {
  const a = node.attributes.get('activation');
  const p = node.attributes.get('activation_params');
  const name = a?.type === 'string' ? a.value : '';
  const params = p?.type === 'floats' || p?.type === 'ints' ? p.value : p?.type === 'float' ? [p.value] : [];
  return resolveActivation(node, name, params);
}

/** The two shared attributes for a node that applies `act` (nothing for no activation). */
export function activationAttributes(act: FusedActivation): [string, Attribute][] {
  if (act.kind === '') return [];
  const out: [string, Attribute][] = [['activation', { type: 'string', value: act.kind }]];
  if (act.params.length) out.push(['activation_params', { type: 'floats', value: [...act.params] }]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decomposition helpers

/**
 * A name not yet used in `g` (node inputs/outputs, graph inputs/outputs, initializers, value
 * infos) nor in `taken`: `base` itself, else `base_1`, `base_2`...
 */
export function freshName(g: Graph, base: string, taken: ReadonlySet<string> = new Set()): string {
  const used = new Set<string>([...g.initializers.keys(), ...g.valueInfo.keys(), ...taken]);
  for (const v of [...g.inputs, ...g.outputs]) used.add(v.name);
  for (const n of g.nodes) { for (const i of n.inputs) used.add(i); for (const o of n.outputs) used.add(o); }
  if (!used.has(base)) return base;
  let k = 1;
  while (used.has(`${base}_${k}`)) k++;
  return `${base}_${k}`;
}

/** A scalar (dims `[]`) constant of float `dtype`. */
export function floatScalar(dtype: DType, v: number): TensorData {
  switch (dtype) {
    case 'float64': return { type: dtype, dims: [], data: Float64Array.of(v) };
    case 'float16': return { type: dtype, dims: [], data: Uint16Array.of(floatToHalf(v)) };
    case 'bfloat16': return { type: dtype, dims: [], data: Uint16Array.of(floatToBfloat16(v)) };
    default: return { type: 'float32', dims: [], data: Float32Array.of(v) };
  }
}

/**
 * Emits standard ONNX nodes into a list, naming intermediates `<node>/<what>` (made fresh in the
 * graph) and adding constants as scalar initializers. Binary ops with a constant operand get
 * `broadcast = 1` below opset 7 (the legacy broadcast rule).
 */
export class NodeEmitter {
  /** The nodes emitted so far, in execution order. */
  readonly nodes: Node[] = [];
  private count = 0;
  /** Names handed out by this emitter (its nodes are not in the graph yet). */
  private readonly taken = new Set<string>();

  /**
   * @param g the graph receiving the constants
   * @param owner the node being decomposed (its name prefixes every new name)
   * @param opset the ai.onnx opset the nodes must be valid at
   * @param dtype the element type of the constants
   */
  constructor(readonly g: Graph, readonly owner: Node, readonly opset: number, readonly dtype: DType) {}

  /** A fresh intermediate value name `<owner>/<what>`. */
  value(what: string): string {
    const name = freshName(this.g, `${this.owner.name}/${what}`, this.taken);
    this.taken.add(name);
    return name;
  }

  /** Adds a scalar constant initializer of the emitter's dtype; returns its name. */
  constant(what: string, v: number): string {
    const name = this.value(what);
    this.g.initializers.set(name, floatScalar(this.dtype, v));
    return name;
  }

  /** Appends one ai.onnx node; returns its (first) output name. */
  node(opType: string, inputs: string[], output: string, attrs: [string, Attribute][] = []): string {
    this.nodes.push({
      name: `${this.owner.name}/${opType}_${this.count++}`, opType, domain: '', inputs, outputs: [output],
      attributes: new Map(attrs),
    });
    return output;
  }

  /** A binary op `a op b` where `b` may need legacy broadcasting below opset 7. */
  binary(opType: 'Add' | 'Mul' | 'Div', a: string, b: string, output: string, broadcast: boolean): string {
    return this.node(opType, [a, b], output, broadcast && this.opset < 7 ? [['broadcast', { type: 'int', value: 1 }]] : []);
  }
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Emits nodes computing `y = act(x)` with standard ONNX ops valid at `e.opset`:
 * Clip bounds as inputs from opset 11 (attributes before; infinite bounds omitted), HardSwish from
 * opset 14 (before: `x * HardSigmoid(x; 1/6, 1/2)`), Gelu from opset 20 (before: the erf form
 * `0.5·x·(1 + erf(x/√2))` — needs Erf, opset 9 — or the tanh form
 * `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`).
 * @throws OptiflowError `opset_out_of_range` for the Gelu erf form below opset 9.
 */
export function emitActivation(e: NodeEmitter, act: FusedActivation, x: string, y: string): void {
  const p = act.params;
  const f = (name: string, value: number): [string, Attribute] => [name, { type: 'float', value }];
  switch (act.kind) {
    case '': throw new Error('emitActivation: no activation');
    case 'Relu': case 'Sigmoid': case 'Tanh':
      e.node(act.kind, [x], y);
      return;
    case 'LeakyRelu':
      e.node('LeakyRelu', [x], y, [f('alpha', p[0]!)]);
      return;
    case 'HardSigmoid':
      e.node('HardSigmoid', [x], y, [f('alpha', p[0]!), f('beta', p[1]!)]);
      return;
    case 'Clip': {
      const [lo, hi] = [p[0]!, p[1]!];
      if (e.opset >= 11) {
        const ins = [x, Number.isFinite(lo) ? e.constant('clip_min', lo) : '', Number.isFinite(hi) ? e.constant('clip_max', hi) : ''];
        while (ins[ins.length - 1] === '') ins.pop();
        e.node('Clip', ins, y);
      } else {
        e.node('Clip', [x], y, [f('min', lo), f('max', hi)]);
      }
      return;
    }
    case 'HardSwish':
      if (e.opset >= 14) { e.node('HardSwish', [x], y); return; }
      e.binary('Mul', x, e.node('HardSigmoid', [x], e.value('hard_sigmoid'), [f('alpha', 1 / 6), f('beta', 0.5)]), y, false);
      return;
    case 'Gelu': {
      const tanh = p[0] === 1;
      if (e.opset >= 20) {
        e.node('Gelu', [x], y, [['approximate', { type: 'string', value: tanh ? 'tanh' : 'none' }]]);
        return;
      }
      let inner: string;
      if (tanh) {
        const x2 = e.binary('Mul', x, x, e.value('x2'), false);
        const x3 = e.binary('Mul', x2, x, e.value('x3'), false);
        const cx3 = e.binary('Mul', x3, e.constant('gelu_c', 0.044715), e.value('cx3'), true);
        const s = e.binary('Add', x, cx3, e.value('inner_sum'), false);
        const t = e.binary('Mul', s, e.constant('sqrt_2_over_pi', SQRT_2_OVER_PI), e.value('tanh_in'), true);
        inner = e.node('Tanh', [t], e.value('tanh'));
      } else {
        if (e.opset < 9) {
          throw new OptiflowError('opset_out_of_range', `Gelu (erf form) needs Erf, which exists from opset 9; the graph uses opset ${e.opset}`,
            [`node ${e.owner.name} (${e.owner.opType})`]);
        }
        const d = e.binary('Div', x, e.constant('sqrt2', Math.SQRT2), e.value('erf_in'), true);
        inner = e.node('Erf', [d], e.value('erf'));
      }
      const one = e.binary('Add', inner, e.constant('one', 1), e.value('one_plus'), true);
      const xm = e.binary('Mul', x, one, e.value('x_times'), false);
      e.binary('Mul', xm, e.constant('half', 0.5), y, true);
      return;
    }
  }
}
