/**
 * Layout ops of the `optiflow` domain (opset 1) that the layout pass (`src/passes/layout.ts`)
 * creates for Conv regions a backend runs channels-last, and their decompositions into standard
 * ONNX.
 *
 * - `NhwcConv(X, W, B?, Z?)`: FusedConv with channels-last activations. X `[N, H, W, C]` (NHWC),
 *   W `[M, C/group, kH, kW]` (ONNX's OIHW, unchanged), optional B `[M]`, optional residual Z
 *   `[N, oH, oW, M]` (NHWC, Y's shape); `Y = act(Conv(X, W, B) + Z)` with Y `[N, oH, oW, M]`
 *   (NHWC). Attributes: Conv's (`auto_pad`, `dilations`, `group`, `kernel_shape`, `pads`,
 *   `strides`, all over the spatial axes H, W as in Conv) plus `activation`/`activation_params`
 *   (see `optiflow-fused.ts`). 2-D convolutions only (rank-4 X).
 *
 * Source: ONNX operator spec (Conv, Transpose); onnxruntime's `com.microsoft` NhwcConv contrib op
 * (the same idea: Conv on NHWC activations with OIHW weights).
 * @module
 */
import type { DType } from '../ir/dtype.js';
import type { Dim, Graph, Node } from '../ir/graph.js';
import { NodeEmitter } from './optiflow-fused-activation.js';
import { FUSED_DECOMPOSITIONS, FusedConv } from './optiflow-fused.js';
import type { Decomposition } from './optiflow.js';
import { defineOp, type AttrSpecs, type InputInfo, type OpSchema } from './schema.js';
import { fail } from './shape-utils.js';

/** Equals `OPTIFLOW_DOMAIN` of `./optiflow.ts` (not imported: that module imports this one). */
const DOMAIN = 'optiflow';

/** Transpose `perm` taking an NCHW tensor to NHWC. */
export const TO_NHWC: readonly number[] = [0, 2, 3, 1];
/** Transpose `perm` taking an NHWC tensor to NCHW. */
export const TO_NCHW: readonly number[] = [0, 3, 1, 2];

/** `shape` permuted by `perm` (`out[i] = shape[perm[i]]`). */
export function permuteShape<T>(shape: readonly T[], perm: readonly number[]): T[] {
  return perm.map((p) => shape[p]!);
}

/**
 * The NCHW view of an NHWC input info (value dropped: inference only needs dtype and shape).
 * @throws OptiflowError `shape_mismatch` when the rank is known and not 4.
 */
function toNchwInfo(node: Node, what: string, x: InputInfo | undefined): InputInfo | undefined {
  if (!x) return undefined;
  if (x.shape && x.shape.length !== 4) {
    fail(node, 'shape_mismatch', `NhwcConv ${what} must be 4-D [N, H, W, C], got [${x.shape.join(',')}]`);
  }
  return { dtype: x.dtype, shape: x.shape ? permuteShape(x.shape, TO_NCHW) : undefined };
}

/**
 * optiflow::NhwcConv: see the module comment. Float types; shape inference is FusedConv's on the
 * NCHW views of X and Z, the result permuted back to NHWC.
 * @throws OptiflowError as FusedConv, plus `shape_mismatch` for an X or Z that is not 4-D.
 */
export const NhwcConv = defineOp({
  opType: 'NhwcConv', domain: DOMAIN, inputs: [2, 4], outputs: [1, 1],
  attrs: FusedConv.attrs,
  infer: (ctx) => {
    const inputs = [toNchwInfo(ctx.node, 'X', ctx.inputs[0]), ctx.inputs[1], ctx.inputs[2], toNchwInfo(ctx.node, 'Z', ctx.inputs[3])];
    const [y] = FusedConv.infer({ ...ctx, inputs });
    const shape: Dim[] | undefined = y!.shape ? permuteShape(y!.shape, TO_NHWC) : undefined;
    return [{ dtype: y!.dtype, shape }];
  },
});

/** The layout schemas, for the optiflow domain's list. */
export const LAYOUT_SCHEMAS: readonly OpSchema<AttrSpecs>[] = [NhwcConv] as unknown as OpSchema<AttrSpecs>[];

/** The element type of `name` as far as `g` knows it. */
function dtypeIn(g: Graph, name: string | undefined): DType | undefined {
  if (!name) return undefined;
  return g.valueInfo.get(name)?.dtype ?? g.initializers.get(name)?.type ?? g.inputs.find((v) => v.name === name)?.dtype;
}

/**
 * NhwcConv → Transpose(X, perm [0,3,1,2]), Transpose(Z) when Z is given, the FusedConv
 * decomposition (Conv, Add Z, activation) on the NCHW values, Transpose(perm [0,2,3,1]) writing Y.
 * Only ops of ai.onnx opset 1+ besides those of the activation (see `emitActivation`).
 */
const decomposeNhwcConv: Decomposition = (node, g, opset) => {
  const [x, w, b, z] = node.inputs;
  const e = new NodeEmitter(g, node, opset, 'float32');
  const perm = (p: readonly number[]): [string, { type: 'ints'; value: number[] }][] => [['perm', { type: 'ints', value: [...p] }]];
  const xN = e.node('Transpose', [x!], e.value('x_nchw'), perm(TO_NCHW));
  const zN = z ? e.node('Transpose', [z], e.value('z_nchw'), perm(TO_NCHW)) : '';
  const yN = e.value('y_nchw');
  // The FusedConv decomposition reads the element type of its constants from its output.
  const dtype = dtypeIn(g, node.outputs[0]) ?? dtypeIn(g, x);
  if (dtype) g.valueInfo.set(yN, { name: yN, dtype });
  const inputs = [xN, w!, b ?? '', zN];
  while (inputs.length > 2 && inputs[inputs.length - 1] === '') inputs.pop();
  const fused: Node = {
    name: `${node.name}/nchw`, opType: 'FusedConv', domain: DOMAIN, inputs, outputs: [yN], attributes: node.attributes,
  };
  const core = FUSED_DECOMPOSITIONS.get('FusedConv')!(fused, g, opset);
  const head = [...e.nodes];
  e.node('Transpose', [yN], node.outputs[0]!, perm(TO_NHWC));
  return [...head, ...core, e.nodes[e.nodes.length - 1]!];
};

/** Decomposition of each layout op type. */
export const LAYOUT_DECOMPOSITIONS: ReadonlyMap<string, Decomposition> = new Map([['NhwcConv', decomposeNhwcConv]]);
