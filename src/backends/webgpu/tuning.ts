/**
 * Workgroup-size / tile tuning: times each candidate of a kernel's {@link GpuTuningProblem} on the
 * actual adapter (submit, then `onSubmittedWorkDone`; the median of several repeats after warm-up),
 * keeps the winners in a {@link TuningTable}, and saves it as a per-adapter JSON cache file that later
 * sessions load into {@link GpuCreateCtx.tuned} (TensorRT's timing cache idea).
 *
 * File (Node): `~/.cache/optiflow/webgpu-tuning-<adapter>.json` unless a path is given; written
 * atomically (a temporary file in the same directory, then rename).
 * @module
 */
/// <reference types="@webgpu/types" />
import { OptiflowError } from '../../ir/errors.js';
import { gpuAwait } from './device.js';
import { RunEncoder } from './encoder.js';
import type { GpuEncoder, GpuTuningProblem } from './kernel.js';
import type { GpuContext } from './segment.js';

/** One tuned choice. */
export interface TuningEntry {
  readonly choice: readonly number[];
  /** Median time of the winner per run, milliseconds (submit to `onSubmittedWorkDone`). */
  readonly ms: number;
  /** Number of candidates timed. */
  readonly tried: number;
}

/** The JSON layout of a cache file. */
export interface TuningFile {
  readonly version: 1;
  readonly adapter: string;
  readonly description?: string;
  readonly entries: Readonly<Record<string, TuningEntry>>;
}

/** Tuned choices by key, for one adapter. */
export class TuningTable {
  private readonly map = new Map<string, TuningEntry>();

  /**
   * @param adapter the adapter key (`GpuDeviceHandle.adapterKey`) the timings belong to
   * @param description human-readable adapter description
   */
  constructor(readonly adapter: string, readonly description = '') {}

  /** The tuned choice for `key`. */
  get(key: string): readonly number[] | undefined {
    return this.map.get(key)?.choice;
  }

  /** The full entry for `key`. */
  entry(key: string): TuningEntry | undefined {
    return this.map.get(key);
  }

  /** Records the winner for `key`. */
  set(key: string, e: TuningEntry): void {
    this.map.set(key, e);
  }

  /** Number of keys. */
  get size(): number {
    return this.map.size;
  }

  /** The cache file's JSON. */
  toJSON(): TuningFile {
    return { version: 1, adapter: this.adapter, description: this.description, entries: Object.fromEntries(this.map) };
  }

  /**
   * A table from parsed JSON; entries that are not well-formed are dropped.
   * @throws OptiflowError `invalid_argument` when the file is for another adapter
   */
  static fromJSON(j: unknown, adapter: string): TuningTable {
    const t = new TuningTable(adapter);
    if (!j || typeof j !== 'object') return t;
    const f = j as Partial<TuningFile>;
    if (f.adapter !== undefined && f.adapter !== adapter) {
      throw new OptiflowError('invalid_argument', `webgpu tuning cache is for adapter '${f.adapter}', this is '${adapter}'`);
    }
    for (const [k, e] of Object.entries(f.entries ?? {})) {
      const ok = e && Array.isArray(e.choice) && e.choice.every((x) => Number.isFinite(x)) && Number.isFinite(e.ms);
      if (ok) t.set(k, { choice: [...e.choice], ms: e.ms, tried: Number(e.tried) || 0 });
    }
    return t;
  }
}

/** `~/.cache/optiflow/webgpu-tuning-<adapterKey>.json` (Node only). */
export async function defaultTuningCachePath(adapterKey: string): Promise<string> {
  const os = await import('node:os');
  const path = await import('node:path');
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'optiflow', `webgpu-tuning-${adapterKey}.json`);
}

/**
 * Loads the cache file at `file`; a missing or unreadable file (or one for another adapter) gives
 * an empty table, never a throw: tuning is an optimization.
 */
export async function loadTuningTable(file: string, adapterKey: string, description = ''): Promise<TuningTable> {
  try {
    const fs = await import('node:fs/promises');
    const t = TuningTable.fromJSON(JSON.parse(await fs.readFile(file, 'utf8')), adapterKey);
    return Object.assign(t, { description });
  } catch {
    return new TuningTable(adapterKey, description);
  }
}

/**
 * Writes `table` to `file` atomically (temporary file in the same directory, then rename), creating
 * the directory.
 * @throws OptiflowError `io_error` when the file cannot be written
 */
export async function saveTuningTable(table: TuningTable, file: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, JSON.stringify(table.toJSON(), null, 1));
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new OptiflowError('io_error', `webgpu: cannot write tuning cache: ${(e as Error).message}`, [file]);
  }
}

/** Options of {@link tuneProblems}. */
export interface TuneOptions {
  /** Timed runs per candidate (default 5; the median counts). */
  readonly repeats?: number;
  /** Untimed runs first (default 1). */
  readonly warmup?: number;
  /** Clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
  /** Re-time keys already in the table (default false). */
  readonly retune?: boolean;
}

async function timeOnce(ctx: GpuContext, record: (enc: GpuEncoder) => void, now: () => number): Promise<number | undefined> {
  const enc = new RunEncoder(ctx.device, ctx.pool, ctx.uniforms);
  ctx.device.pushErrorScope('validation');
  let t0 = 0;
  let scope: Promise<GPUError | null>;
  try {
    record(enc);
    const cmd = enc.finish();
    t0 = now();
    ctx.device.queue.submit([cmd]);
  } finally {
    scope = ctx.device.popErrorScope(); // brackets synchronous calls only (see segment.ts)
  }
  try {
    await gpuAwait(ctx.device.queue.onSubmittedWorkDone());
    const ms = now() - t0;
    return (await gpuAwait(scope)) ? undefined : ms;
  } finally {
    enc.release();
  }
}

/**
 * Times every candidate of every problem (keys already in `table` are skipped unless `retune`) and
 * stores each winner in `table`. Candidates whose `prepare` rejects, or that raise a validation
 * error, are skipped; a problem with no valid candidate is left out.
 * @returns the keys tuned in this call
 */
export async function tuneProblems(ctx: GpuContext, problems: readonly GpuTuningProblem[], table: TuningTable,
  options: TuneOptions = {}): Promise<string[]> {
  const repeats = Math.max(1, options.repeats ?? 5);
  const warmup = Math.max(0, options.warmup ?? 1);
  const now = options.now ?? (() => performance.now());
  const done: string[] = [];
  for (const p of problems) {
    if (!options.retune && table.get(p.key)) continue;
    let best: { choice: readonly number[]; ms: number } | undefined;
    let tried = 0;
    for (const choice of p.candidates) {
      let record;
      try {
        record = await p.prepare(choice);
      } catch {
        continue;
      }
      const times: number[] = [];
      let failed = false;
      for (let r = 0; r < warmup + repeats && !failed; r++) {
        let ms: number | undefined;
        try {
          ms = await timeOnce(ctx, record, now);
        } catch {
          ms = undefined;
        }
        if (ms === undefined) failed = true;
        else if (r >= warmup) times.push(ms);
      }
      if (failed) continue;
      tried++;
      times.sort((a, b) => a - b);
      const ms = times[Math.floor(times.length / 2)]!;
      if (!best || ms < best.ms) best = { choice, ms };
    }
    if (best) {
      table.set(p.key, { choice: [...best.choice], ms: best.ms, tried });
      done.push(p.key);
    }
  }
  return done;
}
