/**
 * `optiflow bench [MODEL]`: latency (median, p90, p99) and throughput of a model in real-time mode
 * (batch 1) and max-throughput mode (batch `--batch`). Without MODEL the built-in MobileNet v1 is
 * built in memory, exported to bytes and loaded like any model.
 * @module
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { BUILTIN_BACKENDS, InferenceSession, OptiflowError, type SessionOptions, type TensorData } from '../index.js';
import { InferenceSession as CoreSession } from '../runtime/session.js';
import { Rng } from '../zoo/random.js';
import { createSession, resolveModel, sessionInput } from './model-source.js';
import { intOption, randomInput } from './run.js';

/** Benchmark modes. */
export type BenchMode = 'realtime' | 'throughput' | 'both';

/** Options of {@link benchModel}. */
export interface BenchOptions {
  /** Batch of the throughput mode (default 4). */
  batch?: number;
  /** Intra-op threads (default: chosen by the runtime). */
  threads?: number;
  /** Inter-op threads (default: chosen by the runtime). */
  interOpThreads?: number;
  /** Precision of segment backends (`onednn`, `webgpu`): fp32 (default), bf16, fp16. */
  precision?: 'fp32' | 'fp16' | 'bf16';
  /** Minimum segment size of segment backends (default: the backend's, 3). */
  minSegmentSize?: number;
  /** Untimed runs before measuring (default 1). */
  warmup?: number;
  /** Timed runs (default 10; ignored when `durationS` is set). */
  iterations?: number;
  /** Measure for this many seconds instead of a fixed count (at least one run). */
  durationS?: number;
  /** Which modes to run (default both). */
  mode?: BenchMode;
  /**
   * Stop a mode's timed runs once this many seconds (warmup included) have passed, after at least
   * one timed run. Default: none; the command sets 12 s when neither --iterations nor --duration
   * is given, so that a slow model still finishes quickly.
   */
  maxSeconds?: number;
  /** Show a progress bar on stderr (default: when stderr is a TTY). */
  progress?: boolean;
  /** Graph optimization level (default `all`). */
  level?: SessionOptions['graphOptimizationLevel'];
  /** Execution providers in priority order (default: the runtime's default). */
  executionProviders?: string[];
  /** Time every node and report per-op-type totals (`profile` in the report). */
  profile?: boolean;
}

/** Latency statistics in milliseconds. */
export interface LatencyStats { median: number; p90: number; p99: number; mean: number; min: number; max: number }

/** The measurement of one mode. */
export interface BenchResult {
  mode: 'realtime' | 'throughput';
  batch: number;
  warmup: number;
  iterations: number;
  /** Sum of timed run durations, ms. */
  totalMs: number;
  latencyMs: LatencyStats;
  /** Inferences (examples) per second: batch * iterations / total time. */
  throughput: number;
}

/** A whole benchmark report. */
export interface BenchReport {
  model: string;
  threads: number | 'auto';
  results: BenchResult[];
  /** Nodes per backend (of the optimized graph), e.g. `{ onednn: 31 }`. */
  backends?: Record<string, number>;
  /** Per-op-type totals over all runs (warmup included), when profiling was asked for. */
  profile?: { opType: string; ms: number; count: number; share: number }[];
}

/** The `q`-quantile (0..1) of sorted values, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Latency statistics of run durations (ms). */
export function latencyStats(times: readonly number[]): LatencyStats {
  const s = [...times].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99),
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN,
  };
}

/**
 * Benchmarks a model (default the built-in `mobilenet_v1`).
 * @throws OptiflowError from loading or running the model, `invalid_argument` for bad options.
 */
export async function benchModel(model: string | undefined, o: BenchOptions = {}): Promise<BenchReport> {
  const mode = (o.mode as string) === 'latency' ? 'realtime' : o.mode ?? 'both';
  if (!['realtime', 'throughput', 'both'].includes(mode)) throw new OptiflowError('invalid_argument', `--mode must be realtime, throughput or both, got '${mode}'`);
  const src = resolveModel(model ?? 'mobilenet_v1');
  const session = await createSession(src, {
    intraOpNumThreads: o.threads, interOpNumThreads: o.interOpThreads, graphOptimizationLevel: o.level, enableProfiling: o.profile,
    precision: o.precision, minSegmentSize: o.minSegmentSize,
    ...(o.executionProviders ? { executionProviders: o.executionProviders } : {}),
  });
  const dynamic = session.inputMetadata.some((m) => m.shape?.some((d) => typeof d === 'string'));
  const fixedBatch = (() => { const d = session.inputMetadata[0]?.shape?.[0]; return typeof d === 'number' ? d : 1; })();
  const modes: ['realtime' | 'throughput', number][] = [];
  if (mode !== 'throughput') modes.push(['realtime', dynamic ? 1 : fixedBatch]);
  if (mode !== 'realtime') modes.push(['throughput', dynamic ? (o.batch ?? 4) : fixedBatch]);
  const results: BenchResult[] = [];
  for (const [m, batch] of modes) {
    const feeds = makeFeeds(session.inputMetadata, src.zoo, batch);
    results.push(await measure(m, batch, () => session.run(feeds), o));
  }
  const backends: Record<string, number> = {};
  for (const p of session.placements) backends[p.backend] = (backends[p.backend] ?? 0) + 1;
  const report: BenchReport = { model: src.name, threads: o.threads ?? 'auto', results, backends };
  if (o.profile) report.profile = session.profilingSummary();
  await session.release();
  return report;
}

function makeFeeds(metas: InferenceSession['inputMetadata'], zoo: { inputs(b: number): Record<string, TensorData> } | undefined, batch: number): Record<string, TensorData> {
  if (zoo) return zoo.inputs(batch);
  const rng = new Rng(0);
  return Object.fromEntries(metas.map((m) => [m.name, randomInput(m, rng, batch)]));
}

async function measure(mode: 'realtime' | 'throughput', batch: number, run: () => Promise<unknown>, o: BenchOptions): Promise<BenchResult> {
  const warmup = o.warmup ?? 1;
  const iterations = o.iterations ?? 10;
  const durationMs = o.durationS !== undefined ? o.durationS * 1000 : undefined;
  const showBar = o.progress ?? process.stderr.isTTY === true;
  const bar = showBar ? new cliProgress.SingleBar({
    stream: process.stderr, format: `${mode.padEnd(10)} batch ${batch} [{bar}] {percentage}% | {value}/{total} {unit}`,
    hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic) : undefined;
  const total = durationMs !== undefined ? Math.ceil(durationMs / 100) : warmup + iterations;
  bar?.start(total, 0, { unit: durationMs !== undefined ? 'x0.1s' : 'runs' });
  const modeStart = performance.now();
  try {
    for (let i = 0; i < warmup; i++) {
      await run();
      if (durationMs === undefined) bar?.increment();
    }
    const times: number[] = [];
    const start = performance.now();
    const capMs = o.maxSeconds !== undefined && durationMs === undefined ? o.maxSeconds * 1000 : Infinity;
    for (;;) {
      const t0 = performance.now();
      await run();
      const t1 = performance.now();
      times.push(t1 - t0);
      if (durationMs !== undefined) {
        bar?.update(Math.min(total, Math.floor((t1 - start) / 100)));
        if (t1 - start >= durationMs) break;
      } else {
        bar?.increment();
        if (times.length >= iterations || t1 - modeStart >= capMs) break;
      }
    }
    const totalMs = times.reduce((a, b) => a + b, 0);
    return {
      mode, batch, warmup, iterations: times.length, totalMs, latencyMs: latencyStats(times),
      throughput: (batch * times.length) / (totalMs / 1000),
    };
  } finally {
    bar?.stop();
  }
}

/** One setting tried by {@link tuneModel} and what it measured. */
export interface TuneTrial {
  mode: 'realtime' | 'throughput';
  threads: number;
  interOpThreads: number;
  batch: number;
  /** Median latency of one run, ms. */
  medianMs: number;
  /** Inferences per second at the median. */
  throughput: number;
}

/** What the WebGPU kernel tuning of {@link tuneModel} did. */
export interface GpuTuneReport {
  /** The adapter timed (tuning results are per adapter). */
  adapter: string;
  /** Kernel keys timed and stored in this call (keys already cached are skipped). */
  tuned: string[];
  /** Tuning problems of the model's kernels (tuned now or already cached). */
  problems: number;
  /** The per-adapter cache file later sessions load. */
  cacheFile: string;
}

/** What {@link tuneModel} found: every trial, and the best per mode. */
export interface TuneReport {
  model: string;
  /** The WebGPU workgroup-size / tile tuning, when `--ep` includes webgpu. */
  webgpu?: GpuTuneReport;
  trials: TuneTrial[];
  /** Lowest median latency at batch 1. */
  bestRealtime: TuneTrial;
  /** Highest inferences per second. */
  bestThroughput: TuneTrial;
}

/**
 * `bench --tune`: tries intra-op thread counts (1, half the cores, all cores), each with inter-op
 * 1 and with the inter-op count that fills the cores, and for the max-throughput mode batch sizes
 * 2, 4, 8 and 16 (only for models with a symbolic batch dim),
 * and reports the best setting per mode (Intel's real-time vs max-throughput guidance).
 * @param cores the largest thread count tried (default: the machine's available parallelism)
 * @throws OptiflowError from loading or running the model.
 */
export async function tuneModel(model: string | undefined, o: BenchOptions & { cores?: number; tuningCache?: string } = {}): Promise<TuneReport> {
  // WebGPU kernels first: the thread/batch trials then run with the tuned choices.
  const webgpu = o.executionProviders?.includes('webgpu') ? await tuneWebgpu(model, o) : undefined;
  const { availableParallelism } = await import('node:os');
  const cores = o.cores ?? availableParallelism();
  const threadCounts = [...new Set([1, Math.max(1, cores >> 1), cores])].sort((a, b) => a - b);
  const trials: TuneTrial[] = [];
  for (const threads of threadCounts) {
    // Inter-op: 1, and the value that fills the cores with this intra-op count (segments then run
    // beside other ready steps; it only pays on models with independent branches).
    for (const interOpThreads of [...new Set([1, Math.max(1, Math.floor(cores / threads))])]) {
      const r = await benchModel(model, { ...o, threads, interOpThreads, mode: 'realtime', progress: false });
      const m = r.results[0]!;
      trials.push({ mode: 'realtime', threads, interOpThreads, batch: m.batch, medianMs: m.latencyMs.median, throughput: (m.batch * 1000) / m.latencyMs.median });
      for (const batch of [2, 4, 8, 16]) {
        const t = await benchModel(model, { ...o, threads, interOpThreads, batch, mode: 'throughput', progress: false });
        const x = t.results[0]!;
        trials.push({ mode: 'throughput', threads, interOpThreads, batch: x.batch, medianMs: x.latencyMs.median, throughput: (x.batch * 1000) / x.latencyMs.median });
        if (x.batch !== batch) break; // fixed-batch model: batch sizes cannot vary
      }
    }
  }
  const bestRealtime = trials.filter((t) => t.mode === 'realtime').reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
  const bestThroughput = trials.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  return { model: model ?? 'mobilenet_v1', ...(webgpu ? { webgpu } : {}), trials, bestRealtime, bestThroughput };
}

/**
 * `bench --tune` for WebGPU (TensorRT's timing cache idea): creates the `webgpu` backend with its
 * per-adapter tuning cache, places and compiles the model on `o.executionProviders`, times the
 * candidate workgroup sizes / tiles of every compiled segment's heavy kernels on this adapter
 * (`WebgpuBackend.tune`) and saves the winners to the cache file, which later sessions load.
 * @param o `tuningCache` overrides the cache file (default `~/.cache/optiflow/webgpu-tuning-<adapter>.json`);
 *   `repeats`/`warmup` the timed/untimed runs per candidate (default 5/1)
 * @throws OptiflowError `runtime_error` without a WebGPU adapter; errors from loading the model
 */
export async function tuneWebgpu(model: string | undefined, o: BenchOptions & { tuningCache?: string; repeats?: number; tuneWarmup?: number } = {}): Promise<GpuTuneReport> {
  const { createWebgpuBackend } = await import('../backends/webgpu/index.js');
  const { defaultTuningCachePath } = await import('../backends/webgpu/tuning.js');
  const src = resolveModel(model ?? 'mobilenet_v1');
  const be = await createWebgpuBackend({ precision: o.precision, minSegmentSize: o.minSegmentSize, ...(o.tuningCache ? { tuningCache: o.tuningCache } : {}) });
  const cacheFile = o.tuningCache ?? await defaultTuningCachePath(be.handle.adapterKey);
  let session: CoreSession;
  try {
    session = await CoreSession.create(sessionInput(src), {
      executionProviders: o.executionProviders, graphOptimizationLevel: o.level, precision: o.precision, minSegmentSize: o.minSegmentSize,
    }, { ...BUILTIN_BACKENDS, webgpu: () => be });
  } catch (e) {
    be.dispose();
    throw e;
  }
  try {
    // One run at the bench's batch records the concrete shapes (symbolic dims bound) to tune at.
    await session.run(makeFeeds(session.inputMetadata, src.zoo, o.batch ?? 1));
    const problems = be.segments.reduce((a, s) => a + s.tuningProblems().length, 0);
    const tuned = await be.tune({ repeats: o.repeats, warmup: o.tuneWarmup, save: true });
    return { adapter: be.handle.description, tuned, problems, cacheFile };
  } finally {
    await session.release();
  }
}

/** A tune report as text. */
export function formatTune(r: TuneReport): string {
  const lines = [`model: ${r.model}`];
  const g = r.webgpu;
  if (g) {
    lines.push(`webgpu: ${g.tuned.length} of ${g.problems} kernel tuning problems timed on ${g.adapter}${g.problems > g.tuned.length ? ' (the rest were cached)' : ''}`);
    lines.push(`webgpu tuning cache: ${g.cacheFile}${g.tuned.length ? ' (saved)' : ''}`);
  }
  lines.push('mode        threads  inter-op  batch  median ms  inferences/s');
  for (const t of r.trials) {
    lines.push(`${t.mode.padEnd(10)}  ${String(t.threads).padStart(7)}  ${String(t.interOpThreads).padStart(8)}  ${String(t.batch).padStart(5)}  ${t.medianMs.toFixed(2).padStart(9)}  ${t.throughput.toFixed(2).padStart(12)}`);
  }
  const b = (t: TuneTrial) => `--threads ${t.threads} --inter-op-threads ${t.interOpThreads} --batch ${t.batch}`;
  lines.push('', `best real-time (batch 1, lowest latency): ${b(r.bestRealtime)}  (${r.bestRealtime.medianMs.toFixed(2)} ms)`);
  lines.push(`best max-throughput: ${b(r.bestThroughput)}  (${r.bestThroughput.throughput.toFixed(2)} inferences/s)`);
  return `${lines.join('\n')}\n`;
}

/** The results as a text table. */
export function formatBench(r: BenchReport): string {
  const head = ['mode', 'batch', 'iters', 'median ms', 'p90 ms', 'p99 ms', 'inferences/s'];
  const rows = r.results.map((x) => [
    x.mode, String(x.batch), String(x.iterations), x.latencyMs.median.toFixed(2), x.latencyMs.p90.toFixed(2),
    x.latencyMs.p99.toFixed(2), x.throughput.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const where = r.backends ? `  backends: ${Object.entries(r.backends).map(([b, n]) => `${b} ${n} node${n === 1 ? '' : 's'}`).join(', ')}` : '';
  const out = [`model: ${r.model}  threads: ${r.threads}${where}`, line(head), ...rows.map(line)];
  if (r.profile) {
    out.push('', 'profile (all runs, by op type):');
    for (const p of r.profile) out.push(`  ${p.opType.padEnd(28)} ${p.ms.toFixed(1).padStart(10)} ms  ${String(p.count).padStart(6)} runs  ${(p.share * 100).toFixed(1).padStart(5)}%`);
  }
  return out.join('\n') + '\n';
}

/** Adds the `bench` command. */
export function registerBench(program: Command): void {
  program.command('bench')
    .description('measure latency (median, p90, p99) and throughput; default model: built-in mobilenet_v1')
    .argument('[model]', 'an .onnx file or a built-in model name (default mobilenet_v1)')
    .option('--batch <n>', 'batch size of the throughput mode', '4')
    .option('--threads <n>', 'intra-op threads (default: chosen by the runtime)')
    .option('--inter-op-threads <n>', 'inter-op threads: independent nodes at once (default: chosen by the runtime)')
    .option('--tune', 'try thread counts and batch sizes; print the best setting for each mode; with --ep including webgpu, first time the WebGPU kernels\' workgroup sizes / tiles on this adapter and save them to its tuning cache')
    .option('--tuning-cache <file>', 'WebGPU tuning cache file for --tune (default ~/.cache/optiflow/webgpu-tuning-<adapter>.json)')
    .option('--warmup <n>', 'untimed runs per mode', '1')
    .option('--iterations <n>', 'timed runs per mode (default 10, cut short after 12 s per mode unless given)')
    .option('--duration <s>', 'measure each mode for S seconds instead of --iterations')
    .option('--mode <mode>', 'realtime|latency (batch 1), throughput (batch --batch) or both', 'both')
    .option('--level <level>', 'graph optimization level: disabled, basic, extended or all', 'all')
    .option('--ep <list>', 'execution providers in priority order, comma-separated (e.g. wasm,js)')
    .option('--precision <p>', 'precision of segment backends (onednn, webgpu): fp32, bf16 or fp16', 'fp32')
    .option('--min-segment-size <n>', 'segments with fewer nodes run on the next backend (default 3)')
    .option('--profile', 'time every node and print per-op-type totals')
    .option('--json', 'print the report as JSON')
    .action(async (model: string | undefined, o: { batch: string; tuningCache?: string; threads?: string; interOpThreads?: string; tune?: boolean; warmup: string; iterations?: string; duration?: string; mode: string; level: string; ep?: string; profile?: boolean; json?: boolean; precision: string; minSegmentSize?: string }) => {
      let durationS: number | undefined;
      if (o.duration !== undefined) {
        durationS = Number(o.duration);
        if (!(durationS > 0)) throw new OptiflowError('invalid_argument', `--duration must be a positive number of seconds, got '${o.duration}'`);
      }
      const common: BenchOptions = {
        warmup: intOption('--warmup', o.warmup, 0), level: o.level as BenchOptions['level'],
        iterations: o.iterations === undefined ? 5 : intOption('--iterations', o.iterations, 1),
        maxSeconds: o.iterations === undefined ? 6 : undefined,
        executionProviders: o.ep?.split(',').map((x) => x.trim()).filter(Boolean),
        precision: o.precision as BenchOptions['precision'],
        minSegmentSize: o.minSegmentSize === undefined ? undefined : intOption('--min-segment-size', o.minSegmentSize, 1),
      };
      if (o.tune) {
        const t = await tuneModel(model, { ...common, tuningCache: o.tuningCache });
        process.stdout.write(o.json ? `${JSON.stringify(t, null, 2)}\n` : formatTune(t));
        return;
      }
      const r = await benchModel(model, {
        batch: intOption('--batch', o.batch, 1), threads: o.threads === undefined ? undefined : intOption('--threads', o.threads, 0),
        interOpThreads: o.interOpThreads === undefined ? undefined : intOption('--inter-op-threads', o.interOpThreads, 0),
        warmup: intOption('--warmup', o.warmup, 0), durationS,
        iterations: o.iterations === undefined ? 10 : intOption('--iterations', o.iterations, 1),
        maxSeconds: o.iterations === undefined && durationS === undefined ? 12 : undefined,
        mode: o.mode as BenchMode, level: o.level as BenchOptions['level'], profile: o.profile,
        executionProviders: common.executionProviders, precision: common.precision, minSegmentSize: common.minSegmentSize,
      });
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatBench(r));
    });
}
