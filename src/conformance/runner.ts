/**
 * The conformance runner: walks the ONNX backend test folders and runs each test in a worker
 * thread with a time limit, so a hang or crash costs one test, never the run.
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CaseOptions, CaseResult } from './case.js';

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** Suites to run (sub-folders of the root); default `node`, `simple`, `pytorch-operator`. */
  suites?: readonly string[];
  /** Only tests whose name matches. */
  filter?: RegExp;
  /** Per-test time limit, ms (default 60,000). */
  timeoutMs?: number;
  /** Called after each test. */
  onResult?: (r: CaseResult, done: number, total: number) => void;
  /** How each test runs: optimization level, providers, differential mode (see {@link CaseOptions}). */
  caseOptions?: CaseOptions;
}

/** One test folder to run; `model` names the model file when it is not `model.onnx`. */
export interface CaseSpec {
  dir: string;
  suite: string;
  model?: string;
}

/** Default suites of the ONNX backend test data. */
export const DEFAULT_SUITES = ['node', 'simple', 'pytorch-operator'] as const;

/** Lists the test folders of `root` for the given suites. */
export function listCases(root: string, suites: readonly string[], filter?: RegExp): { dir: string; suite: string }[] {
  const out: { dir: string; suite: string }[] = [];
  for (const suite of suites) {
    const sdir = join(root, suite);
    if (!existsSync(sdir)) continue;
    for (const name of readdirSync(sdir).sort()) {
      const dir = join(sdir, name);
      if (filter && !filter.test(name)) continue;
      if (statSync(dir).isDirectory() && existsSync(join(dir, 'model.onnx'))) out.push({ dir, suite });
    }
  }
  return out;
}

/**
 * Runs every test folder under `root` and returns one result per test, in folder order.
 * Tests that exceed the time limit or kill their worker are reported as `error`.
 */
export async function runConformance(root: string, options: ConformanceOptions = {}): Promise<CaseResult[]> {
  return runCases(listCases(root, options.suites ?? DEFAULT_SUITES, options.filter), options);
}

/**
 * Runs the given test folders, each in the worker with the time limit, one result per folder in
 * order (`suites` and `filter` of the options are not used).
 */
export async function runCases(cases: readonly CaseSpec[], options: ConformanceOptions = {}): Promise<CaseResult[]> {
  const timeout = options.timeoutMs ?? 60_000;
  const results: CaseResult[] = [];
  const workerUrl = new URL('./worker.js', import.meta.url);
  let worker: Worker | undefined;
  const spawn = () => new Worker(workerUrl, { resourceLimits: { maxOldGenerationSizeMb: 4096 } });
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    worker ??= spawn();
    const w = worker;
    const r = await new Promise<CaseResult>((resolve) => {
      const name = c.dir.split(/[\\/]/).pop()!;
      const fail = (message: string): CaseResult => ({ name, suite: c.suite, status: 'error', ops: [], op: '?', message, ms: timeout });
      const timer = setTimeout(() => { cleanup(); void w.terminate(); worker = undefined; resolve(fail(`timed out after ${timeout} ms`)); }, timeout);
      const onMsg = (m: CaseResult) => { cleanup(); resolve(m); };
      const onErr = (e: Error) => { cleanup(); worker = undefined; resolve(fail(`worker crashed: ${e.message}`)); };
      const onExit = (code: number) => { cleanup(); worker = undefined; resolve(fail(`worker exited with code ${code}`)); };
      const cleanup = () => { clearTimeout(timer); w.off('message', onMsg); w.off('error', onErr); w.off('exit', onExit); };
      w.on('message', onMsg); w.on('error', onErr); w.on('exit', onExit);
      w.postMessage({ dir: c.dir, suite: c.suite, options: { ...options.caseOptions, ...(c.model ? { model: c.model } : {}) } });
    });
    results.push(r);
    options.onResult?.(r, i + 1, cases.length);
  }
  if (worker) await worker.terminate();
  return results;
}

/** Per-op and total counts of results. */
export interface ConformanceSummary {
  total: { passed: number; failed: number; unsupported: number; error: number };
  bySuite: Record<string, { passed: number; failed: number; unsupported: number; error: number; total: number }>;
  byOp: Record<string, { passed: number; failed: number; unsupported: number; error: number }>;
}

/** Counts results by status, per suite and per primary op. */
export function summarize(results: readonly CaseResult[]): ConformanceSummary {
  const zero = () => ({ passed: 0, failed: 0, unsupported: 0, error: 0 });
  const s: ConformanceSummary = { total: zero(), bySuite: {}, byOp: {} };
  for (const r of results) {
    s.total[r.status]++;
    const su = (s.bySuite[r.suite] ??= { ...zero(), total: 0 });
    su[r.status]++; su.total++;
    (s.byOp[r.op] ??= zero())[r.status]++;
  }
  return s;
}
