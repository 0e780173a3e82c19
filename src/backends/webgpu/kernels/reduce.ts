/**
 * Reduce* on the GPU (Sum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp), float32
 * accumulation whatever the storage type. Any set of axes: the shader splits each output index over
 * the kept dims and each reduction index over the reduced dims (dims and strides are uniforms), so
 * no transpose is needed. Two variants per op, both created at session creation and chosen per
 * run: one workgroup (64 threads, tree reduction in workgroup memory) per output element for long
 * reductions, one thread per output element for short ones. LogSumExp subtracts the maximum first.
 * Axes come from the attribute (older opsets) or a constant input (ReduceSum 13+, others 18+);
 * `keepdims` only changes the output dims (the runner's); `noop_with_empty_axes` with empty axes
 * copies the input.
 * Source: ONNX operator spec (docs/Operators.md, Reduce*).
 * @module
 */
import { REDUCE_OPS, type ReduceKind } from '../../../ops/reduce-norm-reduce.js';
import type { AttrSpecs, OpSchema } from '../../../ops/schema.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuDType } from '../kernel.js';
import { EW_HELPERS } from './eltwise-ops.js';
import {
  checkSupport, constNumbers, enableFor, gpuFail, grid, groupGrid, MAX_RANK, numelOf, storageVariants, stridesOf,
  uniformDecl, Uniforms, wgslType, WG,
} from './wgsl-common.js';

/** How one kind reduces: initial value, accumulation of `x` into `acc`, combination, final value. */
interface ReduceOps { init: string; acc: string; comb: string; fin: string }

const SUM: ReduceOps = { init: '0.0', acc: 'acc + x', comb: 'a + b', fin: 'acc' };
const KINDS: Readonly<Record<ReduceKind, ReduceOps>> = {
  ReduceSum: SUM,
  ReduceMean: { ...SUM, fin: 'acc / f32(pu(1u))' },
  ReduceMax: { init: '(-inf_f())', acc: 'max_f(acc, x)', comb: 'max_f(a, b)', fin: 'acc' },
  ReduceMin: { init: 'inf_f()', acc: 'min_f(acc, x)', comb: 'min_f(a, b)', fin: 'acc' },
  ReduceProd: { init: '1.0', acc: 'acc * x', comb: 'a * b', fin: 'acc' },
  ReduceL1: { ...SUM, acc: 'acc + abs(x)' },
  ReduceL2: { ...SUM, acc: 'acc + x * x', fin: 'sqrt(acc)' },
  ReduceSumSquare: { ...SUM, acc: 'acc + x * x' },
  ReduceLogSum: { ...SUM, fin: 'log(acc)' },
  ReduceLogSumExp: { ...SUM, acc: 'acc + exp(x - m)', fin: 'log(acc) + m' },
};
const MAX = KINDS.ReduceMax;

// Uniform slots: 0 nOut, 1 R, 2 kept rank, 3 reduced rank, then kept dims, kept strides, reduced dims, reduced strides.
const KD = 4; const KS = KD + MAX_RANK; const RD = KS + MAX_RANK; const RS = RD + MAX_RANK; const SLOTS = RS + MAX_RANK;

const OFFSETS = `fn kept_off(o: u32) -> u32 {
  var rem = o; var off = 0u;
  for (var d = i32(pu(2u)) - 1; d >= 0; d = d - 1) {
    let dim = pu(${KD}u + u32(d)); off += (rem % dim) * pu(${KS}u + u32(d)); rem = rem / dim;
  }
  return off;
}
fn red_off(r: u32) -> u32 {
  var rem = r; var off = 0u;
  for (var d = i32(pu(3u)) - 1; d >= 0; d = d - 1) {
    let dim = pu(${RD}u + u32(d)); off += (rem % dim) * pu(${RS}u + u32(d)); rem = rem / dim;
  }
  return off;
}
`;

/** WGSL of a serial accumulation loop over `r` from `start` by `step` with ops `k`. */
function loop(k: ReduceOps, start: string, step: string): string {
  return `for (var r = ${start}; r < pu(1u); r = r + ${step}) { let x = f32(X[base + red_off(r)]); acc = ${k.acc}; }`;
}

/** The shader of `kind` in the workgroup (`wg`) or thread-per-output variant. */
function reduceShader(kind: ReduceKind, t: GpuDType, wg: boolean): string {
  const k = KINDS[kind];
  const lse = kind === 'ReduceLogSumExp';
  const head = `${enableFor(t)}${EW_HELPERS}
@group(0) @binding(0) var<storage, read> X: array<${wgslType(t)}>;
@group(0) @binding(1) var<storage, read_write> Y: array<${wgslType(t)}>;
${uniformDecl(2, SLOTS)}
${OFFSETS}`;
  if (!wg) {
    return `${head}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = gid.x + gid.y * nwg.x * ${WG}u;
  if (o >= pu(0u)) { return; }
  let base = kept_off(o);
  var m = 0.0;
  ${lse ? `{ var acc = ${MAX.init}; ${loop(MAX, '0u', '1u')} m = acc; if (abs(m) == inf_f()) { m = 0.0; } }` : ''}
  var acc = ${k.init};
  ${loop(k, '0u', '1u')}
  Y[o] = ${wgslType(t)}(${k.fin});
}
`;
  }
  const tree = (ops: ReduceOps) => `sh[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { let a = sh[lid]; let b = sh[lid + s]; sh[lid] = ${ops.comb}; }
    workgroupBarrier();
  }`;
  return `${head}
var<workgroup> sh: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= pu(0u)) { return; }
  let base = kept_off(o);
  var m = 0.0;
  ${lse ? `{ var acc = ${MAX.init}; ${loop(MAX, 'lid', `${WG}u`)} ${tree(MAX)} m = sh[0]; if (abs(m) == inf_f()) { m = 0.0; } workgroupBarrier(); }` : ''}
  var acc = ${k.init};
  ${loop(k, 'lid', `${WG}u`)}
  ${tree(k)}
  if (lid == 0u) { acc = sh[0]; Y[o] = ${wgslType(t)}(${k.fin}); }
}
`;
}

/** Uniforms for input dims `dims` reduced over normalized `axes`. */
function reduceUniforms(dims: readonly number[], axes: readonly number[]): { u: Uniforms; nOut: number; r: number } {
  const st = stridesOf(dims);
  const kept = dims.map((_, i) => i).filter((i) => !axes.includes(i));
  const red = dims.map((_, i) => i).filter((i) => axes.includes(i));
  const u = new Uniforms(SLOTS);
  const nOut = kept.reduce((a, i) => a * dims[i]!, 1);
  const r = red.reduce((a, i) => a * dims[i]!, 1);
  u.u(0, nOut).u(1, r).u(2, kept.length).u(3, red.length);
  kept.forEach((a, j) => { u.u(KD + j, dims[a]!).u(KS + j, st[a]!); });
  red.forEach((a, j) => { u.u(RD + j, dims[a]!).u(RS + j, st[a]!); });
  return { u, nOut, r };
}

/** Whether a reduction of `r` elements into `nOut` outputs uses a workgroup per output. */
export function useWorkgroups(nOut: number, r: number): boolean {
  return r >= 256 || (r >= 32 && nOut < 4096);
}

/** The kernel of one Reduce schema; `inputForm` reads axes from constant input 1. */
function reduceKernel(kind: ReduceKind, schema: OpSchema<AttrSpecs>, inputForm: boolean): AnyGpuKernel {
  return defineGpuKernel(schema, {
    dtypes: ['float32', 'float16'],
    supports: (q, limits) => {
      const x = q.inputs[0];
      if (x?.shape && x.shape.length > MAX_RANK) return { ok: false, reason: `rank ${x.shape.length} above ${MAX_RANK}` };
      return checkSupport(q, limits, { constant: inputForm ? [1] : [] });
    },
    create: async (ctx) => {
      const attrs = ctx.attrs as { axes?: number[]; keepdims: number; noop_with_empty_axes?: number };
      const raw = inputForm ? (ctx.constants[1] ? constNumbers(ctx.constants[1]) : undefined) : attrs.axes;
      if (inputForm && ctx.node.inputs[1] && !ctx.constants[1]) gpuFail(ctx.node, 'the axes input must be a constant');
      const noop = (!raw || raw.length === 0) && (attrs.noop_with_empty_axes ?? 0) !== 0;
      const eff: ReduceKind = noop ? 'ReduceSum' : kind;
      const variants = storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx);
      const key = (t: GpuDType, wg: boolean) => `reduce|${eff}|${t}|${wg ? 'wg' : 'th'}`;
      await Promise.all(variants.flatMap((t) => [true, false].map((wg) => ctx.pipelines.get(key(t, wg), () => reduceShader(eff, t, wg)))));
      return {
        constantInputs: [],
        encode(enc, inputs, outputs) {
          const x = inputs[0] ?? gpuFail(ctx.node, 'input 0 is missing on the GPU');
          const y = outputs[0]!;
          if (numelOf(y) === 0) return;
          const rank = x.dims.length;
          if (rank > MAX_RANK) gpuFail(ctx.node, `rank ${rank} above ${MAX_RANK}`);
          const axes = noop ? [] : !raw || raw.length === 0 ? x.dims.map((_, i) => i) : raw.map((a) => (a < 0 ? a + rank : a));
          const { u, nOut, r } = reduceUniforms(x.dims, axes);
          const wg = useWorkgroups(nOut, r);
          const pipe = ctx.pipelines.peek(key(x.dtype, wg)) ?? gpuFail(ctx.node, `no pipeline for ${x.dtype}`);
          enc.dispatch(pipe, [x, y, u.binding], wg ? groupGrid(nOut) : grid(nOut));
        },
      };
    },
  });
}

/** Every Reduce kernel, both schema forms. */
export const REDUCE_KERNELS: AnyGpuKernel[] = REDUCE_OPS.flatMap((r) => [
  reduceKernel(r.kind, r.attrForm as unknown as OpSchema<AttrSpecs>, false),
  reduceKernel(r.kind, r.inputForm as unknown as OpSchema<AttrSpecs>, true),
]);
