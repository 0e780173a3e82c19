/**
 * The `onednn` backend: a segment backend (TF-TRT style) that compiles each maximal group of
 * supported nodes into one oneDNN engine through the Node-API addon. Graph decisions happen here
 * in TypeScript (`translate*.ts` turns a segment into an {@link EngineSpec}); the addon builds the
 * primitive chain and runs it on a libuv worker thread, one native call per segment run.
 *
 * Engines are specialized per input shape and cached per segment (a small LRU). Runs of one engine
 * are serialized (an engine owns its scratch memory); different segments and sessions run
 * concurrently.
 *
 * Source: oneDNN 2.6 developer guide; TF-TRT `minimum_segment_size`.
 * @module
 */
import type { Backend, BackendFactory, CompiledSegment, SegmentSpec } from '../backend.js';
import { OptiflowError } from '../../ir/errors.js';
import { isTensorValue, sizeOf, type RuntimeValue, type TensorData } from '../../ir/tensor-data.js';
import { loadOnednnAddon } from './native.js';
import type { EngineArray, EngineDType, NativeAddon, NativeEngine, Precision } from './spec.js';
import { onednnSupports } from './support.js';
import { ONNX_DTYPE, translateSegment, type TranslatedSegment, type TranslateOptions } from './translate.js';

export { onednnSupports } from './support.js';
export { translateSegment, type TranslatedSegment, type TranslateOptions } from './translate.js';

/** Options of {@link createOnednnBackend}. */
export interface OnednnOptions {
  /** OpenMP threads oneDNN uses inside each primitive (intra-op); 0 = the library default. */
  readonly intraOpNumThreads: number;
  /** Concurrent independent segments (inter-op); scheduling is the executor's, recorded here. */
  readonly interOpNumThreads?: number;
  /** `fp32` (default) or `bf16` (convolutions and matmuls in bfloat16 where the CPU has it). */
  readonly precision?: Precision;
  /** Segments with fewer nodes run elsewhere (default 3, TF-TRT's `minimum_segment_size`). */
  readonly minSegmentSize?: number;
  /** Graph optimization level the engines follow (default `all`; see {@link TranslateOptions.level}). */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Engines kept per segment, one per input shape (default 4). */
  readonly enginesPerSegment?: number;
  /** The addon to use (default: {@link loadOnednnAddon}). */
  readonly addon?: NativeAddon;
}

/** Typed array constructor of each engine dtype at the edges. */
const ARRAY = { f32: Float32Array, s32: Int32Array, u8: Uint8Array, s8: Int8Array } as const;

/** The engine dtype of an ONNX tensor type at a segment edge; undefined when the engine cannot take it. */
function engineDType(type: string): EngineDType | undefined {
  return type === 'float32' ? 'f32' : type === 'uint8' ? 'u8' : type === 'int8' ? 's8' : undefined;
}

/** One cached engine and the tail of its run queue. */
interface CachedEngine {
  readonly engine: NativeEngine;
  readonly translated: TranslatedSegment;
  queue: Promise<unknown>;
}

/**
 * Creates the `onednn` backend.
 * @throws OptiflowError `invalid_argument` with the reason (and how to enable it) when the addon is
 *   unavailable (not built, no libdnnl, `OPTIFLOW_NO_ONEDNN=1`), or for a bad option
 */
export function createOnednnBackend(options: OnednnOptions): Backend {
  let addon = options.addon;
  if (!addon) {
    const load = loadOnednnAddon();
    if ('unavailable' in load) throw new OptiflowError('invalid_argument', load.unavailable);
    addon = load.addon;
  }
  const precision = options.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'bf16') throw new OptiflowError('invalid_argument', `onednn precision must be fp32 or bf16, got '${String(precision)}'`);
  const minSegmentSize = options.minSegmentSize ?? 3;
  const threads = Math.max(0, Math.floor(options.intraOpNumThreads || 0));
  const perSegment = Math.max(1, options.enginesPerSegment ?? 4);
  const level = options.graphOptimizationLevel ?? 'all';
  const live = new Set<SegmentEngines>();
  const native = addon;
  return {
    name: 'onednn',
    minSegmentSize,
    supports: onednnSupports,
    compile(node) {
      throw new OptiflowError('unsupported_op', 'onednn compiles segments only (compileSegment)', [`node ${node.name} (${node.opType})`]);
    },
    compileSegment(spec) {
      const seg = new SegmentEngines(native, spec, { precision, threads, level }, perSegment);
      seg.precompile();
      live.add(seg);
      return {
        run: (inputs) => seg.run(inputs),
        dispose: () => { seg.dispose(); live.delete(seg); },
      } satisfies CompiledSegment;
    },
    dispose() {
      for (const s of live) s.dispose();
      live.clear();
    },
  };
}

/**
 * The `onednn` backend factory for provider lists (async: a missing addon rejects, so default
 * provider lists skip the backend).
 * @throws OptiflowError `invalid_argument` (rejection) when the addon is unavailable
 */
export const onednnBackendFactory: BackendFactory = async (options) => createOnednnBackend({
  intraOpNumThreads: options.intraOpNumThreads,
  ...(options.interOpNumThreads !== undefined ? { interOpNumThreads: options.interOpNumThreads } : {}),
  // fp16 is a WebGPU mode: this backend runs it as fp32.
  precision: options.precision === 'bf16' ? 'bf16' : 'fp32',
  ...(options.minSegmentSize !== undefined ? { minSegmentSize: options.minSegmentSize } : {}),
  ...(options.graphOptimizationLevel !== undefined ? { graphOptimizationLevel: options.graphOptimizationLevel } : {}),
});

/** The engines of one segment, one per input shape, least recently used first. */
class SegmentEngines {
  private readonly engines = new Map<string, CachedEngine>();
  private disposed = false;

  constructor(private readonly addon: NativeAddon, private readonly spec: SegmentSpec,
    private readonly options: TranslateOptions, private readonly capacity: number) {}

  /**
   * Builds the engine for the static input shapes when they are all concrete, so a segment the
   * translator or oneDNN declines fails at compile time (the executor then places it elsewhere).
   * With symbolic dims, translates once with every symbol bound to 1: a decline
   * (`unsupported_op`) still fails the compilation; errors that only the guessed sizes cause
   * (shape checks of inference) are ignored.
   */
  precompile(): void {
    const dims: number[][] = [];
    const dtypes: EngineDType[] = [];
    let symbolic = false;
    for (const name of this.spec.inputs) {
      const info = this.spec.graph.valueInfo.get(name) ?? this.spec.graph.inputs.find((v) => v.name === name);
      const dt = engineDType(info?.dtype ?? 'float32');
      if (!dt) throw new OptiflowError('unsupported_op', `onednn: segment input '${name}' is ${info?.dtype}; only float32, uint8 and int8`);
      dtypes.push(dt);
      const s = info?.shape;
      if (!s) return;
      if (s.some((d) => typeof d !== 'number')) symbolic = true;
      dims.push(s.map((d) => (typeof d === 'number' ? d : 1)));
    }
    if (!symbolic) { this.engineFor(dims, dtypes); return; }
    try {
      translateSegment(this.spec, dims, this.options, dtypes);
    } catch (e) {
      if (e instanceof OptiflowError && e.code === 'unsupported_op') throw e;
    }
  }

  private engineFor(dims: readonly (readonly number[])[], dtypes: readonly EngineDType[]): CachedEngine {
    const key = dims.map((d, i) => `${d.join('x')}${dtypes[i]}`).join('|');
    const hit = this.engines.get(key);
    if (hit) { this.engines.delete(key); this.engines.set(key, hit); return hit; }
    const translated = translateSegment(this.spec, dims, this.options, dtypes);
    let engine: NativeEngine;
    try {
      engine = this.addon.createEngine(translated.engine);
    } catch (e) {
      throw new OptiflowError('unsupported_op', `onednn: engine creation failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const entry: CachedEngine = { engine, translated, queue: Promise.resolve() };
    this.engines.set(key, entry);
    while (this.engines.size > this.capacity) {
      const [oldKey, old] = this.engines.entries().next().value as [string, CachedEngine];
      this.engines.delete(oldKey);
      void old.queue.finally(() => old.engine.dispose());
    }
    return entry;
  }

  async run(inputs: readonly RuntimeValue[]): Promise<RuntimeValue[]> {
    if (this.disposed) throw new OptiflowError('runtime_error', 'onednn segment used after release');
    const dtypes: EngineDType[] = [];
    const data: EngineArray[] = inputs.map((v, i) => {
      const dt = isTensorValue(v) ? engineDType(v.type) : undefined;
      if (!isTensorValue(v) || !dt || !(v.data instanceof ARRAY[dt])) {
        throw new OptiflowError('runtime_error', `onednn: segment input '${this.spec.inputs[i]}' must be a float32, uint8 or int8 tensor`);
      }
      dtypes.push(dt);
      return v.data as EngineArray;
    });
    const entry = this.engineFor(inputs.map((v) => (v as TensorData).dims), dtypes);
    const outputs = entry.translated.outputDims.map((d, k) => new ARRAY[entry.translated.outputDTypes[k]!](sizeOf(d)));
    const job = entry.queue.then(() => entry.engine.run(data, outputs));
    entry.queue = job.catch(() => undefined);
    try {
      await job;
    } catch (e) {
      throw new OptiflowError('runtime_error', `onednn: ${e instanceof Error ? e.message : String(e)}`);
    }
    return outputs.map((out, k): TensorData => ({ type: ONNX_DTYPE[entry.translated.outputDTypes[k]!], dims: [...entry.translated.outputDims[k]!], data: out } as TensorData));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.engines.values()) void e.queue.finally(() => e.engine.dispose());
    this.engines.clear();
  }
}
