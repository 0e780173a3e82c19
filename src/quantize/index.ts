/**
 * Post-training quantization as a library function: `quantize(model, { mode })` loads a model,
 * rewrites it (`dynamic`: int8 weights with on-the-fly activation quantization; `static`: QDQ from
 * calibration; `fp16`: float16 weights and activations where safe) and returns standard ONNX.
 * Sources: onnxruntime `quantize_dynamic`/`quantize_static`; TensorFlow Lite post-training
 * quantization; onnxconverter-common float16 conversion. Node.js only (it reads files): import it
 * from `optiflow/quantize`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { exportOnnx } from '../exporters/onnx/export.js';
import { OptiflowError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { loadGraph, REGISTRY } from '../runtime/prepare.js';
import { deadCodeElimination } from '../passes/dce.js';
import { FOLDING_RULES } from '../passes/fold-into-conv.js';
import { ruleSetPass, runPasses } from '../passes/pass-manager.js';
import { capturedNames, identityRules } from '../passes/rules.js';
import { NOOP_RULES } from '../passes/rules-noop.js';
import { quantizeDynamic } from './dynamic.js';
import { quantizeFp16 } from './fp16.js';
import { quantizeStatic } from './static.js';
import { compactQuantized } from './compact.js';
import type { QuantizeOptions, QuantizeReport, QuantizeResult, QuantMode } from './types.js';

export type { QuantizeOptions, QuantizeReport, QuantizeResult, QuantMode, QuantizeEntry, CalibrationMethod } from './types.js';
export {
  compareModels, readExamples, randomExamples, formatCompare, compareLayers, formatLayers, rankLayers,
  type CompareResult, type OutputComparison, type CompareOptions, type LayerComparison, type LayerReport,
} from './compare.js';

/** The modes {@link quantize} accepts. */
export const QUANT_MODES: readonly QuantMode[] = ['dynamic', 'static', 'fp16'];

/** Drops intermediate value info and infers it again for the rewritten graph (dtypes changed). */
function reinfer(g: Graph, source: string): void {
  const io = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  for (const k of [...g.valueInfo.keys()]) if (!io.has(k)) g.valueInfo.delete(k);
  inferGraph(g, checkOps(g, REGISTRY, [source]));
}

/**
 * Quantizes a model (a `.onnx` path or its bytes).
 * When nothing could be quantized (no supported op, or all excluded), the result's
 * `report.quantized` is empty, the graph is the unchanged float model and callers should not
 * write it; the CLI prints "nothing to quantize" and exits 0 without writing a file.
 * @throws OptiflowError `invalid_argument` for an unknown mode; as `loadGraph` (`io_error`,
 *   `invalid_model`, `unsupported_op`, ...); as the mode's quantizer.
 */
export async function quantize(model: string | Uint8Array, options: QuantizeOptions): Promise<QuantizeResult> {
  if (!QUANT_MODES.includes(options.mode)) {
    throw new OptiflowError('invalid_argument', `unknown quantization mode '${String(options.mode)}'; use ${QUANT_MODES.join(', ')}`);
  }
  const loaded = await loadGraph(model);
  const g = loaded.graph;
  // Fold BatchNormalization and per-channel Mul/Add into Conv/Gemm first, as onnxruntime's
  // quantizer does after its own pre-processing: fewer float islands, better-conditioned weights.
  const folded = runPasses(g, [
    ruleSetPass('eliminate-no-ops', [...identityRules(capturedNames(g)), ...NOOP_RULES]),
    ruleSetPass('fold-into-conv', FOLDING_RULES),
    deadCodeElimination,
  ], { afterPass: (gr) => reinfer(gr, loaded.source) }).length > 0;
  let report: QuantizeReport;
  if (options.mode === 'dynamic') report = quantizeDynamic(g, options);
  else if (options.mode === 'fp16') report = quantizeFp16(g, options);
  else {
    // Calibration runs the float model as it stands now (folded), so every observed name exists.
    let bytes: Uint8Array;
    if (folded) bytes = exportOnnx(g, { valueInfo: false });
    else if (typeof model === 'string') {
      try { bytes = readFileSync(model); } catch (e) {
        throw new OptiflowError('io_error', `cannot read model: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, [model]);
      }
    } else bytes = model;
    report = await quantizeStatic(g, bytes, options);
  }
  if (report.quantized.length > 0) {
    if (options.mode !== 'fp16') compactQuantized(g);
    reinfer(g, loaded.source);
  }
  return { graph: g, report, bytes: () => exportOnnx(g, { valueInfo: false }) };
}

/** A short text form of a report: counts, then one line per node. */
export function formatReport(r: QuantizeReport): string {
  const lines = [`mode ${r.mode}: ${r.quantized.length} node(s) quantized, ${r.skipped.length} skipped`];
  for (const e of r.quantized) lines.push(`  quantized  ${e.opType} ${e.node}: ${e.detail}`);
  for (const e of r.skipped) lines.push(`  skipped    ${e.opType} ${e.node}: ${e.detail}`);
  return lines.join('\n');
}
