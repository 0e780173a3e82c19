/**
 * The `js` reference backend: plain TypeScript kernels, the executable semantics of every op and
 * the last fallback of every session.
 * @module
 */
import { manifestBackend, type AnyKernel, type Backend } from '../backend.js';
import { CAST_QUANT_KERNELS } from './kernels/cast-quant.js';
import { CONTAINER_KERNELS } from './kernels/containers.js';
import { STRING_KERNELS } from './kernels/strings.js';
import { ELEMENTWISE_KERNELS } from './kernels/elementwise.js';
import { FLEX_KERNELS } from './kernels/flex-attention.js';
import { IMAGE_KERNELS } from './kernels/image.js';
import { ML_KERNELS } from './kernels/ml.js';
import { NN_KERNELS } from './kernels/nn.js';
import { FUSED_KERNELS } from './kernels/optiflow-fused.js';
import { PATTERN_KERNELS } from './kernels/optiflow-patterns.js';
import { LAYOUT_KERNELS } from './kernels/optiflow-layout.js';
import { REDUCE_NORM_KERNELS } from './kernels/reduce-norm.js';
import { SEQUENCE_KERNELS } from './kernels/sequence.js';
import { TENSOR_KERNELS } from './kernels/tensor.js';

/** The js backend's kernel manifest. */
export const JS_KERNELS: readonly AnyKernel[] = [
  ...ELEMENTWISE_KERNELS, ...CAST_QUANT_KERNELS, ...TENSOR_KERNELS, ...REDUCE_NORM_KERNELS,
  ...NN_KERNELS, ...IMAGE_KERNELS, ...SEQUENCE_KERNELS,
  ...CONTAINER_KERNELS, ...STRING_KERNELS,
  ...ML_KERNELS,
  ...FLEX_KERNELS,
  ...FUSED_KERNELS, ...PATTERN_KERNELS, ...LAYOUT_KERNELS,
];

/**
 * Creates the js backend.
 * @param _options accepted for the factory signature; the js backend is single-threaded.
 */
export function createJsBackend(_options: { intraOpNumThreads: number } = { intraOpNumThreads: 1 }): Backend {
  return manifestBackend('js', JS_KERNELS);
}
