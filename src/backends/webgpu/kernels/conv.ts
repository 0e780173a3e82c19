/**
 * WebGPU float32 convolution kernels: Conv, optiflow::FusedConv (bias, residual Z and activation
 * in the epilogue) and optiflow::NhwcConv (channels-last activations), 1-D and 2-D, with groups,
 * strides, dilations, pads and auto_pad. Three algorithms, chosen when the node is created:
 * - 1×1, stride 1, no padding: a plain GEMM `Y[n] = W · X[n]` (per group);
 * - one input channel per group (depthwise): the direct shader of `conv-direct.ts`;
 * - everything else: implicit GEMM over an im2col view that is never materialized.
 * NhwcConv always runs the implicit GEMM with the image as the A operand. `optiflow bench --tune` times
 * GEMM tiles for the GEMM forms and workgroup sizes for the direct shader, keyed by concrete shapes.
 * Source: ONNX operator spec (Conv); `src/ops/optiflow-fused.ts`, `src/ops/optiflow-layout.ts`.
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import { Conv } from '../../../ops/nn-conv.js';
import { windowGeometry, windowParams } from '../../../ops/nn-shape.js';
import { FusedConv } from '../../../ops/optiflow-fused.js';
import { resolveActivation, type FusedActivation } from '../../../ops/optiflow-fused-activation.js';
import { NhwcConv } from '../../../ops/optiflow-layout.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuCreateCtx, type GpuEncoder, type GpuKernel, type GpuTensor } from '../kernel.js';
import {
  createDirectConv, DIRECT_CONV_WG, DIRECT_CONV_WG_CANDIDATES, encodeDirectConv, validDirectWg, type DirectConv, type DirectConvGeometry,
} from './conv-direct.js';
import { concreteInputDims, concreteInputInfos, hasSymbolicInput, shapesKey, TunedVariants } from './tuned-variants.js';
import type { AttrSpecs, OpSchema } from '../../../ops/schema.js';
import { encodeGemm, type GemmProblem, type OperandStrides } from './matmul-template.js';
import { gemmKernel } from './matmul.js';
import { allOk, checkBindingSizes, hasInput, inputAt, MAX_GROUPS_PER_DIM, nodeError, uploadConstants } from './wgsl-a.js';

/** Conv's window attributes as the schemas resolve them. */
interface ConvAttrs {
  readonly auto_pad: string; readonly dilations: number[] | undefined; readonly group: number;
  readonly kernel_shape: number[] | undefined; readonly pads: number[] | undefined; readonly strides: number[] | undefined;
}

type Algo = 'gemm1x1' | 'direct' | 'im2col' | 'nhwc';

/** Declines 3-D (and higher) convolutions and tensors above the binding limit. */
function convSupports(q: SupportQuery, limits: GPUSupportedLimits): Support {
  return allOk(
    () => {
      const r = q.inputs[0]?.shape?.length ?? q.inputs[1]?.shape?.length;
      return r !== undefined && r !== 3 && r !== 4
        ? { ok: false, reason: `rank-${r} Conv: webgpu handles 1-D and 2-D convolutions` } : { ok: true };
    },
    () => {
      const n = q.inputs[0]?.shape?.[0]; const g = q.node.attributes.get('group');
      const groups = n === undefined || typeof n !== 'number' ? 0 : n * (g?.type === 'int' ? g.value : 1);
      return groups > MAX_GROUPS_PER_DIM ? { ok: false, reason: `batch × group ${groups} exceeds one dispatch dimension` } : { ok: true };
    },
    () => checkBindingSizes(q, limits),
  );
}

function chooseAlgo(attrs: ConvAttrs, wShape: readonly (number | string)[] | undefined, nhwc: boolean): Algo {
  if (nhwc) return 'nhwc';
  const kernel = attrs.kernel_shape ?? (wShape && wShape.slice(2).every((d) => typeof d === 'number') ? wShape.slice(2) as number[] : undefined);
  const ones = (v: number[] | undefined): boolean => !v || v.every((x) => x === 1);
  const zeroPads = attrs.auto_pad !== 'NOTSET' || !attrs.pads || attrs.pads.every((x) => x === 0);
  if (kernel && kernel.every((k) => k === 1) && ones(attrs.strides) && zeroPads) return 'gemm1x1';
  if (wShape?.[1] === 1 && attrs.group > 1) return 'direct';
  return 'im2col';
}

/** 2-D geometry of the node's convolution on concrete shapes (1-D: H = 1). */
function geometry(node: Node, attrs: ConvAttrs, x: GpuTensor, w: GpuTensor, nhwc: boolean): DirectConvGeometry {
  const xd = x.dims;
  if (xd.length !== 3 && xd.length !== 4) throw nodeError(node, 'shape_mismatch', `webgpu Conv handles rank 3 and 4 inputs, got [${xd.join(',')}]`);
  const spatial = nhwc ? xd.slice(1, 3) : xd.slice(2);
  const c = nhwc ? xd[3]! : xd[1]!;
  const r = spatial.length;
  const kernel = attrs.kernel_shape ?? w.dims.slice(2);
  const p = windowParams(node, r, attrs, kernel);
  const geo = windowGeometry(node, spatial, p);
  const two = <T>(v: readonly T[], one: T): [T, T] => (r === 1 ? [one, v[0]!] : [v[0]!, v[1]!]);
  const [h, wd] = two(spatial, 1); const [outH, outW] = two(geo.out, 1);
  const [kh, kw] = two(p.kernel, 1); const [sh, sw] = two(p.strides, 1); const [dh, dw] = two(p.dilations, 1);
  const [ph, pw] = two(geo.padsBegin, 0);
  return { n: xd[0]!, c, m: w.dims[0]!, group: attrs.group, h, w: wd, outH, outW, kh, kw, sh, sw, ph, pw, dh, dw };
}

/** The GEMM problem of a convolution for the GEMM-based algorithms. */
function gemmProblem(algo: Exclude<Algo, 'direct'>, g: DirectConvGeometry, hasB: boolean, hasZ: boolean): GemmProblem {
  const G = g.group; const cg = g.c / G; const mg = g.m / G;
  const hw = g.h * g.w; const p = g.outH * g.outW; const k = cg * g.kh * g.kw;
  const batch = [g.n, G];
  if (algo === 'nhwc') {
    const y: OperandStrides = { rs: g.m, cs: 1, bs: [p * g.m, mg] };
    return {
      m: p, n: mg, k, batch,
      a: { rs: 0, cs: 0, bs: [hw * g.c, cg] },
      b: { rs: 1, cs: k, bs: [0, mg * k] },
      y, ...(hasZ ? { z: y } : {}), ...(hasB ? { c: { rs: 0, cs: 1, bs: [0, mg] } } : {}),
      conv: { ...conv2(g, cg), xCs: 1, xHs: g.w * g.c, xWs: g.c },
    };
  }
  const y: OperandStrides = { rs: p, cs: 1, bs: [g.m * p, mg * p] };
  const common = { m: mg, n: p, k, batch, a: { rs: k, cs: 1, bs: [0, mg * k] }, y, ...(hasZ ? { z: y } : {}), ...(hasB ? { c: { rs: 1, cs: 0, bs: [0, mg] } } : {}) };
  if (algo === 'gemm1x1') return { ...common, b: { rs: hw, cs: 1, bs: [g.c * hw, cg * hw] } };
  return { ...common, b: { rs: 0, cs: 0, bs: [g.c * hw, cg * hw] }, conv: { ...conv2(g, cg), xCs: hw, xHs: g.w, xWs: 1 } };
}

function conv2(g: DirectConvGeometry, cg: number) {
  return { cin: cg, kh: g.kh, kw: g.kw, inH: g.h, inW: g.w, outW: g.outW, sh: g.sh, sw: g.sw, ph: g.ph, pw: g.pw, dh: g.dh, dw: g.dw };
}

/** Shared create of Conv, FusedConv and NhwcConv. */
async function createConv(ctx: GpuCreateCtx<ConvAttrs>, schema: OpSchema<AttrSpecs>, act: FusedActivation, nhwc: boolean): Promise<GpuKernel> {
  const node = ctx.node; const attrs = ctx.attrs;
  const hasB = hasInput(node, 2); const hasZ = hasInput(node, 3);
  const wShape = ctx.constants[1]?.dims ?? ctx.inputs[1]?.shape;
  const algo = chooseAlgo(attrs, wShape, nhwc);
  if (algo === 'direct') {
    const up = uploadConstants(ctx);
    const tuneKey = (dims: readonly (readonly number[] | undefined)[]): string =>
      `conv-direct:${node.opType}:${ctx.precision === 'fp16' ? 'f16' : 'f32'}:${shapesKey(dims)}`;
    const t = ctx.tuned(tuneKey(concreteInputDims(ctx)));
    const wg = validDirectWg(t) ? t[0] : DIRECT_CONV_WG;
    const d = await createDirectConv(ctx, hasB, hasZ, act, wg);
    const tuned = hasSymbolicInput(ctx)
      ? new TunedVariants(ctx, { choice: [wg], pipeline: d }, (c) => createDirectConv(ctx, hasB, hasZ, act, c[0]), validDirectWg)
      : undefined;
    const record = (dc: DirectConv, enc: GpuEncoder, ins: readonly (GpuTensor | undefined)[], y: GpuTensor): void => {
      const x = ins[0]!; const w = ins[1]!;
      encodeDirectConv(enc, node, dc, geometry(node, attrs, x, w, false), { x, w, y, ...(hasB ? { b: ins[2]! } : {}), ...(hasZ ? { z: ins[3]! } : {}) });
    };
    return {
      encode(enc, inputs, [y]) {
        const ins = node.inputs.map((n, i) => (n ? inputAt(node, inputs, up, i) : undefined));
        record(tuned ? tuned.pick(tuneKey(ins.map((x) => x?.dims))) : d, enc, ins, y!);
      },
      tuning(dims) {
        const ins = concreteInputDims(ctx, dims);
        if (ins.some((x, k) => node.inputs[k] && !x)) return [];
        let out: readonly (number | string)[] | undefined;
        try {
          out = schema.infer({ attrs: attrs as never, opset: ctx.opset, node, inputs: concreteInputInfos(ctx, ins), outputCount: 1 })[0]?.shape;
        } catch {
          return [];
        }
        if (!out || !out.every((x): x is number => typeof x === 'number')) return [];
        const dtype = ctx.precision === 'fp16' ? 'float16' : 'float32';
        return [{
          key: tuneKey(ins), candidates: DIRECT_CONV_WG_CANDIDATES,
          async prepare(c) {
            const dc = await createDirectConv(ctx, hasB, hasZ, act, c[0]!);
            return (enc) => record(dc, enc, ins.map((x) => (x ? enc.scratch(x, dtype) : undefined)), enc.scratch(out as number[], dtype));
          },
        }];
      },
    };
  }
  const variant = {
    a: algo === 'nhwc' ? 'im2col' : 'strided', b: algo === 'im2col' ? 'im2col' : 'strided',
    aKFast: true, bKFast: algo === 'nhwc', hasC: hasB, hasZ, act,
  } as const;
  return gemmKernel(ctx, schema, algo, variant, (gp, enc, [x0, w0, b, z], [y]) => {
    const x = x0!; const w = w0!;
    const prob = gemmProblem(algo, geometry(node, attrs, x, w, nhwc), hasB, hasZ);
    encodeGemm(enc, node, gp, prob, {
      a: algo === 'nhwc' ? x : w, b: algo === 'nhwc' ? w : x, y: y!, ...(b ? { c: b } : {}), ...(z ? { z } : {}),
    });
  });
}

/** Conv (all opsets), float32, 1-D and 2-D. */
export const gpuConv = defineGpuKernel(Conv, {
  supports: convSupports,
  create: (ctx) => createConv(ctx, Conv as unknown as OpSchema<AttrSpecs>, { kind: '', params: [] }, false),
});

/** optiflow::FusedConv, float32, 1-D and 2-D: bias, residual and activation fused. */
export const gpuFusedConv = defineGpuKernel(FusedConv, {
  supports: convSupports,
  create: (ctx) => createConv(ctx, FusedConv as unknown as OpSchema<AttrSpecs>, resolveActivation(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params), false),
});

/** optiflow::NhwcConv, float32 (2-D, channels-last activations, OIHW weights). */
export const gpuNhwcConv = defineGpuKernel(NhwcConv, {
  supports: checkBindingSizes,
  create: (ctx) => createConv(ctx, NhwcConv as unknown as OpSchema<AttrSpecs>, resolveActivation(ctx.node, ctx.attrs.activation, ctx.attrs.activation_params), true),
});

/** The convolution kernels. */
export const CONV_KERNELS_A: readonly AnyGpuKernel[] = [gpuConv, gpuFusedConv, gpuNhwcConv];
