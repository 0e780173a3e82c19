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
 * OpenMP threads spin about 10 us at a barrier and then sleep.
 *
 * The tradeoff: oneDNN opens one parallel region per primitive and splits it statically between
 * the threads, so a team thread that sleeps between two primitives costs a futex wake (tens of
 * microseconds on a busy machine) per primitive, while a team thread that spins on a core another
 * process also wants takes the time slice that the thread still working (often the team's own
 * master) needs, once per primitive. Measured here with 2 threads, batch 1, each setting in its
 * own process (`bench/onednn-vs-ort.mjs`, medians, ms, MobileNet v1 / ResNet-50 / BERT; the
 * 2-core machine shared with other jobs, "+1 busy" adds one spinning process):
 *
 * | GOMP_SPINCOUNT   | quiet moments    | +1 busy process (2-4 runs, min-max) |
 * |------------------|------------------|-------------------------------------|
 * | passive          | 6.2 / 28.6 / 5.2 | 6.0-14.4 / 28.6-53.8 / 5.1-11.9     |
 * | 300              | 6.3 / 28.6 / 5.9 | 6.3-6.4 / 29.7-30.2 / 5.4-6.4       |
 * | 1000 (default)   | 4.2 / 16.2 / 6.2 | 7.2-7.6 / 32.6-69.3 / 7.3-19.9      |
 * | 3000             | 3.7 / 16.1 / 3.2 | 9.7-9.8 / 40.8-41.3 / 12.2-12.5     |
 * | 10000            |                  | 7.4-39 / 67-106 / 29.5-29.8         |
 * | 30000            |                  | 6.6-45 / 105-122 / 4.2-84           |
 * | 100000           |                  | 12.6-17 / 124-604 / 12.8-80         |
 * | 300000 (libgomp) | 3.8 / 17.5 / 4.2 | 12-56 / 102-589 / 37-89             |
 *
 * (onnxruntime-node in the same runs: about 3.8-4.0 / 18 / 3.7-4.7 in quiet moments, 9.6-13.8 /
 * 61-64 / 9.6-13.5 with the busy process; with ambient load only, the settings ranked the same.)
 * Below about 1000 the team falls asleep inside a run (the gaps between primitives last a few
 * microseconds): ResNet-50 takes 28.6 instead of 16.2 ms on quiet cores. From about 3000 up the
 * spinning costs 25-70% (3000) to 2-40x (10000 and more) under load. 1000 is the knee: as fast as
 * any setting on quiet cores for the convolution nets (not for BERT, whose gaps between
 * primitives are longer: 3000 or the libgomp default do better there when the cores are quiet),
 * 10-45% slower than passive waiting under load but never collapsing (and still ahead of
 * onnxruntime-node there). On this machine "quiet" rarely means two free cores: with one other
 * busy process, BERT at 2 threads runs either about 3.5 ms or about 7.5 ms per process at every
 * spin count from 1000 to 10000 (the two OpenMP threads then share one core: their CPU times add
 * up to the wall time), because oneDNN splits each primitive statically and waits for the
 * descheduled half; no spin count fixes that. Where the cores are dedicated, GOMP_SPINCOUNT=300000
 * (or OMP_WAIT_POLICY=active) set by the user is faster for BERT-like models with many small primitives.
 * That table predates team pinning (engine.cc `pinTeam`): unpinned, a team thread woken from sleep
 * often ran on its master's core, which made every wake-up cost a whole primitive half (int8
 * ResNet-50 at 2 threads: 16.8-18.0 ms unpinned, 7.5-8.2 pinned, 7.0-8.4 with OMP_WAIT_POLICY=active).
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
