/**
 * `optiflow::FusedElementwise` on the GPU: the node's whole program becomes ONE shader (one
 * thread per output element, every temporary a WGSL `let` in registers), so a chain of k
 * elementwise ops costs one dispatch and one pass over memory instead of k. Literals are baked
 * into the WGSL (bit-exact float32), so the pipeline key is the program text itself.
 * Source: the program language of `src/ops/optiflow-patterns-program.ts`; ONNX semantics per step.
 * @module
 */
import { FusedElementwise } from '../../../ops/optiflow-patterns.js';
import { parseProgram, type EwOperand } from '../../../ops/optiflow-patterns-program.js';
import type { AnyGpuKernel } from '../kernel.js';
import { ewKernel } from './eltwise-core.js';
import { BINARY_EXPR, UNARY_EXPR } from './eltwise-ops.js';
import { f32Literal, gpuFail } from './wgsl-common.js';

/** WGSL of one program operand. */
function operand(a: EwOperand): string {
  return a.kind === 'input' ? `v${a.index}` : a.kind === 'temp' ? `t${a.index}` : f32Literal(a.value);
}

/**
 * Translates a FusedElementwise program into WGSL statements and a result expression.
 * @throws OptiflowError `invalid_attribute` for a malformed program (from `parseProgram`)
 */
export function programWgsl(program: string, inputCount: number, node: Parameters<typeof parseProgram>[2]): { body: string; expr: string } {
  const steps = parseProgram(program, inputCount, node);
  const exprs = steps.map((s) => {
    const a = s.args.map(operand);
    if (s.op === 'Clip') return `min_f(max_f(${a[0]}, ${a[1]}), ${a[2]})`;
    if (a.length === 1) return (UNARY_EXPR[s.op] ?? gpuFail(node, `no WGSL for ${s.op}`))(a[0]!, () => '0.0');
    return (BINARY_EXPR[s.op] ?? gpuFail(node, `no WGSL for ${s.op}`))(a[0]!, a[1]!);
  });
  const body = exprs.slice(0, -1).map((e, k) => `  let t${k} = ${e};`).join('\n');
  return { body, expr: exprs[exprs.length - 1]! };
}

/** The FusedElementwise kernel: every node input is an operand, broadcast to the output. */
export const FUSED_ELTWISE_KERNELS: AnyGpuKernel[] = [
  ewKernel(FusedElementwise, {
    dtypes: ['float32'],
    plan: ({ attrs, node }) => {
      const { body, expr } = programWgsl(attrs.program, node.inputs.length, node);
      return { operands: node.inputs.map((_, i) => i), body, expr, key: `fused|${node.inputs.length}|${attrs.program}` };
    },
  }),
];
