/**
 * Stub.
 * @module
 */
import type { GraphPass } from './pass-manager.js';

/** Elementwise-chain fusion (to be filled in). */
export const elementwiseFusion: GraphPass = { name: 'fuse-elementwise', run: () => false };
