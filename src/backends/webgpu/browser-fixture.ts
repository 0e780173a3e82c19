/**
 * Models and runs shared by the headless-Chromium test (`browser.test.ts`) and its page
 * (`browser-entry.ts`): the page runs them with `webgpu` first, Node runs them on `js`, and the test
 * compares; the built-in MobileNet v1 runs the same way ({@link runMobileNet}). Pure TypeScript (no
 * Node modules), so esbuild can bundle it for the browser.
 * @module
 */
import { exportOnnx } from '../../exporters/onnx/export.js';
import type { Graph } from '../../ir/graph.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { InferenceSession } from '../../runtime/session.js';
import { GraphBuilder } from '../../zoo/builder.js';
import { ZOO } from '../../zoo/index.js';
import type { BackendFactory } from '../backend.js';
import { createJsBackend } from '../js/index.js';
import { createWebgpuBackend } from './index.js';
import { TEST_ADD, TEST_RELU } from './fixture-kernels.js';

const pseudo = (i: number, k: number): number => (((i * k) % 17) - 8) / 8;

/** y = Relu(Conv3x3(x, W, B) pads 1) + x; x [1, 4, 6, 6]. */
export function residualModel(): Graph {
  const b = new GraphBuilder('residual', { '': 17 });
  const x = b.input('x', 'float32', [1, 4, 6, 6]);
  const w = b.float('W', [4, 4, 3, 3], Array.from({ length: 144 }, (_, i) => pseudo(i, 7) / 4));
  const bias = b.float('B', [4], [0.1, -0.2, 0.3, 0]);
  const c = b.op('Conv', [x, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const r = b.op('Relu', [c]);
  b.op('Add', [r, x], {}, { output: 'y' });
  b.output('y', 'float32', [1, 4, 6, 6]);
  return b.build();
}

/** The input of {@link residualModel}. */
export function residualInput(): TensorData {
  return { type: 'float32', dims: [1, 4, 6, 6], data: Float32Array.from({ length: 144 }, (_, i) => pseudo(i, 5)) };
}

/** out = Relu(Relu(x) + w) + x on [2, 3, 4]: runs entirely on the runtime's test kernels. */
export function chainModel(): Graph {
  const b = new GraphBuilder('chain', { '': 17 });
  const x = b.input('x', 'float32', [2, 3, 4]);
  const w = b.float('w', [2, 3, 4], Array.from({ length: 24 }, (_, i) => pseudo(i, 3)));
  const r1 = b.op('Relu', [x]);
  const a1 = b.op('Add', [r1, w]);
  const r2 = b.op('Relu', [a1]);
  b.op('Add', [r2, x], {}, { output: 'y' });
  b.output('y', 'float32', [2, 3, 4]);
  return b.build();
}

/** The input of {@link chainModel}. */
export function chainInput(): TensorData {
  return { type: 'float32', dims: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => pseudo(i, 11)) };
}

/** What one model run reports. */
export interface FixtureResult {
  readonly model: string;
  readonly y: number[];
  readonly placements: readonly { node: string; backend: string; cause: string }[];
}

/**
 * Runs both models with `providers` (the chain with the test kernels on `webgpu`, the residual
 * model with the full manifests).
 */
export async function runFixtures(providers: readonly string[]): Promise<FixtureResult[]> {
  const runs: [string, Graph, TensorData, BackendFactory][] = [
    ['chain', chainModel(), chainInput(), (o) => createWebgpuBackend({ ...o, kernels: [TEST_RELU, TEST_ADD], tuningCache: false, minFlopsPerByte: 0 })],
    ['residual', residualModel(), residualInput(), (o) => createWebgpuBackend({ ...o, tuningCache: false, minFlopsPerByte: 0 })],
  ];
  const out: FixtureResult[] = [];
  for (const [model, g, x, webgpu] of runs) {
    const s = await InferenceSession.create(exportOnnx(g), { executionProviders: [...providers], graphOptimizationLevel: 'disabled' },
      { webgpu, js: createJsBackend });
    try {
      const res = await s.run({ x } as never);
      const y = res.y as unknown as TensorData;
      out.push({
        model, y: Array.from(y.data as Float32Array),
        placements: s.placements.map((p) => ({ node: p.node, backend: p.backend, cause: p.cause })),
      });
    } finally {
      await s.release();
    }
  }
  return out;
}

/** What the MobileNet run reports. */
export interface MobileNetResult {
  /** `probabilities` [1, 1000]. */
  readonly probabilities: number[];
  readonly placements: readonly { node: string; backend: string; cause: string }[];
}

/**
 * Builds the built-in MobileNet v1 (`ZOO.mobilenet_v1`, seeded weights) in place, exports it to
 * ONNX bytes and runs batch 1 (seeded input) with `providers`; the `webgpu` backend (when listed)
 * has its default transfer-cost threshold and no tuning cache.
 */
export async function runMobileNet(providers: readonly string[], factories: Record<string, BackendFactory> = {}): Promise<MobileNetResult> {
  const m = ZOO.mobilenet_v1!;
  const s = await InferenceSession.create(exportOnnx(m.build()), { executionProviders: [...providers] }, {
    webgpu: (o) => createWebgpuBackend({ ...o, tuningCache: false }), js: createJsBackend, ...factories,
  });
  try {
    const res = await s.run(m.inputs(1) as never);
    const y = res.probabilities as unknown as TensorData;
    return {
      probabilities: Array.from(y.data as Float32Array),
      placements: s.placements.map((p) => ({ node: p.node, backend: p.backend, cause: p.cause })),
    };
  } finally {
    await s.release();
  }
}
