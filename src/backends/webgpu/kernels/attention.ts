/**
 * WebGPU float32 kernel of optiflow::Attention (ONNX Attention-23 for 4-D inputs):
 * `Y = softmax(Q·Kᵀ·scale + mask)·V`. One workgroup per query row `(b, h, i)`: the row of scores
 * `s[t]` is computed into workgroup memory (T ≤ {@link MAX_KEYS}), reduced for its max and
 * `Σ exp`, then each thread produces output columns `Σ_t p[t] · V[t, j]`. K/V heads broadcast when
 * `Hk = 1`; the mask (additive float, or a constant bool mask turned into 0/-∞ when the node is
 * created) broadcasts by strides. A row whose scores are all -∞ gives NaN, as in ONNX.
 * Source: ONNX operator spec (Attention-23); `src/ops/optiflow-patterns.ts`.
 * @module
 */
import { OptiflowAttention } from '../../../ops/optiflow-patterns.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuBinding, type GpuKernel, type GpuTensor } from '../kernel.js';
import { wgReduceWgsl } from './softmax.js';
import {
  allOk, checkBindingSizes, contiguousStrides, grid, GRID_INDEX_WGSL, hasInput, inputAt, nodeError, numel, packUniform,
  storageDecl, storageHeader, storageOf, uniformDecl, uploadConstants, type StorageType, type UniformFields,
} from './wgsl-a.js';

const WG = 64;
/** Longest key sequence one workgroup holds (4 KiB of scores in workgroup memory). */
export const MAX_KEYS = 1024;

const FIELDS: UniformFields = [
  ['B', 'u32'], ['Hq', 'u32'], ['Hk', 'u32'], ['Sq', 'u32'], ['T', 'u32'], ['D', 'u32'], ['Dv', 'u32'], ['scale', 'f32'],
  ['m0', 'u32'], ['m1', 'u32'], ['m2', 'u32'], ['m3', 'u32'],
];

function wgsl(hasMask: boolean, st: StorageType): string {
  return `${storageHeader(st)}${storageDecl(0, 'Q')}${storageDecl(1, 'K')}${storageDecl(2, 'V')}${hasMask ? storageDecl(3, 'Mk') : ''}${storageDecl(hasMask ? 4 : 3, 'Y', true)}${uniformDecl(FIELDS, hasMask ? 5 : 4)}${GRID_INDEX_WGSL}var<workgroup> sc: array<f32, ${MAX_KEYS}>;
var<workgroup> sh: array<f32, ${WG}>;
${wgReduceWgsl(WG, 'reduce_max', 'max(a, b)')}${wgReduceWgsl(WG, 'reduce_sum', 'a + b')}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = grid_index(wg, nwg);
  if (row >= u.B * u.Hq * u.Sq) { return; }
  let i = row % u.Sq; let bh = row / u.Sq; let h = bh % u.Hq; let b = bh / u.Hq;
  let kh = select(h, 0u, u.Hk == 1u);
  let qBase = row * u.D;
  let kBase = (b * u.Hk + kh) * u.T * u.D;
  let vBase = (b * u.Hk + kh) * u.T * u.Dv;
  var m = neg_inf();
  for (var t = lid.x; t < u.T; t += ${WG}u) {
    var acc = 0.0;
    for (var d = 0u; d < u.D; d++) { acc = fma(f32(Q[qBase + d]), f32(K[kBase + t * u.D + d]), acc); }
    var s = acc * u.scale;
${hasMask ? '    s = s + f32(Mk[b * u.m0 + h * u.m1 + i * u.m2 + t * u.m3]);\n' : ''}    sc[t] = s;
    m = max(m, s);
  }
  sh[lid.x] = m;
  reduce_max(lid.x);
  let mx = sh[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var t = lid.x; t < u.T; t += ${WG}u) { let e = exp(sc[t] - mx); sc[t] = e; sum = sum + e; }
  sh[lid.x] = sum;
  reduce_sum(lid.x);
  let inv = 1.0 / sh[0];
  for (var j = lid.x; j < u.Dv; j += ${WG}u) {
    var acc = 0.0;
    for (var t = 0u; t < u.T; t++) { acc = fma(sc[t], f32(V[vBase + t * u.Dv + j]), acc); }
    Y[row * u.Dv + j] = ST(acc * inv);
  }
}
`;
}

/** Declines key sequences longer than {@link MAX_KEYS}, run-time bool masks, big tensors. */
function attentionSupports(q: SupportQuery, limits: GPUSupportedLimits): Support {
  return allOk(
    () => {
      const t = q.inputs[1]?.shape?.[2];
      return typeof t === 'number' && t > MAX_KEYS ? { ok: false, reason: `key sequence ${t} > ${MAX_KEYS} (one workgroup holds a row of scores)` } : { ok: true };
    },
    () => {
      const m = q.inputs[3];
      return m && m.dtype === 'bool' && !m.value ? { ok: false, reason: 'a run-time bool attn_mask (bool is not a GPU dtype; a constant one is converted)' } : { ok: true };
    },
    () => checkBindingSizes(q, limits),
  );
}

/** Element strides of a mask broadcast to `[B, Hq, Sq, T]` (numpy rules; 0 where it repeats). */
function maskStrides(dims: readonly number[]): number[] {
  const st = contiguousStrides(dims).map((s, i) => (dims[i] === 1 ? 0 : s));
  return [...Array<number>(4 - dims.length).fill(0), ...st];
}

/** optiflow::Attention, float32. */
export const gpuAttention = defineGpuKernel(OptiflowAttention, {
  supports: attentionSupports,
  async create(ctx): Promise<GpuKernel> {
    const node = ctx.node;
    const hasMask = hasInput(node, 3);
    const up = uploadConstants(ctx);
    const boolMask = ctx.constants[3];
    if (boolMask && boolMask.type === 'bool') {
      const bits = boolMask.data as Uint8Array;
      up[3] = ctx.upload({ type: 'float32', dims: boolMask.dims, data: Float32Array.from(bits, (v) => (v ? 0 : -Infinity)) });
    }
    const st = storageOf(ctx);
    const pipeline = await ctx.pipelines.get(`a/attention/${st}/${hasMask ? 'mask' : ''}`, () => wgsl(hasMask, st));
    const scaleAttr = ctx.attrs.scale;
    return {
      // Every constant is uploaded here (the bool mask converted), so the runner uploads none.
      constantInputs: [],
      encode(enc, inputs, [y]) {
        const q = inputAt(node, inputs, up, 0); const k = inputAt(node, inputs, up, 1); const v = inputAt(node, inputs, up, 2);
        const [b, hq, sq, d] = q.dims as [number, number, number, number];
        const [, hk, t] = k.dims as [number, number, number];
        const dv = v.dims[3]!;
        if (t > MAX_KEYS) throw nodeError(node, 'runtime_error', `key sequence ${t} > ${MAX_KEYS} on webgpu`);
        const mask: GpuTensor | undefined = hasMask ? inputAt(node, inputs, up, 3) : undefined;
        if (mask && mask.dtype !== 'float32' && mask.dtype !== 'float16') throw nodeError(node, 'dtype_mismatch', `attn_mask dtype ${mask.dtype} on webgpu`);
        const ms = mask ? maskStrides(mask.dims) : [0, 0, 0, 0];
        const rows = b * hq * sq;
        if (rows * dv === 0 || numel(y!.dims) === 0) return;
        const binds: GpuBinding[] = [q, k, v];
        if (mask) binds.push(mask);
        binds.push(y!, packUniform(FIELDS, {
          B: b, Hq: hq, Hk: hk, Sq: sq, T: t, D: d, Dv: dv, scale: scaleAttr ?? 1 / Math.sqrt(d),
          m0: ms[0]!, m1: ms[1]!, m2: ms[2]!, m3: ms[3]!,
        }));
        enc.dispatch(pipeline, binds, grid(rows, node));
      },
    };
  },
});

/** The attention kernels. */
export const ATTENTION_KERNELS_A: readonly AnyGpuKernel[] = [gpuAttention];
