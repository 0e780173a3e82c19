/**
 * The template of every elementwise `webgpu` kernel: K operand tensors broadcast (numpy rules) to
 * the output, one thread per output element, an f32 expression over the loaded operands `v0..`,
 * float parameters `a0..` read from the uniform (so LeakyRelu with any alpha shares one pipeline),
 * and an optional statement list (the fused programs). Operands whose element count equals the
 * output's are read at the output index, size-1 operands at 0; only when some operand really
 * broadcasts does the shader walk the output coordinates (rank and dims are uniforms).
 *
 * Pipeline key: `ew|<op key>|<operand storage types>|<output type>`: the WGSL text depends on
 * nothing else.
 * @module
 */
/// <reference types="@webgpu/types" />
import type { DType } from '../../../ir/dtype.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import type { AttrSpecs, AttrsOf, OpSchema } from '../../../ops/schema.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuCreateCtx, type GpuDType, type GpuTensor } from '../kernel.js';
import { EW_HELPERS } from './eltwise-ops.js';
import {
  broadcastStrides, checkSupport, disposeAll, enableFor, gpuFail, grid, mainHeader, MAX_RANK, no, numelOf,
  storageVariants, uniformDecl, Uniforms, wgslType, type SupportOptions,
} from './wgsl-common.js';

/** What one node's elementwise computation is, decided at create time. */
export interface EwPlan {
  /** Node input indices bound as operand tensors, in operand order (`v0`, `v1`, ...). */
  readonly operands: readonly number[];
  /** Operands stored as int32 regardless of the data dtype (Where's condition). */
  readonly intOperands?: readonly number[];
  /** Statements before the result (may declare `let` temporaries). */
  readonly body?: string;
  /** The f32 result expression. */
  readonly expr: string;
  /** The i32 result expression for int32 data (wrapping arithmetic); absent = float only. */
  readonly intExpr?: string;
  /** Float parameters `a0..`, passed as uniforms. */
  readonly params?: readonly number[];
  /** Everything `body`/`expr` depend on (op, baked attributes). */
  readonly key: string;
  /** Dims operand `k` broadcasts with (legacy opset < 7 alignment); default its own dims. */
  readonly dimsOf?: (k: number, t: GpuTensor, all: readonly GpuTensor[]) => readonly number[];
}

/** Options of {@link ewKernel}. */
export interface EwOptions<S extends AttrSpecs> {
  /** Input-0 dtypes (default float32, float16). */
  readonly dtypes?: readonly DType[];
  /** Extra capability checks. */
  readonly supports?: (q: SupportQuery, limits: GPUSupportedLimits) => Support;
  /** Options of the common checks (constant-only inputs, ignored inputs). */
  readonly check?: SupportOptions;
  /** The node's computation. */
  readonly plan: (ctx: GpuCreateCtx<AttrsOf<S>>) => EwPlan;
}

/** Uniform slot of the first operand record (after n, rank, needLoop, pad, out dims). */
const OPS_BASE = 4 + MAX_RANK;
/** Slots per operand record: a mode flag and MAX_RANK strides. */
const OP_SLOTS = 1 + MAX_RANK;

/** The WGSL of one elementwise shader. */
export function ewShader(plan: EwPlan, types: readonly GpuDType[], out: GpuDType): string {
  const k = plan.operands.length;
  const pb = OPS_BASE + k * OP_SLOTS;
  const slots = pb + (plan.params?.length ?? 0);
  const decl = types.map((t, i) => `@group(0) @binding(${i}) var<storage, read> X${i}: array<${wgslType(t)}>;`).join('\n');
  const offs = types.map((_, i) => `  var o${i} = select(0u, idx, pu(${OPS_BASE + i * OP_SLOTS}u) == 1u);`).join('\n');
  const walk = types.map((_, i) => `      o${i} += c * pu(${OPS_BASE + i * OP_SLOTS + 1}u + u32(d));`).join('\n');
  const loads = types.map((t, i) => (t === 'int32' ? `  let v${i} = X${i}[o${i}];` : `  let v${i} = f32(X${i}[o${i}]);`)).join('\n');
  const params = (plan.params ?? []).map((_, j) => `  let a${j} = pf(${pb + j}u);`).join('\n');
  return `${enableFor(...types, out)}${EW_HELPERS}
${decl}
@group(0) @binding(${k}) var<storage, read_write> Y: array<${wgslType(out)}>;
${uniformDecl(k + 1, slots)}
${mainHeader()}
  if (idx >= pu(0u)) { return; }
${offs}
  if (pu(2u) == 1u) {
${types.map((_, i) => `    o${i} = 0u;`).join('\n')}
    var rem = idx;
    for (var d = i32(pu(1u)) - 1; d >= 0; d = d - 1) {
      let dim = pu(${4}u + u32(d));
      let c = rem % dim;
      rem = rem / dim;
${walk}
    }
  }
${loads}
${params}
${out === 'int32' ? '' : plan.body ?? ''}
  Y[idx] = ${wgslType(out)}(${out === 'int32' ? plan.intExpr : plan.expr});
}
`;
}

/** Uniforms of one dispatch for output dims `od` and operand dims `dims`. */
function ewUniforms(od: readonly number[], dims: readonly (readonly number[])[], params: readonly number[]): Uniforms {
  const n = od.length ? od.reduce((a, b) => a * b, 1) : 1;
  const k = dims.length;
  const u = new Uniforms(OPS_BASE + k * OP_SLOTS + params.length);
  u.u(0, n).u(1, od.length);
  od.forEach((d, i) => u.u(4 + i, d));
  let loop = false;
  dims.forEach((d, i) => {
    const m = d.reduce((a, b) => a * b, 1);
    const base = OPS_BASE + i * OP_SLOTS;
    const mode = m === n ? 1 : m === 1 ? 2 : 0;
    if (mode === 0) loop = true;
    u.u(base, mode);
    broadcastStrides(od, d).forEach((s, j) => u.u(base + 1 + j, s));
  });
  u.u(2, loop ? 1 : 0);
  params.forEach((p, j) => u.f(OPS_BASE + k * OP_SLOTS + j, p));
  return u;
}

/** A constant converted to int32 storage (bool/int64 conditions and masks). */
function asInt32(t: TensorData): TensorData {
  return { type: 'int32', dims: [...t.dims], data: Int32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v)) };
}

/**
 * Declares an elementwise kernel for `schema`: its `plan` says which inputs are operands and what
 * the WGSL computes; constant operands are uploaded in `create`; one pipeline per storage variant
 * (float32, and float16 in `fp16` precision).
 */
export function ewKernel<S extends AttrSpecs>(schema: OpSchema<S>, o: EwOptions<S>): AnyGpuKernel {
  const dtypes = o.dtypes ?? ['float32', 'float16'];
  return defineGpuKernel(schema, {
    dtypes,
    supports: (q, limits) => {
      if (q.inputs.length + 1 > limits.maxStorageBuffersPerShaderStage) {
        return no(`${q.inputs.length} inputs exceed maxStorageBuffersPerShaderStage ${limits.maxStorageBuffersPerShaderStage}`);
      }
      const c = checkSupport(q, limits, { dtypes, ...o.check });
      return c.ok && o.supports ? o.supports(q, limits) : c;
    },
    create: async (ctx) => {
      const plan = o.plan(ctx);
      if (ctx.inputs[0]?.dtype === 'int32' && plan.intExpr === undefined) gpuFail(ctx.node, 'int32 data: no integer form of this op');
      const dataIdx = plan.operands.find((i) => !plan.intOperands?.includes(i)) ?? 0;
      const variants = storageVariants(ctx.inputs[dataIdx]?.dtype ?? 'float32', ctx);
      const uploaded = ctx.constants.map((c, i) => {
        if (!c || !plan.operands.includes(i)) return undefined;
        if (plan.intOperands?.includes(i)) return ctx.upload(asInt32(c), 'int32');
        return ctx.upload(c);
      });
      const typesFor = (v: GpuDType): GpuDType[] => plan.operands.map((i) => (plan.intOperands?.includes(i) ? 'int32' : v));
      const keyOf = (v: GpuDType) => `ew|${plan.key}|${typesFor(v).join(',')}|${v}`;
      await Promise.all(variants.map((v) => ctx.pipelines.get(keyOf(v), () => ewShader(plan, typesFor(v), v))));
      const params = plan.params ?? [];
      return {
        constantInputs: [],
        encode(enc, inputs, outputs) {
          const y = outputs[0]!;
          const n = numelOf(y);
          if (n === 0) return;
          if (y.dims.length > MAX_RANK) gpuFail(ctx.node, `rank ${y.dims.length} above ${MAX_RANK}`);
          const ts = plan.operands.map((i) => inputs[i] ?? uploaded[i] ?? gpuFail(ctx.node, `input ${i} is missing on the GPU`));
          const types = ts.map((t, k) => (plan.intOperands?.includes(plan.operands[k]!) ? 'int32' : t.dtype));
          const pipe = ctx.pipelines.peek(`ew|${plan.key}|${types.join(',')}|${y.dtype}`)
            ?? gpuFail(ctx.node, `no pipeline for operand dtypes ${types.join(',')} → ${y.dtype}`);
          const dims = ts.map((t, k) => (plan.dimsOf ? plan.dimsOf(k, t, ts) : t.dims));
          enc.dispatch(pipe, [...ts, y, ewUniforms(y.dims, dims, params).binding], grid(n));
        },
        dispose() { disposeAll(uploaded); },
      };
    },
  });
}
