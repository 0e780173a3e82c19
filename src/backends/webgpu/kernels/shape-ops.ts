/**
 * Data-movement `webgpu` kernels built on the strided-copy template (`shape-copy.ts`): Identity,
 * Dropout (inference: a copy; the bool mask output is not offered), Reshape, Flatten, Squeeze,
 * Unsqueeze (copies; shape-like inputs must be constants), Expand, Tile, Slice (constant
 * starts/ends/axes/steps), Pad (constant mode, constant pads/value/axes) and Cast between
 * float32 and int32. float32, float16, int32 and uint32 data; int64 and bool stay on the CPU.
 * Source: ONNX operator spec (docs/Operators.md).
 * @module
 */
import { dtypeFromOnnx, type DType } from '../../../ir/dtype.js';
import { Cast, Cast1 } from '../../../ops/cast-quant.js';
import type { AttrSpecs, AttrsOf, OpSchema } from '../../../ops/schema.js';
import { padAmounts, padsOf, Pad, Slice, slicePlan, Tile } from '../../../ops/tensor-slice.js';
import { Dropout, Expand, Flatten, Identity, Reshape, Squeeze, Unsqueeze } from '../../../ops/tensor-shape.js';
import type { SupportQuery, Support } from '../../backend.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuCreateCtx, type GpuEncoder, type GpuTensor } from '../kernel.js';
import { copyKey, copyShader, createCopyPipelines, encodeCopy, encodeFlatCopy, type Conversion } from './shape-copy.js';
import { broadcastStrides, checkSupport, constNumbers, gpuFail, no, storageVariants, wgslType, stridesOf } from './wgsl-common.js';

/** Data dtypes of the copy kernels. */
export const COPY_DTYPES: readonly DType[] = ['float32', 'float16', 'int32', 'uint32'];

/** Options of {@link copyKernel}. */
interface CopyOptions<S extends AttrSpecs, St> {
  /** Inputs that must be constants (read in `prepare`). */
  readonly constant?: (q: SupportQuery) => number[];
  /** Inputs ignored entirely. */
  readonly ignore?: readonly number[];
  /** Extra checks. */
  readonly supports?: (q: SupportQuery) => Support;
  /** Reads attributes and constants once. */
  readonly prepare: (ctx: GpuCreateCtx<AttrsOf<S>>) => St;
  /** Records the copies. */
  readonly encode: (enc: GpuEncoder, ctx: GpuCreateCtx<AttrsOf<S>>, st: St, x: GpuTensor, outputs: readonly GpuTensor[]) => void;
}

/** Inputs 1.. that the node has (non-empty names). */
function present(q: SupportQuery, from = 1): number[] {
  return q.node.inputs.map((n, i) => (i >= from && n !== '' ? i : -1)).filter((i) => i >= 0);
}

/** Declares a kernel whose data input is input 0 and whose work is strided copies. */
function copyKernel<S extends AttrSpecs, St>(schema: OpSchema<S>, o: CopyOptions<S, St>): AnyGpuKernel {
  return defineGpuKernel(schema, {
    dtypes: COPY_DTYPES,
    supports: (q, limits) => {
      const c = checkSupport(q, limits, { dtypes: COPY_DTYPES, constant: o.constant?.(q) ?? [], ignore: o.ignore });
      return c.ok && o.supports ? o.supports(q) : c;
    },
    create: async (ctx) => {
      const st = o.prepare(ctx);
      await createCopyPipelines(ctx, storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx));
      return {
        constantInputs: [],
        encode(enc, inputs, outputs) {
          const x = inputs[0] ?? gpuFail(ctx.node, 'input 0 is missing on the GPU');
          o.encode(enc, ctx, st, x, outputs);
        },
      };
    },
  });
}

const flat = <S extends AttrSpecs>(schema: OpSchema<S>, constant?: (q: SupportQuery) => number[], extra?: Partial<CopyOptions<S, undefined>>) =>
  copyKernel(schema, {
    constant, ...extra,
    prepare: () => undefined,
    encode: (enc, ctx, _st, x, [y]) => encodeFlatCopy(enc, ctx, x, y!),
  });

/** Float bits (float data) or integer bits (integer data) of a pad value. */
function padBits(v: number, dtype: DType | undefined): number {
  if (dtype === 'int32' || dtype === 'uint32') return v >>> 0;
  return new Uint32Array(new Float32Array([v]).buffer)[0]!;
}

/** Numbers of constant input `i`, if the node has it. */
function constAt(ctx: GpuCreateCtx<unknown>, i: number): number[] | undefined {
  const c = ctx.constants[i];
  if (ctx.node.inputs[i] && ctx.node.inputs[i] !== '' && !c) gpuFail(ctx.node, `input ${i} must be a constant`);
  return c ? constNumbers(c) : undefined;
}

const slice = copyKernel(Slice, {
  constant: (q) => (q.opset < 10 ? [] : present(q)),
  prepare: (ctx) => {
    if (ctx.opset < 10) return { starts: ctx.attrs.starts ?? [], ends: ctx.attrs.ends ?? [], axes: ctx.attrs.axes, steps: undefined };
    return { starts: constAt(ctx, 1) ?? [], ends: constAt(ctx, 2) ?? [], axes: constAt(ctx, 3), steps: constAt(ctx, 4) };
  },
  encode: (enc, ctx, st, x, [y]) => {
    const plan = slicePlan(ctx.node, x.dims, st.starts, st.ends, st.axes, st.steps);
    const s = stridesOf(x.dims);
    encodeCopy(enc, ctx, x, y!, {
      dims: plan.map((p) => p.count), src: plan.map((p, i) => p.step * s[i]!),
      srcBase: plan.reduce((a, p, i) => a + p.start * s[i]!, 0),
    });
  },
});

const pad = copyKernel(Pad, {
  constant: (q) => (q.opset < 11 ? [] : present(q)),
  supports: (q) => {
    const mode = q.node.attributes.get('mode');
    return !mode || (mode.type === 'string' && mode.value === 'constant') ? { ok: true } : no('only mode=constant runs on the GPU');
  },
  prepare: (ctx) => {
    const pads = padsOf(ctx.opset, ctx.attrs, ctx.opset >= 11 ? constAt(ctx, 1) : undefined) ?? gpuFail(ctx.node, 'pads are missing');
    const value = ctx.opset < 11 ? ctx.attrs.value : constAt(ctx, 2)?.[0] ?? 0;
    return { pads, axes: ctx.opset >= 18 ? constAt(ctx, 3) : undefined, bits: padBits(value, ctx.inputs[0]?.dtype) };
  },
  encode: (enc, ctx, st, x, [y]) => {
    const { begin } = padAmounts(ctx.node, x.dims.length, st.pads, st.axes);
    encodeCopy(enc, ctx, x, y!, { dims: y!.dims, src: stridesOf(x.dims), lo: begin, hi: x.dims, padBits: st.bits });
  },
});

const expand = copyKernel(Expand, {
  constant: () => [1],
  prepare: () => undefined,
  encode: (enc, ctx, _st, x, [y]) => encodeCopy(enc, ctx, x, y!, { dims: y!.dims, src: broadcastStrides(y!.dims, x.dims) }),
});

const tile = copyKernel(Tile, {
  constant: () => [1],
  prepare: () => undefined,
  encode: (enc, ctx, _st, x, [y]) => encodeCopy(enc, ctx, x, y!, { dims: y!.dims, src: stridesOf(x.dims), mod: x.dims }),
});

/** Cast float32 ↔ int32 (truncation toward zero), or a copy between equal dtypes. */
function castKernel<S extends AttrSpecs>(schema: OpSchema<S>, target: (a: AttrsOf<S>) => DType | undefined): AnyGpuKernel {
  const ok: readonly DType[] = ['float32', 'int32'];
  return defineGpuKernel(schema, {
    dtypes: ['float32', 'int32'],
    supports: (q, limits) => {
      const to = target(q.node.attributes.size ? readTo(q) as AttrsOf<S> : ({} as AttrsOf<S>));
      if (!to || !ok.includes(to)) return no(`Cast to ${to ?? 'an unknown type'}: only float32 ↔ int32 runs on the GPU`);
      return checkSupport(q, limits, { dtypes: ok });
    },
    create: async (ctx) => {
      const to = target(ctx.attrs) ?? gpuFail(ctx.node, 'unknown target dtype');
      const ins = storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx);
      const outs = storageVariants(to, ctx);
      const convs: Conversion[] = [];
      for (const a of ins) for (const b of outs) if (a !== b) convs.push({ from: wgslType(a) as Conversion['from'], to: wgslType(b) as Conversion['to'] });
      await Promise.all([
        createCopyPipelines(ctx, ins),
        ...convs.map((c) => ctx.pipelines.get(copyKey('float32', c), () => copyShader('float32', c))),
      ]);
      return {
        constantInputs: [],
        encode(enc, inputs, [y]) {
          const x = inputs[0] ?? gpuFail(ctx.node, 'input 0 is missing on the GPU');
          if (x.dtype === y!.dtype) { encodeFlatCopy(enc, ctx, x, y!); return; }
          const n = x.dims.reduce((a, b) => a * b, 1);
          encodeCopy(enc, ctx, x, y!, { dims: [n], src: [1], dst: [1] },
            { from: wgslType(x.dtype) as Conversion['from'], to: wgslType(y!.dtype) as Conversion['to'] });
        },
      };
    },
  });
}

/** The `to` attribute of a Cast node as a record (for `supports`, before attributes are resolved). */
function readTo(q: SupportQuery): Record<string, unknown> {
  const a = q.node.attributes.get('to');
  return { to: a && (a.type === 'int' || a.type === 'string') ? a.value : undefined };
}

const CAST1_NAMES: Readonly<Record<string, DType>> = { FLOAT: 'float32', INT32: 'int32', FLOAT16: 'float16' };

/** Every kernel of this file. */
export const SHAPE_KERNELS: AnyGpuKernel[] = [
  flat(Identity, undefined, { supports: (q) => (q.inputs[0]?.kind && q.inputs[0].kind !== 'tensor' ? no('sequences and optionals stay on the CPU') : { ok: true }) }),
  flat(Dropout, undefined, {
    ignore: [1, 2],
    supports: (q) => (q.node.outputs.length > 1 && q.node.outputs[1] !== '' ? no('the mask output is bool: it stays on the CPU') : { ok: true }),
  }),
  flat(Reshape, (q) => (q.opset < 5 ? [] : [1])),
  flat(Flatten),
  flat(Squeeze, (q) => (q.opset < 13 ? [] : present(q))),
  flat(Unsqueeze, (q) => (q.opset < 13 ? [] : present(q))),
  expand, tile, slice, pad,
  castKernel(Cast1, (a) => (typeof a.to === 'string' ? CAST1_NAMES[a.to] : undefined)),
  castKernel(Cast, (a) => (typeof a.to === 'number' ? dtypeFromOnnx(a.to) : undefined)),
];
