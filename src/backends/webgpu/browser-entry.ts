/**
 * The page script of the headless-Chromium test: reports whether the page has a WebGPU adapter, then
 * runs the fixtures (or, with `?model=mobilenet_v1` in the URL, the built-in MobileNet v1) with
 * `webgpu` first and leaves the result (or the error) on `window`.
 * @module
 */
import { runFixtures, runMobileNet } from './browser-fixture.js';
import { gpuUnavailableReason } from './device.js';

/** What the page leaves in `window.__optiflow`. */
export interface PageReport {
  readonly noGpu?: string;
  readonly error?: string;
  readonly results?: Awaited<ReturnType<typeof runFixtures>>;
  readonly mobilenet?: Awaited<ReturnType<typeof runMobileNet>>;
  /** Milliseconds the page spent on the run (session creation included). */
  readonly ms?: number;
}

async function main(): Promise<PageReport> {
  const noGpu = await gpuUnavailableReason();
  if (noGpu) return { noGpu };
  const t0 = performance.now();
  try {
    if (new URLSearchParams((globalThis as { location?: { search: string } }).location?.search ?? '').get('model') === 'mobilenet_v1') {
      const mobilenet = await runMobileNet(['webgpu', 'js']);
      return { mobilenet, ms: performance.now() - t0 };
    }
    return { results: await runFixtures(['webgpu', 'js']) };
  } catch (e) {
    return { error: (e as Error).stack ?? String(e) };
  }
}

void main().then((r) => { (globalThis as { __optiflow?: PageReport }).__optiflow = r; });
