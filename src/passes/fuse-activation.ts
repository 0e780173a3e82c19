/**
 * Stub.
 * @module
 */
import type { RewriteRule } from './pass-manager.js';

/** Conv/Gemm/MatMul + bias + activation fusion rules (to be filled in). */
export const ACTIVATION_FUSION_RULES: readonly RewriteRule[] = [];
