/**
 * Runs one ONNX backend test folder (`model.onnx` plus `test_data_set_N/`) through the public API:
 * inputs fed in graph-input order, outputs compared in graph-output order — against the expected
 * outputs, or, in differential mode, the session at an optimization level and the exported
 * optimized model against the unoptimized session.
 * @module
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { isOptiflowError } from '../ir/errors.js';
import { decodeOptionalProto, decodeSequenceProto, decodeTensorProto, type DecodedValue } from '../importers/onnx/tensor-proto.js';
import type { TensorData } from '../ir/tensor-data.js';
import type { ValueInfo } from '../ir/graph.js';
import { importOnnx } from '../importers/onnx/import.js';
import { BUILTIN_BACKENDS, DEFAULT_PROVIDERS, InferenceSession } from '../index.js';
import type { OptimizationLevel } from '../passes/pipelines.js';
import { optimize } from '../runtime/optimize.js';
import { Rng } from '../zoo/random.js';
import { compareTensors } from './compare.js';

/** How a test folder is run. */
export interface CaseOptions {
  /** `graphOptimizationLevel` of the session under test (default: the session's default, `all`). */
  level?: OptimizationLevel;
  /** Execution providers (default: the runtime's default providers). */
  executionProviders?: string[];
  /**
   * Differential mode: instead of the expected outputs, the reference is the same model at level
   * `disabled`; both the session at `level` and the optimized model exported to ONNX bytes (loaded
   * at `disabled`) must match it ({@link DIFFERENTIAL_RTOL}; integers, bools, strings exactly).
   * Folders without data sets get one set of seeded random inputs.
   */
  differential?: boolean;
  /** Model file in the folder (default `model.onnx`). */
  model?: string;
}

/** Relative tolerance of differential mode per float dtype (float16 and bfloat16 round coarser). */
export const DIFFERENTIAL_RTOL: Readonly<Record<string, number>> = {
  float32: 1e-4, float64: 1e-4, complex64: 1e-4, complex128: 1e-4, float16: 2e-3, bfloat16: 1e-2,
};

/** Outcome of one conformance test. */
export interface CaseResult {
  /** Test folder name (`test_add_bcast`). */
  name: string;
  /** Suite folder (`node`, `simple`, `pytorch-operator`). */
  suite: string;
  /** `unsupported`: the model uses an op, opset or type we do not claim; `error`: anything else thrown. */
  status: 'passed' | 'failed' | 'unsupported' | 'error';
  /** Op types the model uses (top level). */
  ops: string[];
  /** The op the test is about (from its name and ops). */
  op: string;
  /** Why it did not pass. */
  message?: string;
  /** Wall time, ms. */
  ms: number;
  /** Differential mode: the passes that changed the graph (empty when the optimizer left it as is). */
  applied?: string[];
}

/** Guesses the op a test is named after: the longest model op whose lowercase name prefixes the test name. */
export function primaryOp(name: string, ops: readonly string[]): string {
  const key = name.replace(/^test_/, '').replace(/_/g, '').toLowerCase();
  let best = '';
  for (const op of ops) if (key.startsWith(op.toLowerCase()) && op.length > best.length) best = op;
  return best || ops[0] || '?';
}

function decodeValue(v: ValueInfo, file: string): DecodedValue {
  const bytes = readFileSync(file);
  if (v.kind === 'sequence') return decodeSequenceProto(bytes, [file]);
  if (v.kind === 'optional') return decodeOptionalProto(bytes, [file]);
  return decodeTensorProto(bytes, [file]);
}

function compareValues(got: DecodedValue, want: DecodedValue, tol?: (t: TensorData) => number): string | undefined {
  if (want === null || got === null) return want === got ? undefined : `got ${got === null ? 'an empty optional' : 'a value'}, expected ${want === null ? 'an empty optional' : 'a value'}`;
  if (Array.isArray(want) || Array.isArray(got)) {
    if (!Array.isArray(want) || !Array.isArray(got)) return 'sequence vs tensor';
    if (want.length !== got.length) return `sequence of ${got.length}, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = compareValues(got[i]!, want[i]!, tol);
      if (d) return `sequence item ${i}: ${d}`;
    }
    return undefined;
  }
  const w = want as TensorData;
  return tol ? compareTensors(got as TensorData, w, tol(w), 1e-7) : compareTensors(got as TensorData, w);
}

/** Runs the test in `dir`. Never throws: every failure is a result. */
export async function runCase(dir: string, suite: string, options: CaseOptions = {}): Promise<CaseResult> {
  const name = basename(dir);
  const t0 = performance.now();
  let ops: string[] = [];
  let applied: string[] | undefined;
  const done = (status: CaseResult['status'], message?: string): CaseResult =>
    ({ name, suite, status, ops, op: primaryOp(name, ops), message, ms: performance.now() - t0, ...(applied ? { applied } : {}) });
  try {
    const bytes = readFileSync(join(dir, options.model ?? 'model.onnx'));
    try { ops = [...new Set(importOnnx(bytes).nodes.map((n) => n.opType))]; } catch { /* reported below */ }
    const sessionOptions = { executionProviders: options.executionProviders, graphOptimizationLevel: options.level };
    if (options.differential) {
      const random = ops.filter((o) => RANDOM_OPS.has(o));
      // Unseeded random ops draw a fresh stream every run: two runs agree only by chance.
      if (random.length) return done('unsupported', `nondeterministic: the model draws random numbers (${random.join(', ')})`);
      const r = await runDifferential(dir, bytes, options, (a) => { applied = a; });
      return r ? done(r.status, r.message) : done('passed');
    }
    let session;
    try {
      session = await InferenceSession.create(bytes, sessionOptions);
    } catch (e) {
      if (isOptiflowError(e) && (e.code === 'unsupported_op' || e.code === 'opset_out_of_range')) return done('unsupported', e.message);
      throw e;
    }
    try {
      return await checkDataSets(dir, session, done);
    } finally {
      await session.release();
    }
  } catch (e) {
    if (isOptiflowError(e) && (e.code === 'unsupported_op' || e.code === 'opset_out_of_range')) return done('unsupported', e.message);
    return done('error', (e as Error).message ?? String(e));
  }
}

/** Runs every `test_data_set_*` of `dir` through `session` against its expected outputs. */
async function checkDataSets(dir: string, session: InferenceSession,
  done: (status: CaseResult['status'], message?: string) => CaseResult): Promise<CaseResult> {
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  for (const s of sets) {
    const sdir = join(dir, s);
    const feeds: Record<string, DecodedValue> = {};
    session.graph.inputs.forEach((v, i) => {
      const f = join(sdir, `input_${i}.pb`);
      if (existsSync(f)) feeds[v.name] = decodeValue(v, f);
    });
    const outs = await session.runValues(feeds as never);
    for (let i = 0; i < session.outputNames.length; i++) {
      const f = join(sdir, `output_${i}.pb`);
      if (!existsSync(f)) continue;
      const want = decodeValue(session.graph.outputs[i]!, f);
      const diff = compareValues(outs[session.outputNames[i]!] ?? null, want);
      if (diff) return done('failed', `${s} output ${i} '${session.outputNames[i]}': ${diff}`);
    }
  }
  return done('passed');
}

/**
 * Differential mode of {@link runCase}: the reference session at `disabled`, the session under
 * test at `options.level` (default `all`), and the optimized model exported and reloaded. A model
 * whose reference is not reproducible (random ops without a seed) and a model the exporter cannot
 * write are `unsupported`, with the reason.
 * @returns the first difference as a failure, `undefined` when all match
 * @throws what session creation or a run throws (the caller turns it into a result)
 */
/** Ops whose outputs are random draws (unless seeded, which the differential mode does not assume). */
const RANDOM_OPS = new Set(['RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Bernoulli', 'Multinomial']);

async function runDifferential(dir: string, bytes: Uint8Array, options: CaseOptions, onApplied: (a: string[]) => void):
  Promise<{ status: CaseResult['status']; message: string } | undefined> {
  const level = options.level ?? 'all';
  const providers = options.executionProviders;
  const ref = await InferenceSession.create(bytes, { executionProviders: providers, graphOptimizationLevel: 'disabled' });
  const opt = await InferenceSession.create(bytes, { executionProviders: providers, graphOptimizationLevel: level });
  try {
    return await compareDifferential(dir, bytes, options, onApplied, ref, opt);
  } finally {
    await ref.release();
    await opt.release();
  }
}

async function compareDifferential(dir: string, bytes: Uint8Array, options: CaseOptions, onApplied: (a: string[]) => void,
  ref: InferenceSession, opt: InferenceSession): Promise<{ status: CaseResult['status']; message: string } | undefined> {
  const level = options.level ?? 'all';
  const providers = options.executionProviders;
  const r = await optimize(bytes, { level, executionProviders: providers }, BUILTIN_BACKENDS, DEFAULT_PROVIDERS);
  onApplied(r.applied);
  let file: InferenceSession | string;
  try {
    file = await InferenceSession.create(r.bytes(), { executionProviders: providers, graphOptimizationLevel: 'disabled' });
  } catch (e) {
    if (!isOptiflowError(e) || e.code !== 'invalid_argument') throw e;
    file = `the optimized model cannot be exported: ${e.message}`;
  }
  try {
    return await compareSets(dir, level, ref, opt, file);
  } finally {
    if (typeof file !== 'string') await file.release();
  }
}

async function compareSets(dir: string, level: string, ref: InferenceSession, opt: InferenceSession,
  file: InferenceSession | string): Promise<{ status: CaseResult['status']; message: string } | undefined> {
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  const feedSets = sets.map((s) => {
    const feeds: Record<string, DecodedValue> = {};
    ref.graph.inputs.forEach((v, i) => {
      const f = join(dir, s, `input_${i}.pb`);
      if (existsSync(f)) feeds[v.name] = decodeValue(v, f);
    });
    return { name: s, feeds };
  }).filter((s) => Object.keys(s.feeds).length > 0 || ref.graph.inputs.length === 0);
  if (feedSets.length === 0) feedSets.push({ name: 'random inputs', feeds: randomFeeds(ref) });
  const tol = (t: TensorData) => DIFFERENTIAL_RTOL[t.type] ?? 0;
  const differs = (got: Record<string, unknown>, want: Record<string, unknown>) => {
    for (const o of ref.outputNames) {
      const diff = compareValues((got[o] ?? null) as DecodedValue, (want[o] ?? null) as DecodedValue, tol);
      if (diff) return `output '${o}': ${diff}`;
    }
    return undefined;
  };
  for (const { name, feeds } of feedSets) {
    const want = await ref.runValues(feeds as never);
    const candidates: [string, InferenceSession][] = [[`level ${level}`, opt]];
    if (typeof file !== 'string') candidates.push(['exported optimized model', file]);
    for (const [what, s] of candidates) {
      const diff = differs(await s.runValues(feeds as never), want);
      if (!diff) continue;
      const again = differs(await ref.runValues(feeds as never), want);
      if (again) return { status: 'unsupported', message: `nondeterministic: two runs at level disabled differ (${name} ${again})` };
      return { status: 'failed', message: `${what} vs disabled, ${name} ${diff}` };
    }
  }
  return typeof file === 'string' ? { status: 'unsupported', message: `level ${level} matches; ${file}` } : undefined;
}

/** Seeded inputs for a model without data sets: floats uniform in [0, 1), symbolic dims 1. */
function randomFeeds(s: InferenceSession): Record<string, TensorData> {
  const rng = new Rng(1);
  const feeds: Record<string, TensorData> = {};
  for (const m of s.inputMetadata) {
    if (m.type !== 'float32' || !m.shape) throw new Error(`cannot generate input '${m.name}' (${m.type ?? 'unknown type'}); add a test_data_set_0`);
    const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1));
    feeds[m.name] = { type: 'float32', dims, data: rng.uniforms(dims.reduce((a, b) => a * b, 1), 0, 1) };
  }
  return feeds;
}
