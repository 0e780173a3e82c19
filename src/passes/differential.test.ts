/**
 * The optimizer's differential bar: on every ONNX backend conformance test and every real model in
 * the shared test data, the session at level `all` — and the optimized model exported to standard
 * ONNX and reloaded — give the same outputs as the session at level `disabled` (float32 within
 * 1e-4 relative, integers exactly; see `DIFFERENTIAL_RTOL`). Each test runs in the conformance
 * runner's worker with a time limit. Run with the js backend alone (the reference semantics) and
 * with the default providers (where the capability oracle decides which backend gets fused nodes).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import type { CaseResult } from '../conformance/case.js';
import { runCases, runConformance, type CaseSpec } from '../conformance/runner.js';
import { sharedTestdata, skipUnless } from '../testing/paths.js';

const backendTests = join(sharedTestdata(), 'onnx-backend');
const models = join(sharedTestdata(), 'models', 'onnx');

/** Reasons a test may be left out of the comparison: the model cannot be loaded, is not reproducible, or cannot be exported. */
const ACCEPTED_UNSUPPORTED = /no schema for op|opset|not supported|nondeterministic|cannot be exported/;

function check(results: readonly CaseResult[], label: string): void {
  const bad = results.filter((r) => r.status === 'failed' || r.status === 'error');
  assert.deepEqual(bad.map((r) => `${r.suite}/${r.name}: ${r.message}`), [], `${label}: level all differs from level disabled`);
  const unexplained = results.filter((r) => r.status === 'unsupported' && !ACCEPTED_UNSUPPORTED.test(r.message ?? ''));
  assert.deepEqual(unexplained.map((r) => `${r.suite}/${r.name}: ${r.message}`), [], `${label}: skipped without a known reason`);
  const passed = results.filter((r) => r.status === 'passed').length;
  const changed = results.filter((r) => r.status === 'passed' && r.applied?.length).length;
  process.stdout.write(`differential ${label}: ${passed}/${results.length} match (${changed} changed by the optimizer), ${results.length - passed} skipped with reasons\n`);
}

for (const providers of [['js'], undefined]) {
  const label = providers ? providers.join(',') : 'default providers';

  test(`ONNX backend tests: level all and its exported model match level disabled (${label})`, { skip: skipUnless(backendTests), timeout: 15 * 60_000 }, async () => {
    const results = await runConformance(backendTests, {
      timeoutMs: 120_000, caseOptions: { differential: true, level: 'all', executionProviders: providers },
    });
    assert.ok(results.length > 0, 'no test folders found');
    check(results, `onnx-backend (${label})`);
  });

  test(`real models: level all and its exported model match level disabled (${label})`, { skip: skipUnless(models), timeout: 10 * 60_000 }, async () => {
    const cases: CaseSpec[] = readdirSync(models).sort().flatMap((d) => {
      const dir = join(models, d);
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.onnx')).map((model) => ({ dir, suite: 'models', model })) : [];
    });
    assert.ok(cases.length > 0, 'no models found');
    const results = await runCases(cases, { timeoutMs: 300_000, caseOptions: { differential: true, level: 'all', executionProviders: providers } });
    const notRun = results.filter((r) => r.status !== 'passed');
    assert.deepEqual(notRun.map((r) => `${r.name}: ${r.status} ${r.message}`), [], 'every real model runs and matches');
    check(results, `models (${label})`);
  });
}
