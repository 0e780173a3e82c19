/**
 * Stub.
 * @module
 */
import type { RewriteRule } from './pass-manager.js';

/** GELU, LayerNorm and attention pattern fusions (to be filled in). */
export const PATTERN_FUSION_RULES: readonly RewriteRule[] = [];
