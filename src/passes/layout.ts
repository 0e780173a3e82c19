/**
 * Stub.
 * @module
 */
import type { GraphPass } from './pass-manager.js';

/** NHWC layout regions (to be filled in). */
export const layoutPass: GraphPass = { name: 'layout-nhwc', run: () => false };
