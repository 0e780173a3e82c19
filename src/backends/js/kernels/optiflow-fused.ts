/**
 * Stub: js kernels of FusedConv, FusedGemm, FusedMatMul (being written).
 * @module
 */
import type { AnyKernel } from '../../backend.js';

/** Kernels of the fused Conv/Gemm/MatMul ops. */
export const FUSED_KERNELS: readonly AnyKernel[] = [];
