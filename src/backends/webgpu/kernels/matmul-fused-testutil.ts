/**
 * Test helper of the fused-GEMM tests: every activation checked against the js backend.
 * @module
 */
import { checkAgainstJs, randInt, randTensor, rng } from './a-testutil.js';
import { gpuFusedGemm, gpuFusedMatMul } from './matmul.js';

/**
 * Checks each activation once, alternating FusedMatMul (batched, bias) and FusedGemm (transB,
 * alpha, C row), one GEMM pipeline per activation.
 */
export async function checkActivations(acts: readonly (readonly [string, number[]])[], seed: number): Promise<void> {
  const r = rng(seed);
  for (const [i, [activation, params]] of acts.entries()) {
    const m = randInt(r, 1, 20); const n = randInt(r, 1, 20); const k = randInt(r, 1, 20);
    const attrs = { activation, activation_params: params };
    if (i % 2 === 0) {
      await checkAgainstJs(gpuFusedMatMul, {
        opType: 'FusedMatMul', domain: 'optiflow', opset: 1, attrs, constantInputs: [1, 2],
        inputs: [randTensor(r, [2, m, k], 2), randTensor(r, [k, n], 2), randTensor(r, [n])],
      }, `FusedMatMul ${activation}`);
    } else {
      await checkAgainstJs(gpuFusedGemm, {
        opType: 'FusedGemm', domain: 'optiflow', opset: 1, attrs: { ...attrs, transB: 1, alpha: { float: 0.5 } },
        inputs: [randTensor(r, [m, k], 2), randTensor(r, [n, k], 2), randTensor(r, [1, n])],
      }, `FusedGemm ${activation}`);
    }
  }
}
