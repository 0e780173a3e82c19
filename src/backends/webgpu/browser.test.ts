/**
 * Headless Chromium: bundles `browser-entry.ts` (backend + session) with esbuild, serves it on
 * 127.0.0.1, runs the fixtures with `webgpu` first in the page (Chromium's own SwiftShader adapter
 * via `--use-webgpu-adapter=swiftshader`) and compares with `js` in Node.
 * Skips, saying why, without `/usr/bin/chromium`, playwright-core, esbuild or a WebGPU adapter in
 * the page, or with `OPTIFLOW_SKIP_BROWSER` set.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runFixtures } from './browser-fixture.js';
import type { PageReport } from './browser-entry.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader', '--no-sandbox'];

async function bundle(): Promise<string> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./browser-entry.js', import.meta.url))], bundle: true, format: 'esm',
    platform: 'browser', write: false, logLevel: 'silent', external: ['node:*', 'webgpu', 'onnxruntime-node'],
  });
  return r.outputFiles[0]!.text;
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

test('the backend and a session run in headless Chromium and match js in Node', { timeout: 120_000 }, async (t) => {
  if (process.env.OPTIFLOW_SKIP_BROWSER) return t.skip('OPTIFLOW_SKIP_BROWSER is set');
  if (!existsSync(CHROMIUM)) return t.skip(`no ${CHROMIUM}`);
  let chromium;
  let js: string;
  try {
    ({ chromium } = await import('playwright-core'));
    js = await bundle();
  } catch (e) {
    return t.skip(`playwright-core or esbuild unavailable: ${(e as Error).message}`);
  }
  const srv = await serve(js);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  let report: PageReport;
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/`);
    const handle = await page.waitForFunction(() => (globalThis as { __optiflow?: unknown }).__optiflow, undefined, { timeout: 90_000 })
      .catch((e: Error) => { throw new Error(`page did not finish: ${e.message}; page errors: ${errors.join('; ')}`); });
    report = await handle.jsonValue() as PageReport;
  } finally {
    await browser.close();
    srv.close();
  }
  if (report.noGpu) return t.skip(`no WebGPU adapter in Chromium: ${report.noGpu}`);
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
