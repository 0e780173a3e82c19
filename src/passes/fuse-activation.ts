/**
 * Activation fusion (extended level): folds an activation, a residual Add or a bias Add into the
 * Conv, Gemm or MatMul producing its input, as the `optiflow` fused ops.
 *
 * - Conv → activation → FusedConv; Conv → Add(residual of the same shape, not constant) →
 *   optional activation → FusedConv with Z (ResNet's Conv → BN → Add → Relu once BN is folded);
 *   FusedConv without activation → activation → FusedConv with the activation.
 * - Gemm → activation → FusedGemm; MatMul → activation → FusedMatMul; MatMul → Add(constant bias
 *   `[N]` or `[1.., N]`) → optional activation → FusedMatMul with bias, or for 2-D operands a
 *   standard Gemm with C (no activation) / FusedGemm (with one).
 *
 * Activations: Relu, Clip with constant bounds, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh,
 * Gelu (the opset-20 op, and `optiflow::Gelu` that fuse-patterns makes from the formula). Rules sit on the LAST node of a chain and return the fused node as its
 * replacement; the consumed producers lose their only reader and dead-code elimination drops them.
 * Nothing fires unless every consumed intermediate has one reader and is no graph output, the
 * values are float32, and the capability oracle accepts the fused node in place of the anchor.
 * An Add whose only reader is an activation that will absorb it is left to that activation's rule.
 *
 * Source: onnxruntime `conv_activation_fusion.cc`, `conv_add_act_fusion.cc`,
 * `gemm_activation_fusion.cc`, `matmul_add_fusion.cc` (the same patterns).
 * @module
 */
import type { Node } from '../ir/graph.js';
import { activationAttributes, type FusedActivation } from '../ops/optiflow-fused-activation.js';
import { OPTIFLOW_DOMAIN, useOptiflowDomain } from '../ops/optiflow.js';
import {
  ACTIVATION_OPS, activationOf, isFloat32, matchAdd, matchBase, producerOf, soleReader, type FusionBase,
} from './fuse-activation-match.js';
import type { RewriteCtx, RewriteRule } from './pass-manager.js';

const NONE: FusedActivation = { kind: '', params: [] };

/**
 * Builds the fused node for `base` + `act` writing `output`, and asks the oracle.
 * @returns the node, or `undefined` when the oracle rejects it (the graph is left as it was)
 */
function finish(ctx: RewriteCtx, base: FusionBase, act: FusedActivation, output: string): Node | undefined {
  const standard = base.opType === 'Gemm' && act.kind === '';
  const opType = base.opType === 'Gemm' ? (standard ? 'Gemm' : 'FusedGemm') : base.opType;
  const a = base.anchor;
  const inputs = [...base.inputs];
  while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
  const node: Node = {
    name: a.domain === OPTIFLOW_DOMAIN ? a.name : `${a.name}_${standard ? 'gemm' : 'fused'}`,
    opType, domain: standard ? '' : OPTIFLOW_DOMAIN, inputs, outputs: [output],
    attributes: new Map([...base.attrs, ...activationAttributes(act)]),
  };
  const g = ctx.graph;
  const hadDomain = g.opsets.has(OPTIFLOW_DOMAIN);
  // The oracle looks the fused op up at the graph's optiflow opset, so import it first.
  if (!standard) useOptiflowDomain(g);
  if (ctx.canReplace(node, a)) return node;
  if (!hadDomain) g.opsets.delete(OPTIFLOW_DOMAIN);
  return undefined;
}

/** The fused node replacing activation `node`, or `undefined` when the chain does not fuse. */
function fuseActivation(node: Node, ctx: RewriteCtx): Node | undefined {
  const act = activationOf(ctx, node);
  const y = node.outputs[0];
  const x = node.inputs[0];
  if (!act || !x || !y || node.outputs.length !== 1 || !isFloat32(ctx, y)) return undefined;
  let base = matchBase(ctx, x);
  if (!base) {
    const add = producerOf(ctx, x);
    if (!add || add.opType !== 'Add' || !soleReader(ctx, x)) return undefined;
    base = matchAdd(ctx, add);
  }
  return base ? finish(ctx, base, act, y) : undefined;
}

const activationRules: RewriteRule[] = [...ACTIVATION_OPS.map((opType) => ({ opType, domain: '' })), { opType: 'Gelu', domain: OPTIFLOW_DOMAIN }]
  .map(({ opType, domain }) => ({
    opType, domain, name: `fuse-${domain ? `${domain}-` : ''}${opType}-into-producer`,
    apply: (node: Node, ctx: RewriteCtx) => {
      const fused = fuseActivation(node, ctx);
      return fused ? { replace: [fused] } : undefined;
    },
  }));

const addRule: RewriteRule = {
  opType: 'Add', name: 'fuse-residual-or-bias-add',
  apply: (node, ctx) => {
    const base = matchAdd(ctx, node);
    if (!base) return undefined;
    // Leave the chain to the activation that reads this Add when it will absorb it whole.
    const next = soleReader(ctx, node.outputs[0]!);
    if (next && activationOf(ctx, next) && fuseActivation(next, ctx)) return undefined;
    const fused = finish(ctx, base, NONE, node.outputs[0]!);
    return fused ? { replace: [fused] } : undefined;
  },
};

/**
 * The activation-fusion rules, for `ruleSetPass('fuse-activation', ...)`: one rule per standard
 * activation op type (Relu, Clip, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Gelu), one for
 * `optiflow::Gelu`, and one for Add (residual into Conv, bias into MatMul / MatMul + Add → Gemm).
 */
export const ACTIVATION_FUSION_RULES: readonly RewriteRule[] = [...activationRules, addRule];
