/**
 * Stub.
 * @module
 */
import type { RewriteRule } from './pass-manager.js';

/** No-op elimination rules (filled in by the no-op pass work). */
export const NOOP_RULES: readonly RewriteRule[] = [];
