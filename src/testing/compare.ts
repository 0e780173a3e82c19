/**
 * Comparison helpers shared by tests that check optiflow against a reference run (onnxruntime-node,
 * or optiflow itself at another optimization level).
 * @module
 */
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../ir/tensor-data.js';

/** max |a - b| / max(max |b|, 1e-6): the error of `a` relative to the reference `b`'s scale. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/** Feeds as onnxruntime-node tensors (float32 data). */
export function toOrt(feeds: Record<string, TensorData>): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type as 'float32', t.data as Float32Array, [...t.dims])]));
}
