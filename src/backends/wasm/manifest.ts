/**
 * The `wasm` backend's kernel manifest: one array, gathered from the kernel families.
 * @module
 */
import type { AnyWasmKernel } from './kernel.js';
import { ELTWISE_BINARY_WASM_KERNELS } from './kernels/eltwise-binary.js';
import { ELTWISE_UNARY_WASM_KERNELS } from './kernels/eltwise-unary.js';
import { NORM_WASM_KERNELS } from './kernels/norm.js';
import { POOL_WASM_KERNELS } from './kernels/pool.js';
import { SOFTMAX_WASM_KERNELS } from './kernels/softmax.js';
import { REDUCE_WASM_KERNELS } from './kernels/reduce.js';
import { TRANSPOSE_WASM_KERNELS } from './kernels/transpose.js';
import { CONCAT_WASM_KERNELS } from './kernels/concat.js';
import { GATHER_WASM_KERNELS } from './kernels/gather.js';
import { SHAPE_WASM_KERNELS } from './kernels/shape.js';
import { GEMM_MATMUL_WASM_KERNELS } from './kernels/gemm-matmul.js';
import { GEMM_GEMM_WASM_KERNELS } from './kernels/gemm-gemm.js';
import { CONV_WASM_KERNELS } from './kernels/conv.js';
import { PATTERN_WASM_KERNELS } from './kernels/pattern.js';
import { INT8_WASM_KERNELS } from './kernels/int8.js';

/** Every `wasm` kernel. */
export const WASM_KERNELS: readonly AnyWasmKernel[] = [
  ...ELTWISE_BINARY_WASM_KERNELS, ...ELTWISE_UNARY_WASM_KERNELS, ...NORM_WASM_KERNELS, ...POOL_WASM_KERNELS,
  ...SOFTMAX_WASM_KERNELS, ...REDUCE_WASM_KERNELS, ...TRANSPOSE_WASM_KERNELS, ...CONCAT_WASM_KERNELS,
  ...GATHER_WASM_KERNELS, ...SHAPE_WASM_KERNELS,
  ...GEMM_MATMUL_WASM_KERNELS, ...GEMM_GEMM_WASM_KERNELS, ...CONV_WASM_KERNELS,
  ...PATTERN_WASM_KERNELS,
  ...INT8_WASM_KERNELS,
];
