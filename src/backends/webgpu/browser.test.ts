/**
 * Headless Chromium: bundles `browser-entry.ts` (backend + session) with esbuild, serves it on
 * 127.0.0.1, runs the fixtures with `webgpu` first in the page (Chromium's own SwiftShader adapter
 * via `--use-webgpu-adapter=swiftshader`) and compares with `js` in Node; then the same built-in
 * MobileNet v1 that runs in Node runs in the page (`webgpu`, `js`) and is compared with Node's
 * `wasm`/`js` result (same top-1, 1e-4 relative).
 * Skips, saying why, without `/usr/bin/chromium`, playwright-core, esbuild or a WebGPU adapter in
 * the page, or with `OPTIFLOW_SKIP_BROWSER` set.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exportOnnx } from '../../exporters/onnx/export.js';
import { InferenceSession } from '../../index.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { relativeError } from '../../testing/compare.js';
import { ZOO } from '../../zoo/index.js';
import { runFixtures } from './browser-fixture.js';
import type { PageReport } from './browser-entry.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader', '--no-sandbox'];

let bundled: Promise<string> | undefined;

function bundle(): Promise<string> {
  bundled ??= import('esbuild').then(async (esbuild) => {
    const r = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./browser-entry.js', import.meta.url))], bundle: true, format: 'esm',
      platform: 'browser', write: false, logLevel: 'silent', external: ['node:*', 'webgpu', 'onnxruntime-node'],
    });
    return r.outputFiles[0]!.text;
  });
  return bundled;
}

function serve(js: string): Promise<Server> {
  const html = '<!doctype html><html><head><script type="module" src="/page.js"></script></head><body></body></html>';
  const srv = createServer((req, res) => {
    if (req.url === '/page.js') { res.setHeader('content-type', 'text/javascript'); res.end(js); return; }
    res.setHeader('content-type', 'text/html');
    res.end(html);
  });
  return new Promise((ok) => srv.listen(0, '127.0.0.1', () => ok(srv)));
}

/**
 * Loads the page with `query` in headless Chromium and returns its report, or a skip reason.
 * @param ms how long the page may take
 */
async function pageReport(query: string, ms: number): Promise<PageReport | { skip: string }> {
  if (process.env.OPTIFLOW_SKIP_BROWSER) return { skip: 'OPTIFLOW_SKIP_BROWSER is set' };
  if (!existsSync(CHROMIUM)) return { skip: `no ${CHROMIUM}` };
  let chromium;
  let js: string;
  try {
    ({ chromium } = await import('playwright-core'));
    js = await bundle();
  } catch (e) {
    return { skip: `playwright-core or esbuild unavailable: ${(e as Error).message}` };
  }
  const srv = await serve(js);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/${query}`);
    const handle = await page.waitForFunction(() => (globalThis as { __optiflow?: unknown }).__optiflow, undefined, { timeout: ms })
      .catch((e: Error) => { throw new Error(`page did not finish: ${e.message}; page errors: ${errors.join('; ')}`); });
    const report = await handle.jsonValue() as PageReport;
    return report.noGpu ? { skip: `no WebGPU adapter in Chromium: ${report.noGpu}` } : report;
  } finally {
    await browser.close();
    srv.close();
  }
}

function skipped(t: TestContext, r: PageReport | { skip: string }): r is { skip: string } {
  if ('skip' in r) { t.skip(r.skip); return true; }
  return false;
}

test('the backend and a session run in headless Chromium and match js in Node', { timeout: 120_000 }, async (t) => {
  const report = await pageReport('', 90_000);
  if (skipped(t, report)) return;
  assert.equal(report.error, undefined);
  const want = await runFixtures(['js']);
  for (const got of report.results!) {
    const w = want.find((x) => x.model === got.model)!;
    assert.equal(got.y.length, w.y.length);
    got.y.forEach((v, i) => assert.ok(Math.abs(v - w.y[i]!) <= 1e-4 * Math.max(1, Math.abs(w.y[i]!)), `${got.model}[${i}]: ${v} vs ${w.y[i]}`));
    t.diagnostic(`${got.model}: ${got.placements.map((p) => `${p.node}→${p.backend}`).join(', ')}`);
  }
  const chain = report.results!.find((r) => r.model === 'chain')!;
  assert.deepEqual(chain.placements.map((p) => p.backend), ['webgpu', 'webgpu', 'webgpu', 'webgpu'], JSON.stringify(chain.placements));
});

function argmax(v: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[k]!) k = i;
  return k;
}

test('the built-in MobileNet v1 runs on webgpu in headless Chromium: same top-1 and outputs (1e-4) as wasm,js in Node', { timeout: 150_000 }, async (t) => {
  const report = await pageReport('?model=mobilenet_v1', 120_000);
  if (skipped(t, report)) return;
  assert.equal(report.error, undefined);
  const got = report.mobilenet!;
  const gpu = got.placements.filter((p) => p.backend === 'webgpu').length;
  assert.equal(gpu, got.placements.length, got.placements.filter((p) => p.backend !== 'webgpu').map((p) => `${p.node}: ${p.cause}`).join('; '));
  const m = ZOO.mobilenet_v1!;
  const s = await InferenceSession.create(exportOnnx(m.build()), { executionProviders: ['wasm', 'js'] });
  let want: TensorData;
  try {
    want = (await s.run(m.inputs(1) as never)).probabilities as unknown as TensorData;
  } finally {
    await s.release();
  }
  const w = want.data as Float32Array;
  assert.equal(got.probabilities.length, w.length);
  assert.equal(argmax(got.probabilities), argmax(w), 'top-1');
  const e = relativeError(got.probabilities, w);
  assert.ok(e <= 1e-4, `relative error ${e} vs wasm,js in Node`);
  t.diagnostic(`page: ${got.placements.length} nodes on webgpu, ${Math.round(report.ms!)} ms (session creation + one run, SwiftShader); relative error ${e.toExponential(2)}`);
});
