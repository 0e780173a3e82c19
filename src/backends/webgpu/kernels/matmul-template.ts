/**
 * The one tiled GEMM template behind MatMul, Gemm, FusedMatMul, FusedGemm and the GEMM forms of
 * Conv (1×1 as a plain GEMM, the rest as implicit GEMM over an im2col view that is never
 * materialized): `Y[b, m, n] = act(alpha · Σ_k A[b, m, k] · B[b, k, n] + beta · C[b, m, n] + Z[b, m, n])`.
 *
 * Every operand is addressed by strides that travel as uniforms (row, column and up to four batch
 * strides; a zero stride broadcasts), so transposes, batch broadcasting, bias vectors and residuals
 * all reuse one pipeline per variant. An operand may instead be an implicit im2col view of a 2-D
 * image (NCHW or NHWC by its strides). A workgroup of `wx × wy` threads computes a
 * `(wy·tm) × (wx·tn)` output tile from `bk`-deep slices of A and B staged in workgroup memory; each
 * thread accumulates a `tm × tn` register tile (rows `ly + i·wy`, columns `lx + j·wx`, so stores
 * coalesce). Edges (M, N, K not multiples of the tile) load zeros and skip stores.
 *
 * Source: the classic shared-memory tiled SGEMM (e.g. Volkov & Demmel, "Benchmarking GPUs to tune
 * dense linear algebra", SC'08); implicit GEMM convolution (Chetlur et al., cuDNN, arXiv:1410.0759).
 * @module
 */
import type { FusedActivation } from '../../../ops/optiflow-fused-activation.js';
import type { Node } from '../../../ir/graph.js';
import { resolveAttrs, type AttrSpecs, type OpSchema } from '../../../ops/schema.js';
import type { GpuBinding, GpuCreateCtx, GpuEncoder, GpuTensor, GpuTuningProblem } from '../kernel.js';
import {
  ACT_FIELDS, activationKey, activationValues, activationWgsl, cdiv, MAX_GROUPS_PER_DIM, nodeError, packUniform,
  storageDecl, storageHeader, uniformDecl, type StorageType, type UniformFields,
} from './wgsl-a.js';
import { concreteInputDims, concreteInputInfos, shapesKey } from './tuned-variants.js';

/** Tile shape `[wx, wy, tm, tn, bk]`: workgroup size, per-thread register tile, K depth. */
export type GemmTile = readonly [number, number, number, number, number];

/** Default tile: 8×8 threads, 4×4 each, 32×32 output tile, K slices of 16. */
export const DEFAULT_GEMM_TILE: GemmTile = [8, 8, 4, 4, 16];

/** Tile shapes `optiflow bench --tune` may time for a GEMM (the first is the default). */
export const GEMM_TILE_CANDIDATES: readonly GemmTile[] = [
  DEFAULT_GEMM_TILE, [16, 16, 4, 4, 16], [16, 8, 4, 4, 16], [8, 8, 8, 8, 8], [16, 16, 2, 2, 16], [8, 16, 4, 4, 32],
];

/** How an operand is read: strided memory, or an implicit im2col view of an image. */
export type OperandKind = 'strided' | 'im2col';

/** The compile-time variant of the template (everything the WGSL text depends on). */
export interface GemmVariant {
  /** A's kind; `im2col` makes A's rows output pixels and its columns (c, ky, kx) (NHWC conv). */
  readonly a: OperandKind;
  /** B's kind; `im2col` makes B's rows (c, ky, kx) and its columns output pixels (NCHW conv). */
  readonly b: OperandKind;
  /** A's column stride is 1 (threads load along K) rather than its row stride. */
  readonly aKFast: boolean;
  /** B's row stride is 1 (threads load along K) rather than its column stride. */
  readonly bKFast: boolean;
  /** A `beta · C` addend (bias, Gemm's C) is bound. */
  readonly hasC: boolean;
  /** A residual `Z` addend is bound. */
  readonly hasZ: boolean;
  readonly act: FusedActivation;
  readonly tile: GemmTile;
  /** Storage element type (f16 in precision mode fp16). */
  readonly st: StorageType;
}

const OPERANDS = ['a', 'b', 'y', 'c', 'z'] as const;
const FIELDS: UniformFields = [
  ['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['alpha', 'f32'], ['beta', 'f32'], ...ACT_FIELDS,
  ['bd1', 'u32'], ['bd2', 'u32'], ['bd3', 'u32'],
  ...OPERANDS.flatMap((o) => [[`${o}Rs`, 'u32'], [`${o}Cs`, 'u32'], [`${o}B0`, 'u32'], [`${o}B1`, 'u32'], [`${o}B2`, 'u32'], [`${o}B3`, 'u32'], [`${o}Off`, 'u32']] as const),
  ['cin', 'u32'], ['kh', 'u32'], ['kw', 'u32'], ['inH', 'u32'], ['inW', 'u32'], ['outW', 'u32'],
  ['sh', 'u32'], ['sw', 'u32'], ['ph', 'u32'], ['pw', 'u32'], ['dh', 'u32'], ['dw', 'u32'],
  ['xCs', 'u32'], ['xHs', 'u32'], ['xWs', 'u32'],
];

/** The pipeline-cache key of a variant. */
export function gemmKey(v: GemmVariant): string {
  return `a/gemm/${v.st}/${v.a}${v.aKFast ? 'k' : 'm'}/${v.b}${v.bKFast ? 'k' : 'n'}/${v.hasC ? 'C' : ''}${v.hasZ ? 'Z' : ''}/${activationKey(v.act)}/${v.tile.join('x')}`;
}

/** Whether `t` is a usable tile (at most 256 threads, 16 KiB of workgroup memory, small register tiles). */
export function validTile(t: readonly number[] | undefined): t is GemmTile {
  if (!t || t.length !== 5 || !t.every((x) => Number.isInteger(x) && x >= 1)) return false;
  const [wx, wy, tm, tn, bk] = t as GemmTile;
  return wx * wy <= 256 && tm <= 8 && tn <= 8 && bk <= 64 && bk * (wy * tm + wx * tn) * 4 <= 16384;
}

/**
 * The tuning-cache key of a GEMM-based node at concrete input dims: op type, algorithm, storage
 * type and the input shapes, e.g. `gemm:Conv:im2col:f32:1x64x56x56,64x64x3x3,64`. `dims` defaults
 * to the static shapes with symbolic dims bound to 1 (see `tuned-variants.ts`).
 */
export function gemmTuneKey(ctx: GpuCreateCtx<unknown>, algo: string, dims: readonly (readonly number[] | undefined)[] = concreteInputDims(ctx)): string {
  return `gemm:${ctx.node.opType}:${algo}:${ctx.precision === 'fp16' ? 'f16' : 'f32'}:${shapesKey(dims)}`;
}

/** The tile for `tuneKey` from the per-adapter tuning cache when valid, else the default. */
export function pickTile(ctx: GpuCreateCtx<unknown>, tuneKey: string): GemmTile {
  const t = ctx.tuned(tuneKey);
  return validTile(t) ? t : DEFAULT_GEMM_TILE;
}

/** Records a node's GEMM dispatches with pipeline `g` on resolved inputs (constants included). */
export type GemmRun = (g: GemmPipeline, enc: GpuEncoder, inputs: readonly (GpuTensor | undefined)[], outputs: readonly GpuTensor[]) => void;

/**
 * The tuning problem of a GEMM-based node (for `optiflow bench --tune`): one candidate per
 * {@link GEMM_TILE_CANDIDATES} entry, each run on scratch tensors of the node's concrete shapes:
 * `dims` (the last run's input dims) when given, else the static shapes with symbolic dims bound
 * to 1; keyed by {@link gemmTuneKey} at those dims.
 * @returns `[]` when an input rank is unknown or the output shapes cannot be inferred
 */
export function gemmTuning(ctx: GpuCreateCtx<unknown>, schema: OpSchema<AttrSpecs>, algo: string, variant: Omit<GemmVariant, 'tile'>,
  run: GemmRun, dims?: readonly (readonly number[] | undefined)[]): GpuTuningProblem[] {
  const known = (s: readonly (number | string)[] | undefined): s is number[] => !!s && s.every((d) => typeof d === 'number');
  const ins = concreteInputDims(ctx, dims);
  if (ins.some((s, k) => ctx.node.inputs[k] && !s)) return [];
  let outs: (readonly (number | string)[] | undefined)[];
  try {
    outs = schema.infer({
      attrs: resolveAttrs(schema, ctx.node), opset: ctx.opset, node: ctx.node, inputs: concreteInputInfos(ctx, ins), outputCount: ctx.node.outputs.length,
    }).map((o) => o.shape);
  } catch {
    return [];
  }
  if (!outs.every(known)) return [];
  const dtype = ctx.precision === 'fp16' ? 'float16' : 'float32';
  return [{
    key: gemmTuneKey(ctx, algo, ins), candidates: GEMM_TILE_CANDIDATES,
    async prepare(choice) {
      if (!validTile(choice)) throw new Error(`invalid GEMM tile [${choice.join(',')}]`);
      const g = await createGemm(ctx, { ...variant, tile: choice });
      return (enc) => {
        const tin = ins.map((s) => (s ? enc.scratch(s, dtype) : undefined));
        run(g, enc, tin, outs.map((s) => enc.scratch(s as number[], dtype)));
      };
    },
  }];
}

function loader(which: 'A' | 'B', kind: OperandKind): string {
  const o = which.toLowerCase();
  // A(r = m, c = k), B(r = k, c = n); both bounded by their logical extents.
  const [rMax, cMax] = which === 'A' ? ['u.M', 'u.K'] : ['u.K', 'u.N'];
  if (kind === 'strided') {
    return `fn load${which}(base: u32, r: u32, c: u32) -> f32 {\n  if (r >= ${rMax} || c >= ${cMax}) { return 0.0; }\n  return f32(${which}[base + r * u.${o}Rs + c * u.${o}Cs]);\n}\n`;
  }
  const [kk, p] = which === 'A' ? ['c', 'r'] : ['r', 'c'];
  return `fn load${which}(base: u32, r: u32, c: u32) -> f32 {
  if (r >= ${rMax} || c >= ${cMax}) { return 0.0; }
  let kk = ${kk}; let p = ${p};
  let kx = kk % u.kw; let t = kk / u.kw; let ky = t % u.kh; let ch = t / u.kh;
  let ox = p % u.outW; let oy = p / u.outW;
  let iy = i32(oy * u.sh + ky * u.dh) - i32(u.ph);
  let ix = i32(ox * u.sw + kx * u.dw) - i32(u.pw);
  if (iy < 0 || ix < 0 || iy >= i32(u.inH) || ix >= i32(u.inW)) { return 0.0; }
  return f32(${which}[base + ch * u.xCs + u32(iy) * u.xHs + u32(ix) * u.xWs]);
}\n`;
}

/** The WGSL of a variant. Bindings: A, B, [C], [Z], Y, uniforms. */
export function gemmWgsl(v: GemmVariant): string {
  const [wx, wy, tm, tn, bk] = v.tile;
  const bm = wy * tm; const bn = wx * tn; const threads = wx * wy;
  let b = 0;
  const decl = (name: string, rw = false): string => storageDecl(b++, name, rw);
  let s = storageHeader(v.st) + decl('A') + decl('B') + (v.hasC ? decl('C') : '') + (v.hasZ ? decl('Z') : '') + decl('Y', true);
  s += uniformDecl(FIELDS, b);
  s += activationWgsl(v.act);
  s += `const WX = ${wx}u; const WY = ${wy}u; const TM = ${tm}u; const TN = ${tn}u; const BK = ${bk}u;
const BM = ${bm}u; const BN = ${bn}u; const NT = ${threads}u;
var<workgroup> As: array<f32, ${bk * bm}>;
var<workgroup> Bs: array<f32, ${bk * bn}>;
fn boff(i0: u32, i1: u32, i2: u32, i3: u32, s0: u32, s1: u32, s2: u32, s3: u32, off: u32) -> u32 {
  return off + i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3;
}
`;
  s += loader('A', v.a) + loader('B', v.b);
  // Load order: along K when that stride is 1, else along M/N (coalesced global reads).
  const loadA = v.aKFast
    ? 'let kk = i % BK; let mm = i / BK;'
    : 'let mm = i % BM; let kk = i / BM;';
  const loadB = v.bKFast
    ? 'let kk = i % BK; let nn = i / BK;'
    : 'let nn = i % BN; let kk = i / BN;';
  const off = (o: string): string => `boff(i0, i1, i2, i3, u.${o}B0, u.${o}B1, u.${o}B2, u.${o}B3, u.${o}Off)`;
  s += `@compute @workgroup_size(${wx}, ${wy}, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.y * WX + lid.x;
  let m0 = wg.y * BM; let n0 = wg.x * BN;
  let i3 = wg.z % u.bd3; let q2 = wg.z / u.bd3; let i2 = q2 % u.bd2; let q1 = q2 / u.bd2; let i1 = q1 % u.bd1; let i0 = q1 / u.bd1;
  let aBase = ${off('a')};
  let bBase = ${off('b')};
  var acc: array<f32, ${tm * tn}>;
  for (var i = 0u; i < TM * TN; i++) { acc[i] = 0.0; }
  var ra: array<f32, ${tm}>;
  var rb: array<f32, ${tn}>;
  for (var k0 = 0u; k0 < u.K; k0 += BK) {
    for (var i = tid; i < BK * BM; i += NT) {
      ${loadA}
      As[kk * BM + mm] = loadA(aBase, m0 + mm, k0 + kk);
    }
    for (var i = tid; i < BK * BN; i += NT) {
      ${loadB}
      Bs[kk * BN + nn] = loadB(bBase, k0 + kk, n0 + nn);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      for (var i = 0u; i < TM; i++) { ra[i] = As[kk * BM + lid.y + i * WY]; }
      for (var j = 0u; j < TN; j++) { rb[j] = Bs[kk * BN + lid.x + j * WX]; }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i * TN + j] = fma(ra[i], rb[j], acc[i * TN + j]); }
      }
    }
    workgroupBarrier();
  }
  let yBase = ${off('y')};
${v.hasC ? `  let cBase = ${off('c')};\n` : ''}${v.hasZ ? `  let zBase = ${off('z')};\n` : ''}  for (var i = 0u; i < TM; i++) {
    let m = m0 + lid.y + i * WY;
    if (m >= u.M) { continue; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + lid.x + j * WX;
      if (n >= u.N) { continue; }
      var v = u.alpha * acc[i * TN + j];
${v.hasC ? '      v = v + u.beta * f32(C[cBase + m * u.cRs + n * u.cCs]);\n' : ''}${v.hasZ ? '      v = v + f32(Z[zBase + m * u.zRs + n * u.zCs]);\n' : ''}      Y[yBase + m * u.yRs + n * u.yCs] = ST(act(v));
    }
  }
}
`;
  return s;
}

/** Strides of one operand: row, column, and one per batch dim of {@link GemmProblem.batch}. */
export interface OperandStrides {
  readonly rs: number;
  readonly cs: number;
  /** Per batch dim (same length as `batch`); 0 broadcasts. */
  readonly bs: readonly number[];
  /** Element offset added to every address (default 0). */
  readonly off?: number;
}

/** Implicit im2col geometry of a 2-D convolution (one group's channels `cin`). */
export interface Im2colGeometry {
  readonly cin: number; readonly kh: number; readonly kw: number;
  readonly inH: number; readonly inW: number; readonly outW: number;
  readonly sh: number; readonly sw: number; readonly ph: number; readonly pw: number;
  readonly dh: number; readonly dw: number;
  /** Element strides of the image's channel, row and column. */
  readonly xCs: number; readonly xHs: number; readonly xWs: number;
}

/** The concrete problem of one dispatch. */
export interface GemmProblem {
  readonly m: number; readonly n: number; readonly k: number;
  /** Batch dims (any number; merged where every operand allows, at most 4 after merging). */
  readonly batch: readonly number[];
  readonly alpha?: number; readonly beta?: number;
  readonly a: OperandStrides; readonly b: OperandStrides; readonly y: OperandStrides;
  readonly c?: OperandStrides; readonly z?: OperandStrides;
  readonly conv?: Im2colGeometry;
}

/**
 * Drops size-1 batch dims and merges neighbours where every operand's strides allow
 * (`s[i] = s[i+1] · d[i+1]`), so deep broadcasts fit in four uniform slots.
 * @returns the merged dims and, per operand, the matching strides
 */
export function mergeBatch(dims: readonly number[], strides: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const d: number[] = []; const st: number[][] = strides.map(() => []);
  dims.forEach((x, i) => {
    if (x === 1) return;
    const last = d.length - 1;
    if (last >= 0 && strides.every((s, o) => st[o]![last] === s[i]! * x)) {
      d[last] = d[last]! * x;
      strides.forEach((s, o) => { st[o]![last] = s[i]!; });
      return;
    }
    d.push(x);
    strides.forEach((s, o) => st[o]!.push(s[i]!));
  });
  return { dims: d, strides: st };
}

/** A created GEMM pipeline of one variant. */
export interface GemmPipeline {
  readonly variant: GemmVariant;
  readonly pipeline: GPUComputePipeline;
}

/** Creates (or fetches from the cache) the pipeline of `v`. */
export async function createGemm(ctx: GpuCreateCtx<unknown>, v: GemmVariant): Promise<GemmPipeline> {
  return { variant: v, pipeline: await ctx.pipelines.get(gemmKey(v), () => gemmWgsl(v)) };
}

/**
 * Records one GEMM dispatch.
 * @param ops bound tensors: A, B, C (when the variant has it), Z (likewise), Y
 * @throws OptiflowError `runtime_error` when more than four batch dims remain after merging or the
 *   grid exceeds the dispatch limit
 */
export function encodeGemm(enc: GpuEncoder, node: Node, g: GemmPipeline, p: GemmProblem,
  ops: { a: GpuTensor; b: GpuTensor; c?: GpuTensor; z?: GpuTensor; y: GpuTensor }): void {
  const v = g.variant;
  const named = OPERANDS.map((o) => p[o] ?? { rs: 0, cs: 0, bs: p.batch.map(() => 0) });
  const mb = mergeBatch(p.batch, named.map((s) => s.bs));
  if (mb.dims.length > 4) throw nodeError(node, 'runtime_error', `GEMM with ${mb.dims.length} non-mergeable batch dims (at most 4)`);
  const pad = 4 - mb.dims.length;
  const bd = [...Array<number>(pad).fill(1), ...mb.dims];
  const vals: Record<string, number> = {
    M: p.m, N: p.n, K: p.k, alpha: p.alpha ?? 1, beta: p.beta ?? 1, ...activationValues(v.act),
    bd1: bd[1]!, bd2: bd[2]!, bd3: bd[3]!,
    cin: 1, kh: 1, kw: 1, inH: 1, inW: 1, outW: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, xCs: 0, xHs: 0, xWs: 0,
    ...(p.conv ?? {}),
  };
  OPERANDS.forEach((o, i) => {
    const s = named[i]!; const bs = [...Array<number>(pad).fill(0), ...mb.strides[i]!];
    vals[`${o}Rs`] = s.rs; vals[`${o}Cs`] = s.cs; vals[`${o}Off`] = s.off ?? 0;
    bs.forEach((x, j) => { vals[`${o}B${j}`] = x; });
  });
  const [wx, wy, tm, tn] = v.tile;
  const groups: [number, number, number] = [cdiv(p.n, wx * tn), cdiv(p.m, wy * tm), numelOf(bd)];
  if (groups.some((x) => x > MAX_GROUPS_PER_DIM)) {
    throw nodeError(node, 'runtime_error', `GEMM grid [${groups.join(',')}] exceeds the WebGPU dispatch limit ${MAX_GROUPS_PER_DIM}`);
  }
  if (groups.some((x) => x === 0)) return;
  const binds: GpuBinding[] = [ops.a, ops.b];
  if (v.hasC) binds.push(ops.c!);
  if (v.hasZ) binds.push(ops.z!);
  binds.push(ops.y, packUniform(FIELDS, vals));
  enc.dispatch(g.pipeline, binds, groups);
}

function numelOf(d: readonly number[]): number {
  return d.reduce((a, b) => a * b, 1);
}
