/**
 * Translation of one segment ({@link SegmentSpec}) with concrete input dims into an
 * {@link EngineSpec}: shape inference over the segment's nodes with the runtime dims (each node's
 * schema `infer`), then one or more oneDNN primitives per node (per-op translators in
 * `translate-ops.ts` and `translate-fused.ts`), with eltwise and binary ops folded into the
 * post-ops of the convolution, matmul or binary that produces their input when that value has no
 * other reader (`translate-fold.ts`).
 *
 * Source: oneDNN 2.6 developer guide (primitives, post-ops); TF-TRT segment conversion.
 * @module
 */
import type { SegmentSpec } from '../backend.js';
import { OptiflowError } from '../../ir/errors.js';
import type { DType } from '../../ir/dtype.js';
import type { Node } from '../../ir/graph.js';
import { resolveAttrs, type InputInfo } from '../../ops/schema.js';
import type { EngineDType, EngineOp, EngineSpec, EngineTensor, Precision } from './spec.js';
import { EngineBuilder, type NodeCtx, type Val } from './translate-builder.js';
import { fuseDepthwise } from './translate-dw.js';
import { TRANSLATORS } from './translate-table.js';

/** Options of {@link translateSegment}. */
export interface TranslateOptions {
  readonly precision: Precision;
  /** OpenMP threads per primitive (0 = library default). */
  readonly threads: number;
  /**
   * The session's graph optimization level (default `all`), onnxruntime's split applied inside the
   * engine: `disabled` and `basic` emit one primitive per node (no post-op folding, no depthwise
   * fusion); `extended` adds those fusions; `all` also lets fp32 convolutions keep their preferred
   * activation layout (oneDNN's NHWC or nChw16c blocks) from one primitive to the next inside the
   * segment — the counterpart of onnxruntime's NCHWc layout optimization at `all`. Below `all`,
   * each fp32 convolution reads and writes the model's layout (NCHW), with reorders into and out of
   * its preferred one ({@link EngineOp} `plainOutput`). The primitive itself (algorithm, internal
   * layout) is the same at every level, so levels differ only by where reorders and post-ops go.
   */
  readonly level?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** A translated segment: the engine description and the dims of each segment output. */
export interface TranslatedSegment {
  readonly engine: EngineSpec;
  /** Dims of {@link SegmentSpec.outputs}, in order (the engine's output tensors' dims). */
  readonly outputDims: readonly (readonly number[])[];
  /** Element types of {@link SegmentSpec.outputs}, in order. */
  readonly outputDTypes: readonly EngineDType[];
}

/**
 * Translates a segment for concrete input dims.
 * @param spec the segment (nodes, graph with initializers, opsets, inputs/outputs)
 * @param inputDims concrete dims of {@link SegmentSpec.inputs}, in order
 * @param inputDTypes element types of the inputs (default all `f32`; `u8`/`s8` for quantized activations)
 * @throws OptiflowError `unsupported_op` naming the node for an op, attribute or input the backend
 *   declines (a non-constant weight, an unsupported mode); what shape inference throws for inputs
 *   that contradict the model.
 */
export function translateSegment(spec: SegmentSpec, inputDims: readonly (readonly number[])[], options: TranslateOptions,
  inputDTypes?: readonly EngineDType[]): TranslatedSegment {
  if (inputDims.length !== spec.inputs.length) {
    throw new OptiflowError('invalid_argument', `onednn segment takes ${spec.inputs.length} inputs, got ${inputDims.length}`);
  }
  const uses = new Map<string, number>();
  for (const n of spec.nodes) for (const i of n.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  const level = options.level ?? 'all';
  const b = new EngineBuilder(uses, new Set(spec.outputs), level === 'extended' || level === 'all');
  spec.inputs.forEach((name, k) => b.bindInput(name, inputDims[k]!, inputDTypes?.[k] ?? 'f32'));
  for (const node of spec.nodes) translateNode(spec, b, node);
  const outputs = spec.outputs.map((name) => {
    const v = b.values.get(name);
    if (!v || v.kind !== 'tensor') {
      throw new OptiflowError('unsupported_op', `onednn: segment output '${name}' is not computed by the segment`, [name]);
    }
    return v.index;
  });
  return finish(b, outputs, options);
}

/** ONNX element type of each engine dtype. */
export const ONNX_DTYPE = { f32: 'float32', s32: 'int32', u8: 'uint8', s8: 'int8' } as const satisfies Record<EngineDType, DType>;

function finish(b: EngineBuilder, outputs: number[], options: TranslateOptions): TranslatedSegment {
  const tensors: EngineTensor[] = b.tensors.map((dims, i) => ({ dims, dtype: b.dtype(i) }));
  const level = options.level ?? 'all';
  const ops: EngineOp[] = depthwisePass(b.finishOps(), b.tensors, outputs, options).map((op) => {
    if (op.kind !== 'conv' || options.precision !== 'fp32' || op.outputScales) return op;
    return {
      ...op, ...(winogradPays(op) ? { algorithm: 'winograd' } : {}), ...(blockedPays(b, op) ? { layout: 'blocked16' } : {}),
      ...(level !== 'all' ? { plainOutput: true } : {}),
    };
  });
  const engine: EngineSpec = { tensors, inputs: [...b.inputIndices], outputs, ops, precision: options.precision, threads: options.threads };
  return { engine, outputDims: outputs.map((i) => b.tensors[i]!), outputDTypes: outputs.map((i) => b.dtype(i)) };
}

/**
 * Depthwise fusion ({@link fuseDepthwise}) in fp32 engines (bf16 and int8 engines keep the two
 * convolutions); `OPTIFLOW_ONEDNN_DW_FUSION=0` in the environment turns it off, read when an
 * engine is translated (for measurements: `bench/onednn-dw.mjs`).
 */
function depthwisePass(ops: readonly EngineOp[], tensors: readonly (readonly number[])[], outputs: readonly number[],
  options: TranslateOptions): readonly EngineOp[] {
  const level = options.level ?? 'all';
  if (options.precision !== 'fp32' || process.env['OPTIFLOW_ONEDNN_DW_FUSION'] === '0' || level === 'disabled' || level === 'basic') return ops;
  return fuseDepthwise(ops, tensors, outputs);
}

function translateNode(spec: SegmentSpec, b: EngineBuilder, node: Node): void {
  const where = `node ${node.name} (${node.opType})`;
  const schema = spec.schemas.get(node);
  if (!schema) throw new OptiflowError('unsupported_op', `onednn: no schema for ${node.opType}`, [where]);
  const translator = TRANSLATORS.get(`${node.domain === 'ai.onnx' ? '' : node.domain}::${node.opType}`);
  if (!translator) throw new OptiflowError('unsupported_op', `onednn has no translation for ${node.opType}`, [where]);
  const opset = spec.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? schema.since;
  const inputs: (Val | undefined)[] = node.inputs.map((name) => {
    if (!name) return undefined;
    const init = spec.graph.initializers.get(name);
    if (init) return { kind: 'const', data: init };
    const v = b.values.get(name);
    if (!v) throw new OptiflowError('unsupported_op', `onednn: input '${name}' is neither a segment input, an initializer nor computed earlier`, [where]);
    return v;
  });
  const infos: (InputInfo | undefined)[] = inputs.map((v) => {
    if (!v) return undefined;
    if (v.kind === 'const') return { dtype: v.data.type, shape: [...v.data.dims], value: v.data };
    return { dtype: ONNX_DTYPE[b.dtype(v.index)], shape: [...b.tensors[v.index]!] };
  });
  const attrs = resolveAttrs(schema, node);
  const inferred = schema.infer({ attrs, opset, inputs: infos, outputCount: node.outputs.length, node });
  const outDims = inferred.map((o, k) => {
    if (!node.outputs[k]) return [];
    if (!o.shape || o.shape.some((d) => typeof d !== 'number')) {
      throw new OptiflowError('unsupported_op', `onednn: output ${k} shape is not resolved by inference`, [where]);
    }
    if (o.dtype !== 'float32' && o.dtype !== 'uint8' && o.dtype !== 'int8' && k === 0) {
      throw new OptiflowError('unsupported_op', `onednn: output dtype ${o.dtype}; only float32, uint8 and int8`, [where]);
    }
    return o.shape as number[];
  });
  const ctx: NodeCtx = { node, opset, attrs: attrs as Record<string, unknown>, inputs, outDims, b, where };
  translator(ctx);
  for (const name of node.outputs) {
    if (name && !b.values.has(name) && (b.uses.get(name) || b.segmentOutputs.has(name))) {
      throw new OptiflowError('unsupported_op', `onednn: output '${name}' of ${node.opType} is not produced (only the first output is supported)`, [where]);
    }
  }
}

/**
 * Whether a conv runs faster as Winograd: 3x3, stride 1, dilation 1, one group, at least 64
 * input and output channels in multiples of 16 (oneDNN's AVX-512 Winograd kernels; measured on
 * ResNet-50 here: 3x3 convs 1.3-1.9x faster than direct at batch 1, 1 thread). fp32 only (oneDNN
 * 2.6 has no bf16 Winograd).
 */
function winogradPays(op: EngineOp): boolean {
  if (op.kind !== 'conv' || op.groups !== 1) return false;
  const [o, c, ...k] = op.weights.dims;
  return k.length === 2 && k[0] === 3 && k[1] === 3 && o! % 16 === 0 && c! % 16 === 0 && o! >= 64 && c! >= 64
    && op.strides.every((v) => v === 1) && op.dilations.every((v) => v === 1);
}

/**
 * Whether a conv should keep its activations in 16-channel blocks (nChw16c): its input or output
 * channel count divides by 16 (the addon blocks each side that does). fp32 only (bf16 keeps oneDNN's choice). Measured here against oneDNN's own choice
 * (NHWC): ResNet-50 batch 8 12% and MobileNet v1 batch 8 5% faster, batch 1 equal.
 */
function blockedPays(b: EngineBuilder, op: Extract<EngineOp, { kind: 'conv' }>): boolean {
  return b.tensors[op.src]![1]! % 16 === 0 || b.tensors[op.dst]![1]! % 16 === 0;
}
