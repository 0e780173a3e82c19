/**
 * Group B of the `webgpu` kernel manifest: elementwise (per op and fused programs), reductions,
 * and data movement (Transpose, Concat, Split, Slice, Pad, Gather, Resize, Expand, Tile, Reshape
 * family, Cast).
 * @module
 */
import type { AnyGpuKernel } from '../kernel.js';
import { CONCAT_KERNELS } from './concat.js';
import { ELTWISE_KERNELS } from './eltwise.js';
import { FUSED_ELTWISE_KERNELS } from './eltwise-fused.js';
import { GATHER_KERNELS } from './gather.js';
import { REDUCE_KERNELS } from './reduce.js';
import { RESIZE_KERNELS } from './resize.js';
import { SHAPE_KERNELS } from './shape-ops.js';
import { TRANSPOSE_KERNELS } from './transpose.js';

/** Every group-B kernel (one per schema). */
export const KERNELS_B: AnyGpuKernel[] = [
  ...ELTWISE_KERNELS, ...FUSED_ELTWISE_KERNELS, ...REDUCE_KERNELS, ...TRANSPOSE_KERNELS, ...CONCAT_KERNELS,
  ...GATHER_KERNELS, ...RESIZE_KERNELS, ...SHAPE_KERNELS,
];
