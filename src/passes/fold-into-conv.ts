/**
 * Stub.
 * @module
 */
import type { RewriteRule } from './pass-manager.js';

/** BatchNormalization / constant Mul-Add folding into Conv and Gemm (to be filled in). */
export const FOLDING_RULES: readonly RewriteRule[] = [];
