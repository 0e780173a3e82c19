/**
 * Stub: pattern ops (Gelu, Attention, FusedElementwise) schemas (being written).
 * @module
 */
import type { AttrSpecs, OpSchema } from './schema.js';
import type { Decomposition } from './optiflow.js';

/** Schemas of the pattern ops. */
export const PATTERN_SCHEMAS: readonly OpSchema<AttrSpecs>[] = [];
/** Their decompositions into standard ONNX ops, by op type. */
export const PATTERN_DECOMPOSITIONS: ReadonlyMap<string, Decomposition> = new Map();
