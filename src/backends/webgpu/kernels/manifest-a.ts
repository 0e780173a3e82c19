/**
 * Manifest of the group-A `webgpu` kernels (float32): MatMul, Gemm, FusedMatMul, FusedGemm, Conv,
 * FusedConv, NhwcConv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Softmax,
 * LogSoftmax, LayerNormalization (ONNX and optiflow), BatchNormalization and optiflow::Attention.
 * @module
 */
import type { AnyGpuKernel } from '../kernel.js';
import { ATTENTION_KERNELS_A } from './attention.js';
import { CONV_KERNELS_A } from './conv.js';
import { MATMUL_KERNELS_A } from './matmul.js';
import { NORM_KERNELS_A } from './norm.js';
import { POOL_KERNELS_A } from './pool.js';
import { SOFTMAX_KERNELS_A } from './softmax.js';

/** The group-A kernels, one per schema. */
export const KERNELS_A: AnyGpuKernel[] = [
  ...MATMUL_KERNELS_A, ...CONV_KERNELS_A, ...POOL_KERNELS_A, ...SOFTMAX_KERNELS_A, ...NORM_KERNELS_A, ...ATTENTION_KERNELS_A,
];
