/**
 * Stub: FusedConv, FusedGemm, FusedMatMul schemas (being written).
 * @module
 */
import type { AttrSpecs, OpSchema } from './schema.js';
import type { Decomposition } from './optiflow.js';

/** Schemas of the fused Conv/Gemm/MatMul ops. */
export const FUSED_SCHEMAS: readonly OpSchema<AttrSpecs>[] = [];
/** Their decompositions into standard ONNX ops, by op type. */
export const FUSED_DECOMPOSITIONS: ReadonlyMap<string, Decomposition> = new Map();
