/**
 * Shared by the quantization benches (int8-onednn, int8-wasm, calibration-methods): the compiled
 * optiflow modules they use, loaded from a build folder, and small statistics helpers.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Loads optiflow's session, quantizer, built-in models and ONNX exporter from `dist` (a compiled
 * build folder, e.g. `dist/` or `.build/<name>/`).
 */
export async function loadOptiflow(dist) {
  const load = (p) => import(pathToFileURL(join(resolve(dist), p)).href);
  const { InferenceSession, Tensor } = await load('index.js');
  const { quantize } = await load('quantize/index.js');
  const { ZOO } = await load('zoo/index.js');
  const { exportOnnx } = await load('exporters/onnx/export.js');
  const { sharedTestdata } = await load('testing/paths.js');
  return { InferenceSession, Tensor, quantize, ZOO, exportOnnx, sharedTestdata };
}

/** The upper median (ms lists of odd length: the middle value). */
export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

/** Index of the largest element (the first on ties). */
export const argmax = (d) => { let k = 0; for (let i = 1; i < d.length; i++) if (d[i] > d[k]) k = i; return k; };
