/**
 * Stub.
 * @module
 */
import type { GraphPass } from './pass-manager.js';

/** Common-subexpression elimination (to be filled in). */
export const commonSubexpressionElimination: GraphPass = { name: 'cse', run: () => false };
