/**
 * `optiflow run MODEL`: runs a model once on given inputs (`.pb` TensorProto or `.npy` files) or
 * seeded random ones, prints each output's shape, first values and, for classifier-shaped outputs,
 * the top 5 classes; `--output DIR` saves every output as `.npy`.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { OptiflowError, Tensor, decodeTensorProto, type TensorData, type ValueMetadata } from '../index.js';
import type { DType } from '../ir/dtype.js';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../ir/float16.js';
import { createSession, resolveModel } from './model-source.js';
import { decodeNpy, encodeNpy } from './npy.js';
import { Rng } from '../zoo/random.js';

/** Options of {@link runModel}. */
export interface RunOptions {
  /** `name=file` specs (`.npy` or TensorProto `.pb`). */
  inputs?: string[];
  /** Folder to write each output as `<name>.npy`. */
  outputDir?: string;
  /** Seed of random inputs (default 0). */
  seed?: number;
  /** Size given to symbolic dims of random inputs (default 1). */
  batch?: number;
  /** Intra-op threads. */
  threads?: number;
  /** Inter-op threads. */
  interOpThreads?: number;
  /** Execution providers in priority order (default: the library's defaults). */
  executionProviders?: string[];
  /** Precision of segment backends (`onednn`, `webgpu`). */
  precision?: 'fp32' | 'fp16' | 'bf16';
}

/** What {@link runModel} produced. */
export interface RunResult {
  model: string;
  feeds: Record<string, TensorData>;
  outputs: Record<string, TensorData>;
  /** Wall time of `session.run`, ms. */
  ms: number;
  /** Files written under `outputDir`. */
  written: string[];
}

/**
 * Parses `name=path`.
 * @throws OptiflowError `invalid_argument` when there is no `=` or a side is empty.
 */
export function parseInputSpec(spec: string): { name: string; file: string } {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) throw new OptiflowError('invalid_argument', `--input '${spec}' must be NAME=FILE (.npy or .pb)`);
  return { name: spec.slice(0, i), file: spec.slice(i + 1) };
}

/**
 * Reads a tensor file: `.npy` by extension or magic bytes, otherwise a serialized TensorProto.
 * @throws OptiflowError `io_error` when unreadable, `invalid_argument`/`invalid_model` when undecodable.
 */
export function readTensorFile(file: string): TensorData {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new OptiflowError('io_error', `cannot read input: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, [file]);
  }
  const isNpy = file.endsWith('.npy') || (bytes[0] === 0x93 && bytes[1] === 0x4e);
  return isNpy ? decodeNpy(bytes, file) : decodeTensorProto(bytes, [file]);
}

/**
 * A seeded random tensor for one model input: floats uniform in [-1, 1), integer inputs whose
 * name mentions a mask all ones, other integers in [0, 100), bools 0/1; symbolic dims get `batch`.
 * @throws OptiflowError `invalid_argument` for inputs of unknown rank or a dtype we cannot generate.
 */
export function randomInput(meta: ValueMetadata, rng: Rng, batch = 1): TensorData {
  if (!meta.shape || !meta.type) throw new OptiflowError('invalid_argument', `input '${meta.name}' has no declared dtype/shape; pass it with --input`);
  const dims = meta.shape.map((d) => (typeof d === 'number' ? d : batch));
  const n = dims.reduce((a, b) => a * b, 1);
  const type: DType = meta.type;
  const isMask = /mask/i.test(meta.name);
  const ints = () => Array.from({ length: n }, () => (isMask ? 1 : rng.int(0, 100)));
  switch (type) {
    case 'float32': return new Tensor(type, rng.uniforms(n, -1, 1), dims);
    case 'float64': return new Tensor(type, Float64Array.from(rng.uniforms(n, -1, 1)), dims);
    case 'float16': return new Tensor(type, float32ArrayToHalf(rng.uniforms(n, -1, 1)), dims);
    case 'int64': return new Tensor(type, BigInt64Array.from(ints(), (v) => BigInt(v)), dims);
    case 'uint64': return new Tensor(type, BigUint64Array.from(ints(), (v) => BigInt(v)), dims);
    case 'int32': case 'int16': case 'int8': case 'uint8': case 'uint16': case 'uint32':
      return new Tensor(type, ints(), dims);
    case 'bool': return new Tensor(type, Uint8Array.from({ length: n }, () => (isMask || rng.next() < 0.5 ? 1 : 0)), dims);
    default: throw new OptiflowError('invalid_argument', `cannot generate a random ${type} input for '${meta.name}'; pass it with --input`);
  }
}

/**
 * Loads MODEL, builds the feeds and runs it once.
 * @throws OptiflowError from loading, reading inputs, running, or writing outputs.
 */
export async function runModel(model: string, o: RunOptions = {}): Promise<RunResult> {
  const src = resolveModel(model);
  const session = await createSession(src, {
    intraOpNumThreads: o.threads, interOpNumThreads: o.interOpThreads, precision: o.precision,
    ...(o.executionProviders ? { executionProviders: o.executionProviders } : {}),
  });
  const feeds: Record<string, TensorData> = {};
  for (const spec of o.inputs ?? []) {
    const { name, file } = parseInputSpec(spec);
    if (!session.inputNames.includes(name)) {
      throw new OptiflowError('invalid_argument', `--input ${name}: the model has no input '${name}'; inputs are ${session.inputNames.join(', ')}`);
    }
    feeds[name] = readTensorFile(file);
  }
  const seed = o.seed ?? 0;
  const missing = session.inputMetadata.filter((m) => !feeds[m.name]);
  if (missing.length === session.inputNames.length && src.zoo) {
    Object.assign(feeds, src.zoo.inputs(o.batch ?? 1, seed));
  } else {
    const rng = new Rng(seed);
    for (const m of missing) feeds[m.name] = randomInput(m, rng, o.batch ?? 1);
  }
  const t0 = performance.now();
  const outputs = await session.run(feeds);
  const ms = performance.now() - t0;
  const written: string[] = [];
  if (o.outputDir) {
    mkdirSync(o.outputDir, { recursive: true });
    for (const [name, t] of Object.entries(outputs)) {
      const file = join(o.outputDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.npy`);
      const tmp = `${file}.tmp-${process.pid}`;
      try {
        writeFileSync(tmp, encodeNpy(t));
        renameSync(tmp, file);
      } catch (e) {
        if (e instanceof OptiflowError) throw e;
        throw new OptiflowError('io_error', `cannot write output: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, [file]);
      }
      written.push(file);
    }
  }
  return { model: src.name, feeds, outputs, ms, written };
}

/** The `k` largest values of a numeric vector with their indices, largest first. */
export function topK(values: ArrayLike<number>, k: number): { index: number; value: number }[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  return idx.slice(0, k).map((i) => ({ index: i, value: values[i]! }));
}

/** True for `[C]` or `[1, C]` float outputs with C >= 10 (one example's class scores). */
export function isClassifierShaped(t: TensorData): boolean {
  const d = t.dims;
  const c = d.length === 1 ? d[0]! : d.length === 2 && d[0] === 1 ? d[1]! : 0;
  return c >= 10 && (t.type === 'float32' || t.type === 'float64');
}

const fmt = (x: number | bigint | string) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toPrecision(6)) : String(x));

/** The human-readable summary of a run. */
export function formatRun(r: RunResult, count = 8): string {
  const lines = [`model: ${r.model}`, 'inputs:'];
  for (const [k, t] of Object.entries(r.feeds)) lines.push(`  ${k}  ${t.type} [${t.dims.join(',')}]`);
  lines.push(`outputs (run ${r.ms.toFixed(1)} ms):`);
  for (const [k, t] of Object.entries(r.outputs)) {
    const data = (t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : t.data) as ArrayLike<number | bigint | string>;
    const first = Array.from({ length: Math.min(count, data.length) }, (_, i) => fmt(data[i]!));
    lines.push(`  ${k}  ${t.type} [${t.dims.join(',')}]`);
    lines.push(`    first ${first.length}: ${first.join(', ')}${data.length > count ? ', ...' : ''}`);
    if (isClassifierShaped(t)) {
      lines.push(`    top-5: ${topK(t.data as ArrayLike<number>, 5).map((e) => `#${e.index} ${fmt(e.value)}`).join(', ')}`);
    }
  }
  for (const f of r.written) lines.push(`wrote ${f}`);
  return `${lines.join('\n')}\n`;
}

/** Adds the `run` command. */
export function registerRun(program: Command): void {
  program.command('run')
    .description('run a model once on given or seeded random inputs and print its outputs')
    .argument('<model>', 'an .onnx file or a built-in model name (see `optiflow zoo`)')
    .option('--input <name=file>', 'an input from a .npy or TensorProto .pb file (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--output <dir>', 'write each output to DIR/<name>.npy')
    .option('--seed <n>', 'seed of random inputs', '0')
    .option('--batch <n>', 'size of symbolic (batch) dims of random inputs', '1')
    .option('--threads <n>', 'intra-op threads (default: chosen by the runtime)')
    .option('--inter-op-threads <n>', 'inter-op threads: independent nodes at once (default: chosen by the runtime)')
    .option('--ep <list>', 'execution providers in priority order, comma-separated (e.g. onednn,wasm,js)')
    .option('--precision <p>', 'precision of segment backends (onednn, webgpu): fp32, bf16 or fp16')
    .action(async (model: string, o: { input: string[]; output?: string; seed: string; batch: string; threads?: string; interOpThreads?: string; ep?: string; precision?: string }) => {
      const r = await runModel(model, {
        inputs: o.input, outputDir: o.output, seed: intOption('--seed', o.seed, 0),
        batch: intOption('--batch', o.batch, 1), threads: o.threads === undefined ? undefined : intOption('--threads', o.threads, 0),
        interOpThreads: o.interOpThreads === undefined ? undefined : intOption('--inter-op-threads', o.interOpThreads, 0),
        executionProviders: o.ep?.split(',').map((x) => x.trim()).filter(Boolean),
        precision: o.precision as RunOptions['precision'],
      });
      process.stdout.write(formatRun(r));
    });
}

/**
 * Parses an integer option.
 * @throws OptiflowError `invalid_argument` when not an integer >= `min`.
 */
export function intOption(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new OptiflowError('invalid_argument', `${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}
