/**
 * ONNX exporter: serializes a {@link Graph} into the bytes of an ONNX `ModelProto` — opset imports,
 * graph inputs/outputs with dtype and shape (symbolic dims as `dim_param`), initializers as
 * little-endian `raw_data`, nodes with every attribute kind (subgraphs included), `value_info`
 * and model metadata. The inverse of `importOnnx`. Nodes of optiflow's `optiflow` domain are written
 * as standard ONNX (see `export-standard.ts`); initializers over 2 GB in total go to an external
 * data file ({@link exportOnnxModel}, `writeOnnxFile` in `export-file.ts`).
 * Source: onnx/onnx.proto, docs/IR.md, docs/ExternalData.md.
 * @module
 */
import { ONNX_DTYPE_CODE } from '../../ir/dtype.js';
import { OptiflowError } from '../../ir/errors.js';
import type { Attribute, Dim, Graph, Node, ValueInfo } from '../../ir/graph.js';
import { sizeOf, type TensorData } from '../../ir/tensor-data.js';
import {
  onnxRoot, type AttributeMsg, type DimMsg, type GraphMsg, type ModelMsg, type NodeMsg,
  type TensorProtoMsg, type TypeProtoMsg, type ValueInfoMsg,
} from '../../importers/onnx/onnx-proto.js';
import {
  DEFAULT_EXTERNAL_DATA_THRESHOLD, planExternalData, tensorRawBytes, type ExternalDataFile, type ExternalRef,
} from './export-external.js';
import { toStandardOnnx } from './export-standard.js';

/** Options of {@link exportOnnx}. */
export interface ExportOptions {
  /**
   * Write `graph.valueInfo` entries (intermediate values with a known dtype) as `value_info`.
   * Default `true`; turn it off when the infos came from an inference you do not trust.
   */
  valueInfo?: boolean;
  /** Overrides `graph.metadata.irVersion` (default: that value, or 8 when it is below 3). */
  irVersion?: number;
  /**
   * How nodes of the `optiflow` domain are written: `'standard'` (default) as the standard op of
   * the same name where the model's ai.onnx opset has it, else as their decomposition, with the
   * `optiflow` opset import removed (any ONNX runtime loads the file); `'keep'` as they are (only
   * optiflow loads the file).
   */
  optiflowOps?: 'standard' | 'keep';
  /**
   * Total initializer bytes above which initializers go to an external data file (default 2 GB,
   * `DEFAULT_EXTERNAL_DATA_THRESHOLD`); lower it to force external data.
   */
  externalDataThreshold?: number;
  /** Smallest initializer, in bytes, moved to external data (default 1024). */
  externalDataMinBytes?: number;
  /**
   * Name of the external data file relative to the model's folder (default `model.onnx.data`;
   * `writeOnnxFile` uses `<model file name>.data`).
   */
  externalDataLocation?: string;
}

/** A serialized model: the `.onnx` bytes and, when initializers went external, the data file. */
export interface ExportedModel {
  /** The bytes of the `.onnx` file. */
  model: Uint8Array;
  /** The external data file to write next to it under `externalData.location`; absent when all data is inline. */
  externalData?: ExternalDataFile;
}

const ModelProto = onnxRoot.lookupType('onnx.ModelProto');
const encoder = new TextEncoder();

/** ONNX `AttributeProto.AttributeType` numbers. */
const ATTR_CODE = {
  float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8, tensors: 9, graphs: 10,
} as const;

/**
 * Serializes `graph` as one self-contained ONNX file.
 * @param graph the graph; `graph.opsets` must name at least one opset, `graph.metadata` supplies
 *   ir_version, producer, domain, model version, doc string, graph name and `metadata_props`
 * @returns the bytes of a `.onnx` file
 * @throws OptiflowError `invalid_argument` when the graph has no opset, a tensor's data does not
 *   match its dims, an attribute is of a kind ONNX cannot carry, or the initializers exceed
 *   `externalDataThreshold` (use {@link exportOnnxModel} or `writeOnnxFile`); as
 *   `toStandardOnnx` for `optiflow` nodes that cannot be written as standard ONNX.
 */
export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  const { model, externalData } = exportOnnxModel(graph, options);
  if (externalData) {
    throw new OptiflowError('invalid_argument', `initializers total more than ${options.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD} bytes, too large for one ONNX file; export with exportOnnxModel or writeOnnxFile (external data)`);
  }
  return model;
}

/**
 * Serializes `graph` as an ONNX model, moving initializers to external data when they total more
 * than `externalDataThreshold` bytes.
 * @returns the `.onnx` bytes and, when used, the external data file's contents
 * @throws OptiflowError as {@link exportOnnx}, except for large initializers.
 */
export function exportOnnxModel(graph: Graph, options: ExportOptions = {}): ExportedModel {
  if (graph.opsets.size === 0) throw new OptiflowError('invalid_argument', 'graph has no opset imports; set graph.opsets');
  const g = (options.optiflowOps ?? 'standard') === 'standard' ? toStandardOnnx(graph) : graph;
  const plan = planExternalData(g.initializers, {
    location: options.externalDataLocation ?? 'model.onnx.data', threshold: options.externalDataThreshold,
    minTensorBytes: options.externalDataMinBytes,
  });
  const md = g.metadata;
  const ir = options.irVersion ?? (md.irVersion >= 3 ? md.irVersion : 8);
  const msg: ModelMsg = {
    ir_version: ir,
    opset_import: [...g.opsets].map(([domain, version]) => ({ domain, version })),
    producer_name: md.producerName, producer_version: md.producerVersion, domain: md.domain,
    model_version: md.modelVersion, doc_string: md.docString,
    graph: graphMsg(g, md.graphName || 'graph', options.valueInfo ?? true, ['graph'],
      plan && { location: plan.file.location, refs: plan.refs }),
    metadata_props: Object.entries(md.props).map(([key, value]) => ({ key, value })),
  };
  const err = ModelProto.verify(msg);
  if (err) throw new OptiflowError('invalid_argument', `cannot encode model: ${err}`);
  return { model: ModelProto.encode(msg).finish(), ...(plan ? { externalData: plan.file } : {}) };
}

/** Value infos are written for values some node produces: stale entries of removed values are left out. */
function graphMsg(g: Graph, name: string, withValueInfo: boolean, path: string[],
  external?: { location: string; refs: ReadonlyMap<string, ExternalRef> }): GraphMsg {
  const io = new Set([...g.inputs.map((v) => v.name), ...g.outputs.map((v) => v.name), ...g.initializers.keys()]);
  const produced = new Set(g.nodes.flatMap((n) => n.outputs));
  const valueInfo: ValueInfoMsg[] = [];
  if (withValueInfo) {
    for (const v of g.valueInfo.values()) {
      if (!io.has(v.name) && produced.has(v.name) && v.dtype && (v.kind ?? 'tensor') === 'tensor') valueInfo.push(valueInfoMsg(v));
    }
  }
  const initializer = (k: string, t: TensorData): TensorProtoMsg => {
    const ref = external?.refs.get(k);
    if (!ref) return tensorToProto(t, k, [...path, `initializer ${k}`]);
    return {
      name: k, dims: [...t.dims], data_type: ONNX_DTYPE_CODE[t.type], data_location: 1,
      external_data: [
        { key: 'location', value: external!.location }, { key: 'offset', value: String(ref.offset) },
        { key: 'length', value: String(ref.length) },
      ],
    };
  };
  return {
    name,
    node: g.nodes.map((n) => nodeMsg(n, withValueInfo, [...path, `node ${n.name}`])),
    initializer: [...g.initializers].map(([k, t]) => initializer(k, t)),
    input: g.inputs.map(valueInfoMsg),
    output: g.outputs.map((v) => valueInfoMsg({ ...g.valueInfo.get(v.name), ...definedOnly(v) })),
    value_info: valueInfo,
  };
}

function definedOnly(v: ValueInfo): Partial<ValueInfo> & { name: string } {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as Partial<ValueInfo> & { name: string };
}

/**
 * A tensor's type and shape. Sequences and optionals keep their kind (a `sequence_type` with the
 * tensor element type when `dtype` is known, an `optional_type` without element type: the IR does
 * not record what an optional holds); maps and sparse tensors are written untyped.
 */
function valueInfoMsg(v: Partial<ValueInfo> & { name: string }): ValueInfoMsg {
  const kind = v.kind ?? 'tensor';
  if (kind === 'sequence') {
    return { name: v.name, type: { sequence_type: v.dtype ? { elem_type: { tensor_type: { elem_type: ONNX_DTYPE_CODE[v.dtype] } } } : {} } };
  }
  if (kind === 'optional') return { name: v.name, type: { optional_type: {} } };
  if (!v.dtype || kind !== 'tensor') return { name: v.name };
  const type: TypeProtoMsg = {
    tensor_type: {
      elem_type: ONNX_DTYPE_CODE[v.dtype],
      ...(v.shape ? { shape: { dim: v.shape.map(dimMsg) } } : {}),
    },
  };
  return { name: v.name, type };
}

/** Numbers become `dim_value`; names become `dim_param`, except the importer's `?k` placeholders for unnamed dims. */
function dimMsg(d: Dim): DimMsg {
  if (typeof d === 'number') return { dim_value: d };
  return d.startsWith('?') ? {} : { dim_param: d };
}

function nodeMsg(n: Node, withValueInfo: boolean, path: string[]): NodeMsg {
  const attribute: AttributeMsg[] = [];
  for (const [name, a] of n.attributes) attribute.push(attributeMsg(name, a, withValueInfo, [...path, `attribute ${name}`]));
  return { name: n.name, op_type: n.opType, domain: n.domain, input: [...n.inputs], output: [...n.outputs], attribute };
}

function attributeMsg(name: string, a: Attribute, withValueInfo: boolean, path: string[]): AttributeMsg {
  switch (a.type) {
    case 'float': return { name, type: ATTR_CODE.float, f: a.value };
    case 'int': return { name, type: ATTR_CODE.int, i: a.value };
    case 'string': return { name, type: ATTR_CODE.string, s: encoder.encode(a.value) };
    case 'floats': return { name, type: ATTR_CODE.floats, floats: [...a.value] };
    case 'ints': return { name, type: ATTR_CODE.ints, ints: [...a.value] };
    case 'strings': return { name, type: ATTR_CODE.strings, strings: a.value.map((s) => encoder.encode(s)) };
    case 'tensor': return { name, type: ATTR_CODE.tensor, t: tensorToProto(a.value, '', path) };
    case 'tensors': return { name, type: ATTR_CODE.tensors, tensors: a.value.map((t) => tensorToProto(t, '', path)) };
    case 'graph': return { name, type: ATTR_CODE.graph, g: graphMsg(a.value, a.value.metadata.graphName || name, withValueInfo, path) };
    case 'graphs': return {
      name, type: ATTR_CODE.graphs,
      graphs: a.value.map((g, i) => graphMsg(g, g.metadata.graphName || `${name}_${i}`, withValueInfo, path)),
    };
    case 'unsupported':
      if (a.value.startsWith('ref:')) return { name, ref_attr_name: a.value.slice(4) };
      throw new OptiflowError('invalid_argument', `attribute of an unsupported kind (${a.value}) cannot be exported`, path);
  }
}

/**
 * Converts tensor data into a `TensorProto`: strings in `string_data`, 4-bit types packed two per
 * byte and 2-bit types four per byte (low bits first), everything else as little-endian `raw_data`.
 * @param name the tensor name ('' inside attributes)
 * @throws OptiflowError `invalid_argument` when the data length does not match the dims.
 */
export function tensorToProto(t: TensorData, name: string, path: readonly string[] = []): TensorProtoMsg {
  const n = sizeOf(t.dims);
  const base: TensorProtoMsg = { name, dims: [...t.dims], data_type: ONNX_DTYPE_CODE[t.type] };
  const complex = t.type === 'complex64' || t.type === 'complex128';
  const expect = complex ? 2 * n : n;
  if (t.data.length !== expect) {
    throw new OptiflowError('invalid_argument', `tensor data has ${t.data.length} elements; dims [${t.dims.join(',')}] need ${expect}`, [...path, `tensor '${name}'`]);
  }
  if (t.type === 'string') return { ...base, string_data: (t.data as string[]).map((s) => encoder.encode(s)) };
  return { ...base, raw_data: tensorRawBytes(t) };
}
