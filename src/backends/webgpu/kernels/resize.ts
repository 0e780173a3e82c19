/**
 * Resize (opset 10+) and Upsample (7-9) on the GPU for 4-D NCHW data resized over H and W:
 * modes `nearest` (every `nearest_mode`) and `linear` (bilinear), coordinate modes
 * `half_pixel`, `half_pixel_symmetric`, `pytorch_half_pixel`, `align_corners`, `asymmetric` and
 * the opset-10 / Upsample legacy mapping. The coordinate and nearest modes are baked into the
 * WGSL (they are the pipeline key); dims and scales are uniforms. Declined: cubic, antialias,
 * `tf_crop_and_resize`, `axes`, keep-aspect policies other than `stretch`, non-constant
 * scales/sizes, and resizing N or C.
 * Source: ONNX operator spec (Resize-10/11/13/18/19, Upsample-7/9); coordinate formulas as the
 * `js` backend's (ONNX reference implementation).
 * @module
 */
import { Resize, tensorNumbers, Upsample } from '../../../ops/image-resize.js';
import type { AttrSpecs, OpSchema } from '../../../ops/schema.js';
import type { SupportQuery } from '../../backend.js';
import { defineGpuKernel, type AnyGpuKernel, type GpuDType } from '../kernel.js';
import { checkSupport, enableFor, gpuFail, grid, mainHeader, no, storageVariants, uniformDecl, Uniforms, wgslType } from './wgsl-common.js';

const CTMS: Readonly<Record<string, string>> = {
  half_pixel: 'return (x + 0.5) / scale - 0.5;',
  asymmetric: 'return x / scale;',
  legacy: 'return x / scale;',
  align_corners: 'if (outW == 1.0) { return 0.0; } return x * (inSize - 1.0) / (outW - 1.0);',
  pytorch_half_pixel: 'if (outW == 1.0) { return -0.5; } return (x + 0.5) / scale - 0.5;',
  half_pixel_symmetric: 'let adj = outInt / outW; return (inSize / 2.0) * (1.0 - adj) + (x + 0.5) / scale - 0.5;',
};

const NEAREST: Readonly<Record<string, string>> = {
  round_prefer_floor: 'select(f, f + 1.0, v - f > 0.5)',
  round_prefer_ceil: 'select(f, f + 1.0, v - f >= 0.5)',
  floor: 'f',
  ceil: 'select(f + 1.0, v, v == f)',
  legacy: 'select(f, ceil(v), scale < 1.0)',
};

/** Options baked into one Resize shader. */
interface Mode { linear: boolean; ctm: string; nearest: string }

function resizeShader(t: GpuDType, m: Mode): string {
  const e = wgslType(t);
  const sample = m.linear
    ? `let fy = floor(vy); let fx = floor(vx); let wy = vy - fy; let wx = vx - fx;
  let y0 = u32(clamp(i32(fy), 0, i32(inH) - 1)); let y1 = u32(clamp(i32(fy) + 1, 0, i32(inH) - 1));
  let x0 = u32(clamp(i32(fx), 0, i32(inW) - 1)); let x1 = u32(clamp(i32(fx) + 1, 0, i32(inW) - 1));
  let a = f32(X[base + y0 * inW + x0]); let b = f32(X[base + y0 * inW + x1]);
  let c = f32(X[base + y1 * inW + x0]); let d = f32(X[base + y1 * inW + x1]);
  let r = (1.0 - wy) * ((1.0 - wx) * a + wx * b) + wy * ((1.0 - wx) * c + wx * d);
  Y[idx] = ${e}(r);`
    : `let iy = u32(clamp(i32(near(vy, sh)), 0, i32(inH) - 1));
  let ix = u32(clamp(i32(near(vx, sw)), 0, i32(inW) - 1));
  Y[idx] = X[base + iy * inW + ix];`;
  return `${enableFor(t)}
@group(0) @binding(0) var<storage, read> X: array<${e}>;
@group(0) @binding(1) var<storage, read_write> Y: array<${e}>;
${uniformDecl(2, 8)}
fn src(x: f32, scale: f32, inSize: f32, outInt: f32) -> f32 {
  let outW = scale * inSize;
  ${CTMS[m.ctm]}
}
fn near(v: f32, scale: f32) -> f32 {
  let f = floor(v);
  return ${NEAREST[m.nearest]};
}
${mainHeader()}
  if (idx >= pu(0u)) { return; }
  let inH = pu(1u); let inW = pu(2u); let outH = pu(3u); let outW = pu(4u);
  let sh = pf(5u); let sw = pf(6u);
  let ox = idx % outW; let oy = (idx / outW) % outH; let nc = idx / (outW * outH);
  let base = nc * inH * inW;
  let vy = src(f32(oy), sh, f32(inH), f32(outH));
  let vx = src(f32(ox), sw, f32(inW), f32(outW));
  ${sample}
}
`;
}

/** Which inputs carry scales / sizes / roi for this opset. */
function constInputs(q: { opset: number; node: { inputs: string[] } }, upsample: boolean): number[] {
  const idx = upsample ? (q.opset < 9 ? [] : [1]) : q.opset < 11 ? [1] : [1, 2, 3];
  return idx.filter((i) => q.node.inputs[i] !== undefined && q.node.inputs[i] !== '');
}

function attrStr(q: SupportQuery, name: string, dflt: string): string {
  const a = q.node.attributes.get(name);
  return a && a.type === 'string' ? a.value : dflt;
}

function attrInt(q: SupportQuery, name: string): number {
  const a = q.node.attributes.get(name);
  return a && a.type === 'int' ? a.value : 0;
}

function scalesAttr(q: SupportQuery): number[] | undefined {
  const a = q.node.attributes.get('scales');
  return a && (a.type === 'floats' || a.type === 'ints') ? a.value : undefined;
}

function resizeKernel(schema: OpSchema<AttrSpecs>, upsample: boolean): AnyGpuKernel {
  return defineGpuKernel(schema, {
    dtypes: ['float32', 'float16'],
    supports: (q, limits) => {
      const mode = attrStr(q, 'mode', 'nearest');
      if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') return no(`mode ${mode} is not offered on the GPU`);
      if (!upsample && q.opset >= 11) {
        const ctm = attrStr(q, 'coordinate_transformation_mode', 'half_pixel');
        if (!CTMS[ctm] || ctm === 'legacy') return no(`coordinate_transformation_mode ${ctm} is not offered on the GPU`);
        if (mode === 'nearest' && !NEAREST[attrStr(q, 'nearest_mode', 'round_prefer_floor')]) return no('unknown nearest_mode');
        if (attrInt(q, 'antialias') !== 0) return no('antialias is not offered on the GPU');
        if (q.node.attributes.has('axes')) return no('the axes attribute is not offered on the GPU');
        if (attrStr(q, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') return no('keep_aspect_ratio_policy other than stretch');
      }
      const x = q.inputs[0];
      if (x?.shape && x.shape.length !== 4) return no(`rank ${x.shape.length}: only 4-D NCHW resizes run on the GPU`);
      const sc = upsample && q.opset < 9 ? scalesAttr(q) : tensorNumbers(q.inputs[upsample || q.opset < 11 ? 1 : 2]?.value);
      const sz = upsample || q.opset < 11 ? undefined : tensorNumbers(q.inputs[3]?.value);
      if (!sz && sc && (sc[0] !== 1 || sc[1] !== 1)) return no(`scales [${sc.join(',')}] resize N or C: only H and W run on the GPU`);
      if (sz && x?.shape && (sz[0] !== x.shape[0] || sz[1] !== x.shape[1])) return no(`sizes [${sz.join(',')}] resize N or C: only H and W run on the GPU`);
      return checkSupport(q, limits, { constant: constInputs(q, upsample) });
    },
    create: async (ctx) => {
      const a = ctx.attrs as Record<string, unknown>;
      const legacy = upsample || ctx.opset < 11;
      const mode: Mode = {
        linear: a['mode'] !== 'nearest',
        ctm: legacy ? 'legacy' : String(a['coordinate_transformation_mode']),
        nearest: legacy ? 'legacy' : String(a['nearest_mode']),
      };
      if (!CTMS[mode.ctm] || !NEAREST[mode.nearest]) gpuFail(ctx.node, `modes ${mode.ctm}/${mode.nearest} are not offered`);
      const scales = upsample
        ? (ctx.opset < 9 ? a['scales'] as number[] | undefined : tensorNumbers(ctx.constants[1]))
        : tensorNumbers(ctx.constants[ctx.opset < 11 ? 1 : 2]);
      const sizes = upsample || ctx.opset < 11 ? undefined : tensorNumbers(ctx.constants[3]);
      const variants = storageVariants(ctx.inputs[0]?.dtype ?? 'float32', ctx);
      const key = (t: GpuDType) => `resize|${t}|${mode.linear ? 'linear' : 'nearest'}|${mode.ctm}|${mode.linear ? '' : mode.nearest}`;
      await Promise.all(variants.map((t) => ctx.pipelines.get(key(t), () => resizeShader(t, mode))));
      return {
        constantInputs: [],
        encode(enc, inputs, [y]) {
          const x = inputs[0] ?? gpuFail(ctx.node, 'input 0 is missing on the GPU');
          const [n, c, ih, iw] = x.dims as [number, number, number, number];
          const [on, oc, oh, ow] = y!.dims as [number, number, number, number];
          if (x.dims.length !== 4 || on !== n || oc !== c) gpuFail(ctx.node, 'only H and W of a 4-D NCHW tensor are resized on the GPU');
          const total = on * oc * oh * ow;
          if (total === 0) return;
          const sh = sizes ? oh / ih : scales![2]!;
          const sw = sizes ? ow / iw : scales![3]!;
          const u = new Uniforms(8).u(0, total).u(1, ih).u(2, iw).u(3, oh).u(4, ow).f(5, sh).f(6, sw);
          const pipe = ctx.pipelines.peek(key(x.dtype)) ?? gpuFail(ctx.node, `no pipeline for ${x.dtype}`);
          enc.dispatch(pipe, [x, y!, u.binding], grid(total));
        },
      };
    },
  });
}

/** The Resize and Upsample kernels. */
export const RESIZE_KERNELS: AnyGpuKernel[] = [
  resizeKernel(Resize as unknown as OpSchema<AttrSpecs>, false),
  resizeKernel(Upsample as unknown as OpSchema<AttrSpecs>, true),
];
