/**
 * `wasm` kernels of the broadcasting binary ops on float32: Add, Sub, Mul, Div, Pow, and the
 * variadic Max, Min and Sum (folded pairwise). Broadcasting follows numpy (and the opset < 7
 * `broadcast`/`axis` alignment): the output and both inputs are coalesced to at most four dims
 * with per-input strides, so same-shape, scalar, per-channel (`[C,1,1]` against NCHW) and
 * trailing-vector (bias on the last dim) operands all become SIMD row loops of `binary_f32`.
 * Constant operands are copied into wasm memory once, at `create`.
 * Source: ONNX operator spec (docs/Operators.md, docs/Broadcasting.md).
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { BINARY, legacyBDims } from '../../../ops/elementwise-binary.js';
import { VARIADIC } from '../../../ops/elementwise-misc.js';
import { broadcastShapes } from '../../../ops/shape-utils.js';
import type { AttrSpecs, OpSchema } from '../../../ops/schema.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { Scratch, WasmRuntime } from '../runtime.js';
import { freeConstants, inputPtr, packConstants, withScratch, type PackedConstants } from './shape-util.js';

/** Op codes of the `binary_f32` export. */
export const BINARY_CODES = { Add: 0, Sub: 1, Mul: 2, Div: 3, Max: 4, Min: 5, Pow: 6 } as const;

/** A binary op name of {@link BINARY_CODES}. */
export type BinaryOpName = keyof typeof BINARY_CODES;

/**
 * A broadcast coalesced: output dims `dims` (no 1s, adjacent dims with the same broadcast pattern
 * merged) and each input's element stride along them (0 where it broadcasts).
 */
export interface BroadcastPlan {
  readonly dims: number[];
  readonly a: number[];
  readonly b: number[];
}

/**
 * Coalesces the broadcast of inputs of dims `aDims` and `bDims` (numpy rules, already checked by
 * inference) to output dims `out`.
 */
export function broadcastPlan(out: readonly number[], aDims: readonly number[], bDims: readonly number[]): BroadcastPlan {
  const r = out.length;
  const al = (d: readonly number[], i: number) => (i < r - d.length ? 1 : d[i - r + d.length]!);
  const dims: number[] = []; const fullA: boolean[] = []; const fullB: boolean[] = [];
  for (let i = 0; i < r; i++) {
    const n = out[i]!;
    if (n === 1) continue;
    const fa = al(aDims, i) !== 1; const fb = al(bDims, i) !== 1;
    const k = dims.length - 1;
    if (k >= 0 && fullA[k] === fa && fullB[k] === fb) dims[k]! *= n;
    else { dims.push(n); fullA.push(fa); fullB.push(fb); }
  }
  const strides = (full: boolean[]) => {
    const s = new Array<number>(dims.length);
    let acc = 1;
    for (let i = dims.length - 1; i >= 0; i--) { s[i] = full[i] ? acc : 0; if (full[i]) acc *= dims[i]!; }
    return s;
  };
  return { dims, a: strides(fullA), b: strides(fullB) };
}

/**
 * The `binary_f32` argument layout of a plan: output dims `[d1, d2, n]` (d0 implied) and each
 * input's strides `[s0, s1, s2, si]` over the last four plan dims; `lead` plan dims before those
 * are left to the caller (0 when the plan has at most four dims).
 */
export function rowLayout(p: BroadcastPlan): { lead: number; dims: number[]; a: number[]; b: number[] } {
  const dims = p.dims.length ? p.dims : [1];
  const sa = p.dims.length ? p.a : [0]; const sb = p.dims.length ? p.b : [0];
  const k = dims.length; const lead = Math.max(0, k - 4); const pad = Math.max(0, 4 - k);
  const tail = (s: readonly number[], fill: number) => [...new Array<number>(pad).fill(fill), ...s.slice(lead)];
  const d = tail(dims, 1);
  return { lead, dims: [d[1]!, d[2]!, d[3]!], a: tail(sa, 0), b: tail(sb, 0) };
}

/**
 * Runs `binary_f32` for output dims `outDims` with inputs at `pa`/`pb` of dims `aDims`/`bDims`;
 * returns the new tensor (in wasm memory).
 */
export function binaryOp(rt: WasmRuntime, op: BinaryOpName, pa: number, aDims: readonly number[], pb: number,
  bDims: readonly number[], outDims: readonly number[]): TensorData {
  const { ptr, tensor } = rt.output(outDims);
  const total = sizeOf(outDims);
  if (total === 0) return tensor;
  const p = broadcastPlan(outDims, aDims, bDims);
  const L = rowLayout(p);
  // Plan dims beyond the kernel's four are walked here, one call per index.
  const chunk = sizeOf(p.dims.slice(L.lead));
  const code = BINARY_CODES[op];
  const cost = op === 'Pow' ? chunk * 20 : chunk;
  const idx = new Array<number>(L.lead).fill(0);
  for (let oo = 0; oo < total; oo += chunk) {
    let ao = 0; let bo = 0;
    for (let i = 0; i < L.lead; i++) { ao += idx[i]! * p.a[i]!; bo += idx[i]! * p.b[i]!; }
    rt.parallelFor('binary_f32', [code, pa + ao * 4, pb + bo * 4, ptr + oo * 4, ...L.dims, ...L.a, ...L.b], chunk, cost);
    for (let i = L.lead - 1; i >= 0; i--) { if (++idx[i]! < p.dims[i]!) break; idx[i] = 0; }
  }
  return tensor;
}

/** Input B's dims as it broadcasts against A (the opset < 7 `broadcast`/`axis` alignment). */
function alignedB(opset: number, a: TensorData, b: TensorData, attrs: Readonly<Record<string, unknown>>, node: Node): readonly number[] {
  return opset >= 7 ? b.dims : legacyBDims(opset, a.dims.length, b.dims, attrs, node);
}

function binaryKernel<S extends AttrSpecs>(schema: OpSchema<S>, op: BinaryOpName): AnyWasmKernel {
  return defineWasmKernel<S, PackedConstants>(schema, {
    create: (ctx, rt) => packConstants(ctx, rt),
    dispose: freeConstants,
    run: ({ attrs, opset, node, inputs: [a, b], outputs: [o], state }, rt) => withScratch(rt, (s) => [
      binaryOp(rt, op, inputPtr(rt, s, a!, state, 0), a!.dims, inputPtr(rt, s, b!, state, 1),
        alignedB(opset, a!, b!, attrs as Readonly<Record<string, unknown>>, node), o!.shape!),
    ]),
  });
}

/** Folds `op` over every input left to right (Max, Min, Sum); one input is copied. */
function foldInputs(rt: WasmRuntime, s: Scratch, node: Node, op: BinaryOpName, xs: readonly TensorData[],
  packed: PackedConstants | undefined): TensorData {
  let acc: TensorData | undefined;
  let accPtr = inputPtr(rt, s, xs[0]!, packed, 0);
  let accDims = xs[0]!.dims;
  if (xs.length === 1) {
    const { ptr, tensor } = rt.output(accDims);
    rt.parallelFor('copy_f32', [accPtr, ptr], sizeOf(accDims), sizeOf(accDims));
    return tensor;
  }
  try {
    for (let i = 1; i < xs.length; i++) {
      const x = xs[i]!;
      const dims = broadcastShapes(node, [accDims, x.dims]) as number[];
      const next = binaryOp(rt, op, accPtr, accDims, inputPtr(rt, s, x, packed, i), x.dims, dims);
      if (acc) rt.release(acc);
      acc = next; accPtr = rt.pointerOf(next)!; accDims = dims;
    }
  } catch (e) {
    if (acc) rt.release(acc);
    throw e;
  }
  return acc!;
}

function variadicKernel(schema: (typeof VARIADIC)[keyof typeof VARIADIC], op: BinaryOpName): AnyWasmKernel {
  return defineWasmKernel<Record<string, never>, PackedConstants>(schema, {
    create: (ctx, rt) => packConstants(ctx, rt),
    dispose: freeConstants,
    run: ({ node, inputs, state }, rt) => withScratch(rt, (s) => [foldInputs(rt, s, node, op, inputs as TensorData[], state)]),
  });
}

/** The binary-family `wasm` kernels (float32 only; other dtypes fall back). */
export const ELTWISE_BINARY_WASM_KERNELS: readonly AnyWasmKernel[] = [
  binaryKernel(BINARY.Add, 'Add'), binaryKernel(BINARY.Sub, 'Sub'), binaryKernel(BINARY.Mul, 'Mul'),
  binaryKernel(BINARY.Div, 'Div'), binaryKernel(BINARY.Pow, 'Pow'),
  variadicKernel(VARIADIC.Max, 'Max'), variadicKernel(VARIADIC.Min, 'Min'), variadicKernel(VARIADIC.Sum, 'Add'),
];
