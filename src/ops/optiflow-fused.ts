/**
 * Fused ops of the `optiflow` domain (opset 1) that graph passes make from a Conv, Gemm or MatMul
 * followed by a bias, a residual and an activation, and their decompositions into standard ONNX.
 *
 * Every op shares `activation` (string, `''` = none; one of {@link FUSED_ACTIVATIONS}) and
 * `activation_params` (floats: Clip `[min, max]`, LeakyRelu `[alpha]`, HardSigmoid `[alpha, beta]`,
 * Gelu `[approximate]` with 0 = erf and 1 = tanh form; empty = the standard op's defaults).
 *
 * - `FusedConv(X, W, B?, Z?)`: `Y = act(Conv(X, W, B) + Z)`; Z (optional) has Y's shape.
 * - `FusedGemm(A, B, C?)`: `Y = act(Gemm(A, B, C))` with Gemm's alpha, beta, transA, transB.
 * - `FusedMatMul(A, B, bias?)`: `Y = act(MatMul(A, B) + bias)`, bias 1-D of Y's last dim.
 *
 * Source: ONNX operator spec (Conv, Gemm, MatMul); onnxruntime's `com.microsoft` FusedConv,
 * FusedGemm and FusedMatMul contrib ops (the same idea).
 * @module
 */
import { FLOAT_TYPES, type DType } from '../ir/dtype.js';
import type { Attribute, Dim, Graph, Node } from '../ir/graph.js';
import { Conv } from './nn-conv.js';
import { Gemm, MatMul } from './nn-gemm.js';
import {
  activationOfNode, emitActivation, FUSED_ACTIVATION_ATTRS, NodeEmitter, resolveActivation, type FusedActivation,
} from './optiflow-fused-activation.js';
import type { Decomposition } from './optiflow.js';
import { attr, defineOp, type AttrSpecs, type OpSchema } from './schema.js';
import { checkDType, checkSameDType, fail } from './shape-utils.js';

export { FUSED_ACTIVATIONS, type FusedActivation, type FusedActivationKind } from './optiflow-fused-activation.js';

/** Equals `OPTIFLOW_DOMAIN` of `./optiflow.ts` (not imported: that module imports this one). */
const DOMAIN = 'optiflow';

/** Conv's window attributes, as ONNX Conv declares them. */
const CONV_ATTRS = {
  auto_pad: attr.string('NOTSET'), dilations: attr.ints(), group: attr.int(1),
  kernel_shape: attr.ints(), pads: attr.ints(), strides: attr.ints(),
};
/** Gemm's attributes (without the opset < 7 `broadcast`: C always broadcasts here). */
const GEMM_ATTRS = { alpha: attr.float(1), beta: attr.float(1), transA: attr.int(0), transB: attr.int(0) };

/** The names of the attributes each fused op takes over from its standard op. */
export const FUSED_BASE_ATTRS: Readonly<Record<'FusedConv' | 'FusedGemm' | 'FusedMatMul', readonly string[]>> = {
  FusedConv: Object.keys(CONV_ATTRS), FusedGemm: Object.keys(GEMM_ATTRS), FusedMatMul: [],
};

/**
 * Whether static shapes `a` and `b` may be equal at run time; `false` only when the ranks or two
 * fixed dims differ (symbols of different names may still bind to one size).
 */
function mayEqual(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i] || typeof d !== 'number' || typeof b[i] !== 'number');
}

/**
 * optiflow::FusedConv: X `[N, C, d1..dr]`, W `[M, C/group, k1..kr]`, optional B `[M]`, optional
 * residual Z `[N, M, o1..or]` (Y's shape, no broadcasting); `Y = act(Conv(X, W, B) + Z)`. Float
 * types only. Shape inference is Conv's; when Conv's output shape is unknown Z's is used.
 * @throws OptiflowError as Conv, plus `shape_mismatch` when Z's shape differs from Y's,
 *   `dtype_mismatch` when Z's dtype differs from X's, `invalid_attribute` for a bad activation.
 */
export const FusedConv = defineOp({
  opType: 'FusedConv', domain: DOMAIN, inputs: [2, 4], outputs: [1, 1],
  attrs: { ...CONV_ATTRS, ...FUSED_ACTIVATION_ATTRS },
  infer: (ctx) => {
    resolveActivation(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params);
    checkSameDType(ctx, [0, 1, 2, 3]);
    const [y] = Conv.infer({ ...ctx, inputs: ctx.inputs.slice(0, 3), outputCount: 1 });
    const zs = ctx.inputs[3]?.shape;
    if (zs && y!.shape && !mayEqual(zs, y!.shape)) {
      fail(ctx.node, 'shape_mismatch', `residual Z [${zs.join(',')}] must have the output's shape [${y!.shape.join(',')}]`);
    }
    return [{ dtype: y!.dtype, shape: y!.shape ?? zs }];
  },
});

/**
 * optiflow::FusedGemm: `Y = act(alpha · A' · B' + beta · C)` with Gemm's semantics (A' = Aᵀ when
 * transA, B' likewise; C optional and unidirectionally broadcast to [M, N]). Float types only.
 * @throws OptiflowError as Gemm, plus `dtype_mismatch` for non-float inputs, `invalid_attribute`
 *   for a bad activation.
 */
export const FusedGemm = defineOp({
  opType: 'FusedGemm', domain: DOMAIN, inputs: [2, 3], outputs: [1, 1],
  attrs: { ...GEMM_ATTRS, ...FUSED_ACTIVATION_ATTRS },
  infer: (ctx) => {
    resolveActivation(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params);
    checkDType(ctx, 0, FLOAT_TYPES);
    // Gemm's inference at an opset where C is optional.
    return Gemm.infer({ ...ctx, opset: 13, attrs: { ...ctx.attrs, broadcast: 0 } });
  },
});

/**
 * optiflow::FusedMatMul: `Y = act(MatMul(A, B) + bias)` with numpy matmul batching (as ONNX
 * MatMul); optional bias 1-D of length equal to Y's last dim, added along the last axis. Float
 * types only.
 * @throws OptiflowError as MatMul, plus `shape_mismatch` for a bias that is not 1-D of Y's last
 *   dim (or a scalar Y), `dtype_mismatch`, `invalid_attribute` for a bad activation.
 */
export const FusedMatMul = defineOp({
  opType: 'FusedMatMul', domain: DOMAIN, inputs: [2, 3], outputs: [1, 1],
  attrs: { ...FUSED_ACTIVATION_ATTRS },
  infer: (ctx) => {
    resolveActivation(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params);
    checkDType(ctx, 0, FLOAT_TYPES);
    checkSameDType(ctx, [0, 1, 2]);
    const [y] = MatMul.infer({ ...ctx, attrs: {}, inputs: ctx.inputs.slice(0, 2) });
    const bs = ctx.inputs[2]?.shape;
    if (bs && y!.shape) {
      const n = y!.shape[y!.shape.length - 1];
      if (n === undefined || bs.length !== 1 || (typeof bs[0] === 'number' && typeof n === 'number' && bs[0] !== n)) {
        fail(ctx.node, 'shape_mismatch', `bias [${bs.join(',')}] must be 1-D of the output's last dim (output [${y!.shape.join(',')}])`);
      }
    }
    return [y!];
  },
});

/** The fused schemas, for the optiflow domain's list. */
export const FUSED_SCHEMAS: readonly OpSchema<AttrSpecs>[] = [FusedConv, FusedGemm, FusedMatMul] as unknown as OpSchema<AttrSpecs>[];

// ---------------------------------------------------------------------------------------------
// Decompositions

/** The element type of `node`'s output as far as `g` knows it (float32 when unknown). */
function dtypeOf(g: Graph, node: Node): DType {
  for (const name of [node.outputs[0], node.inputs[0]]) {
    if (!name) continue;
    const t = g.valueInfo.get(name)?.dtype ?? g.initializers.get(name)?.type ?? g.inputs.find((v) => v.name === name)?.dtype;
    if (t) return t;
  }
  return 'float32';
}

function copyAttrs(node: Node, names: readonly string[]): [string, Attribute][] {
  return names.flatMap((k) => { const a = node.attributes.get(k); return a ? [[k, a] as [string, Attribute]] : []; });
}

/**
 * Shared tail: emits `core` (writing `pre`), then an optional residual/bias Add, then the
 * activation, the last node writing the fused node's output.
 */
function decompose(node: Node, g: Graph, opset: number, what: string,
  core: (e: NodeEmitter, out: string) => void, addend: string | undefined, addendBroadcasts: boolean): Node[] {
  const act: FusedActivation = activationOfNode(node);
  const e = new NodeEmitter(g, node, opset, dtypeOf(g, node));
  const y = node.outputs[0]!;
  const afterAdd = act.kind ? e.value('pre_activation') : y;
  const coreOut = addend ? e.value(what) : afterAdd;
  core(e, coreOut);
  if (addend) e.binary('Add', coreOut, addend, afterAdd, addendBroadcasts);
  if (act.kind) emitActivation(e, act, afterAdd, y);
  return e.nodes;
}

/** FusedConv → Conv, Add (when Z is given), activation. */
const decomposeFusedConv: Decomposition = (node, g, opset) => {
  const [x, w, b, z] = node.inputs;
  const convIn = b ? [x!, w!, b] : [x!, w!];
  return decompose(node, g, opset, 'conv',
    (e, out) => e.node('Conv', convIn, out, copyAttrs(node, FUSED_BASE_ATTRS.FusedConv)), z || undefined, false);
};

/** FusedGemm → Gemm (a zero C is supplied below opset 11 where C is required), activation. */
const decomposeFusedGemm: Decomposition = (node, g, opset) => {
  const [a, b, c] = node.inputs;
  return decompose(node, g, opset, 'gemm', (e, out) => {
    const attrs = copyAttrs(node, FUSED_BASE_ATTRS.FusedGemm);
    const cIn = c || (opset < 11 ? e.constant('zero_c', 0) : '');
    if (opset < 7 && cIn) attrs.push(['broadcast', { type: 'int', value: 1 }]);
    e.node('Gemm', cIn ? [a!, b!, cIn] : [a!, b!], out, attrs);
  }, undefined, false);
};

/** FusedMatMul → MatMul, Add (when bias is given), activation. */
const decomposeFusedMatMul: Decomposition = (node, g, opset) => {
  const [a, b, bias] = node.inputs;
  return decompose(node, g, opset, 'matmul', (e, out) => e.node('MatMul', [a!, b!], out), bias || undefined, true);
};

/** Decomposition of each fused op type. */
export const FUSED_DECOMPOSITIONS: ReadonlyMap<string, Decomposition> = new Map([
  ['FusedConv', decomposeFusedConv], ['FusedGemm', decomposeFusedGemm], ['FusedMatMul', decomposeFusedMatMul],
]);
