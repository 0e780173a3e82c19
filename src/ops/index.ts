/**
 * Every op schema optiflow knows, gathered from the op families.
 * @module
 */
import { CAST_QUANT_SCHEMAS } from './cast-quant.js';
import { CONTAINER_SCHEMAS } from './containers.js';
import { STRING_SCHEMAS } from './strings.js';
import { ELEMENTWISE_SCHEMAS } from './elementwise.js';
import { FLEX_SCHEMAS } from './flex-attention.js';
import { IMAGE_SCHEMAS } from './image.js';
import { ML_SCHEMAS } from './ml.js';
import { NN_SCHEMAS } from './nn.js';
import { OPTIFLOW_SCHEMAS } from './optiflow.js';
import { REDUCE_NORM_SCHEMAS } from './reduce-norm.js';
import type { AttrSpecs, OpSchema } from './schema.js';
import { SEQUENCE_SCHEMAS } from './sequence.js';
import { TENSOR_SCHEMAS } from './tensor.js';

/** All schemas, one list; the registry rejects overlaps. */
export const ALL_SCHEMAS: readonly OpSchema<AttrSpecs>[] = [
  ...ELEMENTWISE_SCHEMAS, ...CAST_QUANT_SCHEMAS, ...TENSOR_SCHEMAS, ...REDUCE_NORM_SCHEMAS,
  ...NN_SCHEMAS, ...IMAGE_SCHEMAS, ...SEQUENCE_SCHEMAS,
  ...CONTAINER_SCHEMAS, ...STRING_SCHEMAS,
  ...ML_SCHEMAS,
  ...FLEX_SCHEMAS,
  ...OPTIFLOW_SCHEMAS,
];
