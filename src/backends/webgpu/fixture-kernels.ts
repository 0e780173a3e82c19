/**
 * Minimal WGSL kernels for the runtime's own tests (not the backend's manifest): float32 Relu, Add of
 * same-shape tensors (a scratch tensor on the way, to exercise `scratch`), and fault-injection
 * kernels: one that refuses every node and one whose shader does not compile.
 * @module
 */
/// <reference types="@webgpu/types" />
import { sizeOf } from '../../ir/tensor-data.js';
import { BINARY } from '../../ops/elementwise-binary.js';
import { UNARY } from '../../ops/elementwise-unary.js';
import { defineGpuKernel, type AnyGpuKernel } from './kernel.js';

const WG = 64;

function groups(n: number): [number, number, number] {
  return [Math.max(1, Math.ceil(n / WG)), 1, 1];
}

function unaryWgsl(expr: string): string {
  return `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: vec4<u32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  if (i >= u.x) { return; }
  let v = x[i];
  y[i] = ${expr};
}`;
}

/** float32 Relu. */
export const TEST_RELU: AnyGpuKernel = defineGpuKernel(UNARY.Relu, {
  async create(ctx) {
    const p = await ctx.pipelines.get('test/relu', () => unaryWgsl('max(v, 0.0)'));
    return {
      encode(enc, [x], [y]) {
        const n = sizeOf(y!.dims);
        enc.dispatch(p, [x!, y!, { uniform: new Uint32Array([n]) }], groups(n));
      },
    };
  },
});

const ADD_WGSL = `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> u: vec4<u32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  if (i >= u.x) { return; }
  y[i] = a[i] + b[i];
}`;

/** float32 Add of two tensors of one shape, via a scratch copy of A (exercises `scratch`). */
export const TEST_ADD: AnyGpuKernel = defineGpuKernel(BINARY.Add, {
  supports(q) {
    const [a, b] = q.inputs;
    const same = a?.shape && b?.shape && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape![i]);
    return same ? { ok: true } : { ok: false, reason: 'test Add needs two inputs of one static shape' };
  },
  async create(ctx) {
    const add = await ctx.pipelines.get('test/add', () => ADD_WGSL);
    const copy = await ctx.pipelines.get('test/copy', () => unaryWgsl('v'));
    return {
      encode(enc, [a, b], [y]) {
        const n = sizeOf(y!.dims);
        const t = enc.scratch(y!.dims, 'float32');
        enc.dispatch(copy, [a!, t, { uniform: new Uint32Array([n]) }], groups(n));
        enc.dispatch(add, [t, b!, y!, { uniform: new Uint32Array([n]) }], groups(n));
      },
    };
  },
});

/** Fault injection: a Relu whose `supports` refuses every node. */
export const REFUSING_RELU: AnyGpuKernel = defineGpuKernel(UNARY.Relu, {
  supports: () => ({ ok: false, reason: 'fault injection: this kernel refuses every node' }),
  create: TEST_RELU.create,
});

/** Fault injection: a Relu whose WGSL does not compile. */
export const BROKEN_RELU: AnyGpuKernel = defineGpuKernel(UNARY.Relu, {
  async create(ctx) {
    const p = await ctx.pipelines.get('test/broken-relu', () => unaryWgsl('max(v, 0.0) +* undefined_name'));
    return { encode(enc, [x], [y]) { enc.dispatch(p, [x!, y!, { uniform: new Uint32Array([1]) }], [1, 1, 1]); } };
  },
});
