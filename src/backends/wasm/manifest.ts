/**
 * The `wasm` backend's kernel manifest: one array, gathered from the kernel families.
 * @module
 */
import type { AnyWasmKernel } from './kernel.js';

/** Every `wasm` kernel. */
export const WASM_KERNELS: readonly AnyWasmKernel[] = [];
