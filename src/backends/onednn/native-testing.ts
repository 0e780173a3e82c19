/**
 * What the addon-level tests share: the loaded addon (or the reason to skip), tensor and constant
 * shorthands, and a one-shot engine runner.
 * @module
 */
import { loadOnednnAddon } from './native.js';
import { numel } from './native-ref.js';
import type { EngineConst, EngineOp, EngineSpec, EngineTensor, NativeAddon } from './spec.js';

const loaded = loadOnednnAddon();

/** `false` when the addon is loaded, else the reason the addon tests skip. */
export const skip: string | false = 'unavailable' in loaded ? `skipped: ${loaded.unavailable}` : false;

/**
 * The loaded addon.
 * @throws Error with the loader's reason when it is unavailable
 */
export function addon(): NativeAddon {
  if ('unavailable' in loaded) throw new Error(loaded.unavailable);
  return loaded.addon;
}

/** A float32 engine tensor of `dims`. */
export const T = (...dims: number[]): EngineTensor => ({ dims, dtype: 'f32' });

/** A constant of `dims` holding `data`. */
export const C = (dims: number[], data: Float32Array): EngineConst => ({ dims, data });

/**
 * Builds a float32 spec from tensor dims, runs it once (1 thread, fp32 unless `extra` says
 * otherwise), disposes it.
 * @returns the outputs, in order
 */
export async function run(tensors: number[][], inputs: number[], outputs: number[], ops: EngineOp[],
  data: Float32Array[], extra: Partial<EngineSpec> = {}): Promise<Float32Array[]> {
  const spec: EngineSpec = { tensors: tensors.map((d) => T(...d)), inputs, outputs, ops, precision: 'fp32', threads: 1, ...extra };
  const e = addon().createEngine(spec);
  const outs = outputs.map((t) => new Float32Array(numel(tensors[t]!)));
  await e.run(data, outs);
  e.dispose();
  return outs;
}
