/**
 * Helpers shared by the `wasm` kernel families of this folder: float32 capability checks, constant
 * inputs packed into wasm memory at `create`, per-call scratch handling, and the int32 parameter
 * blocks some kernels read their geometry from.
 * @module
 */
import type { CreateCtx, Support, SupportQuery } from '../../backend.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { Scratch, type WasmRuntime } from '../runtime.js';

/**
 * Accepts a node whose tensor inputs are all float32 except the positions in `other`, which may
 * hold the listed dtypes (int64 shape or axes inputs, int32/int64 indices).
 * @returns a support answer naming the first offending input
 */
export function float32Support(q: SupportQuery, other: Readonly<Record<number, readonly string[]>> = {}): Support {
  for (let i = 0; i < q.inputs.length; i++) {
    const inp = q.inputs[i];
    if (!inp) continue;
    if (inp.kind && inp.kind !== 'tensor') return { ok: false, reason: `wasm ${q.node.opType} takes tensors, input ${i} is a ${inp.kind}` };
    const allowed = other[i] ?? ['float32'];
    if (!allowed.includes(inp.dtype)) {
      return { ok: false, reason: `wasm ${q.node.opType} input ${i} must be ${allowed.join(' or ')}, got ${inp.dtype}` };
    }
  }
  return { ok: true };
}

/** Chains capability checks: the first refusal wins. */
export function allOf(...checks: ((q: SupportQuery) => Support)[]): (q: SupportQuery) => Support {
  return (q) => {
    for (const c of checks) {
      const s = c(q);
      if (!s.ok) return s;
    }
    return { ok: true };
  };
}

/** Declines nodes whose optional outputs past the first are used (kernels that produce only Y). */
export function firstOutputOnly(q: SupportQuery): Support {
  const extra = q.node.outputs.slice(1).some((o) => o !== '');
  return extra ? { ok: false, reason: `wasm ${q.node.opType} produces only its first output` } : { ok: true };
}

/** Pointers of constant float32 inputs copied into wasm memory at `create` (undefined elsewhere). */
export interface PackedConstants {
  readonly ptrs: readonly (number | undefined)[];
}

/** Copies every float32 constant input (optionally only those at `which`) into wasm memory. */
export function packConstants(ctx: CreateCtx<unknown>, rt: WasmRuntime, which?: readonly number[]): PackedConstants {
  return {
    ptrs: ctx.constants.map((c, i) => (c && c.type === 'float32' && (!which || which.includes(i))
      ? rt.persist(c.data as Float32Array) : undefined)),
  };
}

/** Frees what {@link packConstants} allocated. */
export function freeConstants(state: PackedConstants | undefined, rt: WasmRuntime): void {
  for (const p of state?.ptrs ?? []) if (p !== undefined) rt.free(p);
}

/**
 * Runs `body` with a scratch whose allocations (inputs copied in, workspace) are freed afterwards,
 * also when it throws.
 */
export function withScratch<T>(rt: WasmRuntime, body: (s: Scratch) => T): T {
  const s = new Scratch(rt);
  try {
    return body(s);
  } finally {
    s.done();
  }
}

/** The wasm pointer of input `i`: its packed constant, or the tensor itself (copied in when not in wasm memory). */
export function inputPtr(rt: WasmRuntime, s: Scratch, t: TensorData, packed: PackedConstants | undefined, i: number): number {
  return packed?.ptrs[i] ?? rt.input(t, s);
}

/** Writes `values` as int32 into a scratch allocation and returns its pointer. */
export function int32Block(rt: WasmRuntime, s: Scratch, values: readonly number[]): number {
  const p = s.alloc(Math.max(4, values.length * 4));
  new Int32Array(rt.memory.buffer, p, values.length).set(values);
  return p;
}

/** The first element of a float tensor as a number (Clip bounds given as inputs). */
export function scalarOf(t: TensorData | undefined): number | undefined {
  if (!t || t.data.length === 0) return undefined;
  return Number((t.data as Float32Array)[0]);
}
