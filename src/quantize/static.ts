/**
 * Stub: static (QDQ) quantization with calibration (being written).
 * @module
 */
import { OptiflowError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import type { QuantizeOptions, QuantizeReport } from './types.js';

/**
 * Quantizes `g` in place into QDQ form from calibration ranges.
 * @param g a graph with shapes inferred (as loaded by the runtime)
 * @param modelBytes the float model's bytes (calibration runs it through the ordinary runtime)
 * @throws OptiflowError `invalid_argument` without calibration data.
 */
export async function quantizeStatic(g: Graph, modelBytes: Uint8Array, o: QuantizeOptions): Promise<QuantizeReport> {
  void g; void modelBytes; void o;
  throw new OptiflowError('invalid_argument', 'static quantization is not implemented yet');
}
