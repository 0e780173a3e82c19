/**
 * Tensor bytes as ONNX stores them (`raw_data`: little-endian, sub-byte types packed) and the
 * external-data layout: when a model's initializers are too large for one protobuf message
 * (2 GB), they move to one data file next to the model, each tensor's `TensorProto` keeping only
 * `data_location = EXTERNAL` and `external_data` entries `location`, `offset`, `length`.
 * Source: onnx/onnx.proto (`TensorProto.external_data`), docs/ExternalData.md.
 * @module
 */
import { storageBytes } from '../../ir/dtype.js';
import { OptiflowError } from '../../ir/errors.js';
import { sizeOf, type TensorData } from '../../ir/tensor-data.js';

/**
 * Default total initializer size, in bytes, above which initializers go to external data: 2 GB
 * (2·10⁹ bytes), which leaves room under protobuf's 2 GiB message limit for the graph itself.
 */
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 2e9;
/** Initializers smaller than this many bytes stay inline (onnx's `size_threshold` default). */
export const DEFAULT_EXTERNAL_MIN_BYTES = 1024;
/** Offsets of external tensors are multiples of this (a page, so readers may map the file). */
export const EXTERNAL_DATA_ALIGNMENT = 4096;

/** The contents of an external data file, as chunks to write in order (no copy of the weights). */
export interface ExternalDataFile {
  /** File name relative to the model's folder, as written in each tensor's `location`. */
  location: string;
  /** The file's bytes: tensor data and zero padding, in order. */
  chunks: Uint8Array[];
  /** Total bytes of `chunks`. */
  byteLength: number;
}

/** Where one initializer lives in the external data file. */
export interface ExternalRef {
  offset: number;
  length: number;
}

/** Options of {@link planExternalData}. */
export interface ExternalDataOptions {
  /** File name relative to the model. */
  location: string;
  /** Total bytes above which initializers go external (default {@link DEFAULT_EXTERNAL_DATA_THRESHOLD}). */
  threshold?: number;
  /** Smallest initializer moved out, bytes (default {@link DEFAULT_EXTERNAL_MIN_BYTES}). */
  minTensorBytes?: number;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The bytes of `t` as ONNX `raw_data`: 4-bit types two per byte and 2-bit types four per byte
 * (low bits first), other types little-endian. A view of `t.data` on little-endian machines for
 * byte-aligned types (no copy).
 * @throws OptiflowError `invalid_argument` for string tensors (they have no raw form).
 */
export function tensorRawBytes(t: TensorData): Uint8Array {
  if (t.type === 'string') throw new OptiflowError('invalid_argument', 'string tensors have no raw_data form');
  const data = t.data as Exclude<TensorData['data'], string[]>;
  const n = sizeOf(t.dims);
  const bits = t.type === 'int4' || t.type === 'uint4' || t.type === 'float4e2m1' ? 4 : t.type === 'int2' || t.type === 'uint2' ? 2 : 8;
  if (bits < 8) {
    const per = 8 / bits;
    const mask = (1 << bits) - 1;
    const raw = new Uint8Array(Math.ceil(n / per));
    for (let i = 0; i < n; i++) raw[Math.floor(i / per)]! |= (Number(data[i]) & mask) << ((i % per) * bits);
    return raw;
  }
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const elemBytes = storageBytes(t.type) / (t.type === 'complex64' || t.type === 'complex128' ? 2 : 1);
  if (LITTLE_ENDIAN || elemBytes === 1) return view;
  const bytes = view.slice();
  for (let i = 0; i < bytes.length; i += elemBytes) bytes.subarray(i, i + elemBytes).reverse();
  return bytes;
}

/** Bytes `t` takes as raw data (0 for strings, which never go external). */
export function rawByteLength(t: TensorData): number {
  if (t.type === 'string') return 0;
  const n = sizeOf(t.dims);
  if (t.type === 'int4' || t.type === 'uint4' || t.type === 'float4e2m1') return Math.ceil(n / 2);
  if (t.type === 'int2' || t.type === 'uint2') return Math.ceil(n / 4);
  return n * storageBytes(t.type);
}

/**
 * Decides which initializers go to external data: none when their total raw size is at most the
 * threshold, else every non-string initializer of at least `minTensorBytes`, laid out in map order
 * at {@link EXTERNAL_DATA_ALIGNMENT}-aligned offsets.
 * @returns the data file and each moved initializer's place, or `undefined` when all stay inline
 * @throws OptiflowError `invalid_argument` when a tensor's data does not match its dims.
 */
export function planExternalData(initializers: ReadonlyMap<string, TensorData>, o: ExternalDataOptions):
  { file: ExternalDataFile; refs: Map<string, ExternalRef> } | undefined {
  const threshold = o.threshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD;
  const minBytes = o.minTensorBytes ?? DEFAULT_EXTERNAL_MIN_BYTES;
  let total = 0;
  for (const t of initializers.values()) total += rawByteLength(t);
  if (total <= threshold) return undefined;
  const chunks: Uint8Array[] = [];
  const refs = new Map<string, ExternalRef>();
  let offset = 0;
  for (const [name, t] of initializers) {
    const length = rawByteLength(t);
    if (t.type === 'string' || length < minBytes) continue;
    const raw = tensorRawBytes(t);
    if (raw.length !== length) {
      throw new OptiflowError('invalid_argument', `tensor data has ${raw.length} bytes; dims [${t.dims.join(',')}] of ${t.type} need ${length}`, [`initializer ${name}`]);
    }
    const pad = (EXTERNAL_DATA_ALIGNMENT - (offset % EXTERNAL_DATA_ALIGNMENT)) % EXTERNAL_DATA_ALIGNMENT;
    if (pad) { chunks.push(new Uint8Array(pad)); offset += pad; }
    chunks.push(raw);
    refs.set(name, { offset, length });
    offset += length;
  }
  return { file: { location: o.location, chunks, byteLength: offset }, refs };
}
