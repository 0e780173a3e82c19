/**
 * Static (full integer) post-training quantization in onnxruntime's QDQ format: plan the nodes to
 * quantize, calibrate their activation inputs by running the float model through the ordinary
 * runtime (or read the calibration cache), then insert QuantizeLinear/DequantizeLinear pairs and
 * int8 weights. See `qdq.ts` for the format and `range.ts` for the calibration methods.
 * Sources: onnxruntime `quantize_static` (QDQ format); TensorRT INT8 calibration.
 * @module
 */
import { OptiflowError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { REGISTRY } from '../runtime/prepare.js';
import { calibrate } from './calibrate.js';
import { DEFAULT_STATIC_OP_TYPES, insertQdq, planQdq } from './qdq.js';
import type { QuantizeOptions, QuantizeReport } from './types.js';
import { foldConstantReshapes } from './weights.js';

/**
 * Quantizes `g` in place into QDQ form from calibration ranges.
 * Activations are uint8 asymmetric (default) or int8 symmetric (`activationType: 'int8'`); weights
 * int8 symmetric per-channel (per-tensor when the opset cannot be raised to 13); biases float32.
 * A model with nothing to quantize is returned unchanged with every node in `skipped` (no throw,
 * no calibration run).
 * @param g a graph with shapes inferred (as loaded by the runtime); re-inferred here when needed
 * @param modelBytes the float model's bytes (calibration runs it through the ordinary runtime)
 * @param o `calibration` examples and/or `calibrationCache`, `method`, `percentile`, `skipZeros`,
 *   `exclude`, `opTypes`, `progress`
 * @throws OptiflowError `invalid_argument` without calibration data (and no usable cache), for
 *   `skipZeros` with a method other than `entropy`, for a
 *   malformed cache or an unknown op type in `opTypes`; the session's `dtype_mismatch` /
 *   `shape_mismatch` for calibration feeds that do not fit the model.
 */
export async function quantizeStatic(g: Graph, modelBytes: Uint8Array, o: QuantizeOptions): Promise<QuantizeReport> {
  const opTypes = o.opTypes ?? DEFAULT_STATIC_OP_TYPES;
  const unknown = opTypes.filter((t) => !DEFAULT_STATIC_OP_TYPES.includes(t));
  if (unknown.length) {
    throw new OptiflowError('invalid_argument', `op types not quantizable in static mode: ${unknown.join(', ')} (supported: ${DEFAULT_STATIC_OP_TYPES.join(', ')})`);
  }
  if (o.skipZeros === true && (o.method ?? 'minmax') !== 'entropy') throw new OptiflowError('invalid_argument', `skipZeros applies to the entropy method only, got method '${o.method ?? 'minmax'}'`);
  foldConstantReshapes(g);
  if (g.nodes.some((n) => n.outputs.some((t) => t !== '' && !g.valueInfo.get(t)?.dtype))) inferGraph(g, checkOps(g, REGISTRY));
  const plan = planQdq(g, opTypes, o.exclude ?? []);
  const report: QuantizeReport = { mode: 'static', quantized: [], skipped: plan.skipped };
  if (plan.nodes.length === 0) return report;
  const ranges = await calibrate(modelBytes, plan.tensors, o.calibration, o.calibrationCache, {
    method: o.method ?? 'minmax', ...(o.percentile !== undefined ? { percentile: o.percentile } : {}), progress: o.progress ?? false,
    activationType: o.activationType ?? 'uint8', ...(o.skipZeros !== undefined ? { skipZeros: o.skipZeros } : {}),
  });
  report.quantized = insertQdq(g, plan, ranges, o.activationType ?? 'uint8');
  const done = new Set(report.quantized.map((e) => e.node));
  for (const { node } of plan.nodes) {
    if (!done.has(node.name)) report.skipped.push({ node: node.name, opType: node.opType, detail: 'no calibrated range for its inputs' });
  }
  return report;
}
