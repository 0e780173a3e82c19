/**
 * How `wasm` kernels are declared: like the reference backend's kernels (schema, capability check,
 * `create`, `run`), with the backend's {@link WasmRuntime} handed to `create` and `run`. The
 * manifest is data; `createWasmBackend` binds it to a runtime.
 * @module
 */
import type { CreateCtx, KernelCtx, Support, SupportQuery } from '../backend.js';
import type { RuntimeValue } from '../../ir/tensor-data.js';
import type { AttrSpecs, AttrsOf, OpSchema } from '../../ops/schema.js';
import type { WasmRuntime } from './runtime.js';

/** A `wasm` kernel for one op schema. Inputs other than float32 are declined unless `supports` says otherwise. */
export interface WasmKernelDef<S extends AttrSpecs = AttrSpecs, St = undefined> {
  readonly schema: OpSchema<S>;
  /** Finer capability check (attributes, ranks, constant weights). */
  readonly supports?: (q: SupportQuery) => Support;
  /** Once per node: pack constant weights into wasm memory (freed by `dispose`). */
  readonly create?: (ctx: CreateCtx<AttrsOf<S>>, rt: WasmRuntime) => St;
  /** Frees what `create` allocated (session release). */
  readonly dispose?: (state: St, rt: WasmRuntime) => void;
  /** Runs the node; outputs should be allocated with `rt.output` (zero-copy to the next kernel). */
  readonly run: (ctx: KernelCtx<AttrsOf<S>, St>, rt: WasmRuntime) => RuntimeValue[];
}

/** A type-erased `wasm` kernel, as stored in the manifest. */
export type AnyWasmKernel = WasmKernelDef<AttrSpecs, unknown>;

/** Declares a `wasm` kernel; attribute and state types flow from the schema and `create`. */
export function defineWasmKernel<S extends AttrSpecs, St = undefined>(
  schema: OpSchema<S>, impl: Omit<WasmKernelDef<S, St>, 'schema'>,
): AnyWasmKernel {
  return { schema, ...impl } as unknown as AnyWasmKernel;
}
