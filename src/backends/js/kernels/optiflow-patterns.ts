/**
 * Stub: js kernels of the pattern ops (being written).
 * @module
 */
import type { AnyKernel } from '../../backend.js';

/** Kernels of the pattern ops. */
export const PATTERN_KERNELS: readonly AnyKernel[] = [];
