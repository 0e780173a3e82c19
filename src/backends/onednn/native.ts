/**
 * Loads the `onednn` backend's Node-API addon (`native/onednn/build/Release/optiflow_onednn.node`,
 * built by `scripts/build-native.mjs` against the system oneDNN). The addon is optional: when it was
 * not built (no `libdnnl-dev`, `OPTIFLOW_NO_ONEDNN=1`, a compile failure) or cannot be loaded, the
 * loader says why and the backend reports itself unavailable.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './spec.js';

/** Path of the addon relative to the package root. */
export const ADDON_RELATIVE_PATH = join('native', 'onednn', 'build', 'Release', 'optiflow_onednn.node');

/** How to enable the backend, for messages. */
export const ENABLE_HINT = 'install oneDNN (apt-get install -y libdnnl-dev), then run `npm run build`';

/** Result of {@link loadOnednnAddon}: the addon, or why it is unavailable. */
export type AddonLoad = { readonly addon: NativeAddon } | { readonly unavailable: string };

let cached: AddonLoad | undefined;

/**
 * libgomp spin count (`GOMP_SPINCOUNT`, busy-wait iterations, roughly 100 per microsecond) the
 * loader sets while the addon loads, unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is already set: idle
 * OpenMP threads spin about 10 us at a barrier and then sleep. libgomp's default (300000, about
 * 3 ms) is fastest on idle cores, but oneDNN splits every primitive statically between its
 * threads, so on cores shared with other processes a spinning thread takes the time slice the
 * thread still working needs: measured here with 2 threads on 2 loaded cores, MobileNet v1 ran
 * 31-46 ms with the default and 7-8 ms with 1000 or 0 (onnxruntime-node: 8-14 ms).
 */
export const DEFAULT_GOMP_SPINCOUNT = '1000';

/**
 * Finds the addon by searching upward from this file's folder for
 * `native/onednn/build/Release/optiflow_onednn.node` (works from `dist/backends/onednn/` and from
 * `.build/<name>/backends/onednn/`).
 * @returns the absolute path, or undefined when no build exists
 */
export function findOnednnAddon(): string | undefined {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(d, ADDON_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/**
 * Loads the addon once and caches the outcome. Never throws.
 * `OPTIFLOW_NO_ONEDNN=1` in the environment disables it.
 * @returns `{ addon }` when loaded, else `{ unavailable }` with a one-line reason and how to enable it
 */
export function loadOnednnAddon(): AddonLoad {
  if (cached !== undefined) return cached;
  cached = tryLoad();
  return cached;
}

function tryLoad(): AddonLoad {
  if (process.env['OPTIFLOW_NO_ONEDNN'] === '1') {
    return { unavailable: 'onednn backend disabled by OPTIFLOW_NO_ONEDNN=1' };
  }
  const path = findOnednnAddon();
  if (path === undefined) {
    return { unavailable: `onednn addon not built (${ADDON_RELATIVE_PATH} not found); to enable: ${ENABLE_HINT}` };
  }
  // libgomp reads its spin settings once, when the addon's dlopen loads it: set the default for
  // that moment only (children of this process do not inherit it).
  const setSpin = process.env['OMP_WAIT_POLICY'] === undefined && process.env['GOMP_SPINCOUNT'] === undefined;
  if (setSpin) process.env['GOMP_SPINCOUNT'] = DEFAULT_GOMP_SPINCOUNT;
  try {
    const req = createRequire(import.meta.url);
    const mod: unknown = req(path);
    if (!isAddon(mod)) return { unavailable: `onednn addon at ${path} does not export info() and createEngine()` };
    mod.info(); // fails early when libdnnl cannot initialize
    return { addon: mod };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { unavailable: `onednn addon failed to load (${msg}); to enable: ${ENABLE_HINT}` };
  } finally {
    if (setSpin) delete process.env['GOMP_SPINCOUNT'];
  }
}

function isAddon(m: unknown): m is NativeAddon {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r['info'] === 'function' && typeof r['createEngine'] === 'function';
}
