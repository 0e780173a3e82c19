/**
 * Speed of static int8 built-in models on the `wasm` backend against float32 (not a test):
 * builds the model, quantizes it (static QDQ, calibrated on a few seeded inputs), fuses the QDQ
 * patterns into QLinearConv/QLinearMatMul (fuse-qdq) and times batch-1 single-thread runs.
 * Run: `node <outDir>/backends/wasm/kernels/int8-bench-models.js [mobilenet_v1|resnet50 ...]`.
 * @module
 */
import { exportOnnx } from '../../../exporters/onnx/export.js';
import { InferenceSession } from '../../../index.js';
import type { Graph } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../../../ops/index.js';
import { checkOps, inferGraph } from '../../../ops/infer-graph.js';
import { OpRegistry } from '../../../ops/registry.js';
import { deadCodeElimination } from '../../../passes/dce.js';
import { QDQ_FUSION_RULES } from '../../../passes/fuse-qdq.js';
import { ruleSetPass, runPasses } from '../../../passes/pass-manager.js';
import { quantize } from '../../../quantize/index.js';
import { ZOO } from '../../../zoo/index.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);
const infer = (g: Graph) => inferGraph(g, checkOps(g, REGISTRY));

async function time(bytes: Uint8Array, feeds: Record<string, TensorData>): Promise<{ ms: number; placements: Map<string, number> }> {
  const s = await InferenceSession.create(bytes, { executionProviders: ['wasm', 'js'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const run = () => s.run(feeds);
  await run(); await run();
  const t: number[] = [];
  for (let i = 0; i < 7; i++) { const t0 = performance.now(); await run(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  const placements = new Map<string, number>();
  for (const p of s.placements) placements.set(`${p.opType}@${p.backend}`, (placements.get(`${p.opType}@${p.backend}`) ?? 0) + 1);
  await s.release();
  return { ms: t[3]!, placements };
}

for (const name of process.argv.slice(2).length ? process.argv.slice(2) : ['mobilenet_v1', 'resnet50']) {
  const model = ZOO[name]!;
  const floatBytes = exportOnnx(model.build());
  const feeds = model.inputs(1);
  const q = await quantize(floatBytes, { mode: 'static', calibration: [feeds, model.inputs(1, 1)], progress: false });
  const g = q.graph;
  infer(g);
  const changed = runPasses(g, [ruleSetPass('fuse-qdq', QDQ_FUSION_RULES), deadCodeElimination], { context: { canReplace: () => true }, afterPass: infer });
  const int8Bytes = exportOnnx(g, { valueInfo: false });
  const f = await time(floatBytes, feeds);
  const i = await time(int8Bytes, feeds);
  console.log(`${name}: float32 wasm ${f.ms.toFixed(1)} ms, int8 wasm ${i.ms.toFixed(1)} ms, speedup ${(f.ms / i.ms).toFixed(2)}x (passes ${changed.join(',')})`);
  console.log('  int8 placements:', [...i.placements].map(([k, v]) => `${k}×${v}`).join(' '));
}
