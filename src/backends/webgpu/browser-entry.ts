/**
 * The page script of the headless-Chromium test: reports whether the page has a WebGPU adapter, then
 * runs the fixtures with `webgpu` first and leaves the result (or the error) on `window`.
 * @module
 */
import { runFixtures } from './browser-fixture.js';
import { gpuUnavailableReason } from './device.js';

/** What the page leaves in `window.__optiflow`. */
export interface PageReport {
  readonly noGpu?: string;
  readonly error?: string;
  readonly results?: Awaited<ReturnType<typeof runFixtures>>;
}

async function main(): Promise<PageReport> {
  const noGpu = await gpuUnavailableReason();
  if (noGpu) return { noGpu };
  try {
    return { results: await runFixtures(['webgpu', 'js']) };
  } catch (e) {
    return { error: (e as Error).stack ?? String(e) };
  }
}

void main().then((r) => { (globalThis as { __optiflow?: PageReport }).__optiflow = r; });
