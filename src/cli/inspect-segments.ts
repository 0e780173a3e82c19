/**
 * The segment part of `optiflow inspect --placement`: per segment of a segment backend, the values
 * and bytes copied between the host and its device per run, from static shapes (`segmentCopies`)
 * or from one measured run's engine counters (`measureCopies`).
 * @module
 */
import type { InferenceSession, TensorData } from '../index.js';
import type { DType } from '../ir/dtype.js';
import type { Dim, Graph } from '../ir/graph.js';
import { sizeOf } from '../ir/tensor-data.js';
import type { SegmentInfo } from '../runtime/executor.js';
import { Rng } from '../zoo/random.js';
import { randomInput } from './run.js';

/** One segment of `inspect --placement`, with its copies per run from static shapes. */
export interface SegmentReport {
  /** `segment_<k>_<backend>`, as in the placement causes. */
  name: string;
  backend: string;
  /** Nodes it runs. */
  nodes: number;
  /** Values it reads from outside; `uploads` of them are copied in per run (GPU-resident ones are bound). */
  inputs: number;
  uploads: number;
  /** Bytes uploaded per run (as the device stores them: int64/bool as 4-byte int32 on webgpu). */
  uploadBytes: number;
  /** Values it produces for readers outside; `readbacks` of them are copied out per run. */
  outputs: number;
  readbacks: number;
  readbackBytes: number;
  /** Copied values of unknown static shape, not counted in the bytes. */
  unknown: number;
  /** What one measured run copied (`--measure`), from the engine's counters; absent without them. */
  measured?: { uploads: number; uploadBytes: number; readbacks: number; readbackBytes: number };
}

/** Bytes per element as the runtime stores each dtype (sub-byte types take a byte); `string` has no fixed size. */
export const ELEMENT_BYTES: Readonly<Record<DType, number | undefined>> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4,
  int64: 8, uint64: 8, bool: 1, string: undefined, int4: 1, uint4: 1, int2: 1, uint2: 1, float8e4m3fn: 1,
  float8e4m3fnuz: 1, float8e5m2: 1, float8e5m2fnuz: 1, float8e8m0: 1, float4e2m1: 1, complex64: 8, complex128: 16,
};

/** Bytes per element a segment backend copies: WebGPU stores int64 and bool as int32. */
function copyWidth(backend: string, t: DType): number | undefined {
  if (backend === 'webgpu') return t === 'float16' ? 2 : t === 'string' ? undefined : 4;
  return ELEMENT_BYTES[t];
}

/**
 * Per segment: the values copied to and from its device per run, with bytes from the static shapes
 * in `g.valueInfo` (symbolic dims taken as 1). Inputs produced by a segment that leaves them on
 * the GPU (`gpu-buffer`) are bound, not copied; such outputs are not read back.
 */
export function segmentCopies(g: Graph, segments: readonly SegmentInfo[]): { segments: SegmentReport[]; assumedDims: string[] } {
  const resident = new Set<string>();
  for (const s of segments) s.outputs.forEach((o, k) => { if (s.outputLocations[k] === 'gpu-buffer') resident.add(o); });
  const assumed = new Set<string>();
  const bytesOf = (backend: string, name: string): number | undefined => {
    const init = g.initializers.get(name);
    const v = init ? { dtype: init.type, shape: [...init.dims] as Dim[] } : g.valueInfo.get(name) ?? g.inputs.find((x) => x.name === name) ?? g.outputs.find((x) => x.name === name);
    const w = v?.dtype ? copyWidth(backend, v.dtype) : undefined;
    if (!v?.shape || w === undefined) return undefined;
    for (const d of v.shape) if (typeof d === 'string') assumed.add(d);
    return w * sizeOf(v.shape.map((d) => (typeof d === 'number' ? d : 1)));
  };
  const rows = segments.map((s) => {
    const r: SegmentReport = { name: s.name, backend: s.backend, nodes: s.nodes.length, inputs: s.inputs.length, uploads: 0, uploadBytes: 0,
      outputs: s.outputs.length, readbacks: 0, readbackBytes: 0, unknown: 0 };
    for (const i of s.inputs) {
      if (resident.has(i)) continue;
      r.uploads++;
      const b = bytesOf(s.backend, i);
      if (b === undefined) r.unknown++; else r.uploadBytes += b;
    }
    s.outputs.forEach((o, k) => {
      if (s.outputLocations[k] === 'gpu-buffer') return;
      r.readbacks++;
      const b = bytesOf(s.backend, o);
      if (b === undefined) r.unknown++; else r.readbackBytes += b;
    });
    return r;
  });
  return { segments: rows, assumedDims: [...assumed].sort() };
}

/** Runs `session` once and records what each segment's counters say one run copied. */
export async function measureCopies(session: InferenceSession, zooFeeds: Record<string, TensorData> | undefined, rows: SegmentReport[]): Promise<void> {
  const rng = new Rng(0);
  const feeds = zooFeeds ?? Object.fromEntries(session.inputMetadata.map((m) => [m.name, randomInput(m, rng, 1)]));
  const before = session.segments.map((s) => s.stats());
  const out = await session.run(feeds);
  for (const t of Object.values(out)) if (t.location === 'gpu-buffer') t.dispose();
  session.segments.forEach((s, k) => {
    const a = before[k];
    const b = s.stats();
    if (!a || !b || !rows[k]) return;
    rows[k]!.measured = { uploads: b.uploads - a.uploads, uploadBytes: b.uploadBytes - a.uploadBytes, readbacks: b.readbacks - a.readbacks, readbackBytes: b.readbackBytes - a.readbackBytes };
  });
}

