/**
 * `wasm` kernel of `optiflow::FusedElementwise`: the node's program is compiled once at `create`
 * into a step table (op kind and code, operand slots, Clip bounds) and run by `fused_eltwise_f32`
 * (assembly/kernels/fused-eltwise.ts) over the output in chunks, each step one SIMD loop of the
 * elementwise kernels, temporaries in a per-slot workspace. Inputs are read in place when they
 * have the output's size, are scalars, per-channel vectors (constant over a trailing stretch, e.g.
 * `[C, 1, 1]` against NCHW) or trailing vectors (e.g. a bias `[C]` against `[N, S, C]`); any other
 * broadcast is first materialized at the output's size by the binary kernel. Constant inputs are
 * copied into wasm memory at `create`. Every step rounds to float32, as the separate ops would.
 * Source: ONNX operator spec for each op; XNNPACK's fused elementwise microkernels.
 * @module
 */
import { sizeOf, type TensorData } from '../../../ir/tensor-data.js';
import { FusedElementwise } from '../../../ops/optiflow-patterns.js';
import { parseProgram, type EwOp, type EwOperand } from '../../../ops/optiflow-patterns-program.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { Scratch, WasmRuntime } from '../runtime.js';
import { threadPoolOf } from '../thread-pool.js';
import { BINARY_CODES, binaryOp } from './eltwise-binary.js';
import { UNARY_CODES } from './eltwise-unary.js';
import { float32Support, freeConstants, packConstants, withScratch, type PackedConstants } from './shape-util.js';

/** Step kinds of the interpreter: a `unary_f32` op or a `binary_f32` op. */
const KIND = { unary: 0, binary: 1 } as const;
/** Int32 words per operand descriptor (base, C, inner, cs, is) and per step. */
const OPND = 5; const STEP = 7;
/** `inner` of an operand that never repeats (more elements than any tensor here). */
const NEVER = 0x40000000;
/** Ops costing about ten adds per element (for the thread pool's split decision). */
const HEAVY = new Set<EwOp>(['Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Softplus', 'Sin', 'Cos', 'Pow']);

/** How an input is read: element i at base[((i / inner) mod C)·cs + (i mod inner)·is]. */
export interface OperandAccess {
  readonly C: number;
  readonly inner: number;
  readonly cs: number;
  readonly is: number;
}

/**
 * The in-place access of an input of `dims` broadcast to `out` (numpy rules), or `undefined` for
 * a broadcast the interpreter does not walk (a repeated dim between two read ones, e.g. `[C, 1, W]`
 * against `[N, C, H, W]`).
 */
export function operandAccess(dims: readonly number[], out: readonly number[]): OperandAccess | undefined {
  const r = out.length;
  const groups: { read: boolean; size: number }[] = [];
  for (let i = 0; i < r; i++) {
    const o = out[i]!;
    if (o === 1) continue;
    const j = i - (r - dims.length);
    const read = j >= 0 && dims[j] !== 1;
    const last = groups[groups.length - 1];
    if (last && last.read === read) last.size *= o; else groups.push({ read, size: o });
  }
  const kinds = groups.map((g) => (g.read ? 'R' : 'B')).join('');
  const size = (i: number) => groups[i]!.size;
  switch (kinds) {
    case '': case 'B': return { C: 1, inner: NEVER, cs: 0, is: 0 };
    case 'R': return { C: 1, inner: NEVER, cs: 0, is: 1 };
    case 'BR': return { C: 1, inner: size(1), cs: 0, is: 1 };
    case 'RB': return { C: size(0), inner: size(1), cs: 1, is: 0 };
    case 'BRB': return { C: size(1), inner: size(2), cs: 1, is: 0 };
    default: return undefined;
  }
}

/** The compiled program: step words (operand bases filled per run), literal values, sizes. */
interface Compiled extends PackedConstants {
  readonly steps: Int32Array;
  readonly literals: Float32Array;
  /** Inputs plus literals: the operands resolved per chunk. */
  readonly fixed: number;
  /** Relative cost of one output element. */
  readonly weight: number;
}

/** Compiles a program of a node with `inputs` inputs into the interpreter's step table. */
function compile(program: readonly { op: EwOp; args: readonly EwOperand[] }[], inputs: number): Omit<Compiled, 'ptrs'> {
  const literals: number[] = [];
  const literalSlot = (v: number): number => {
    let i = literals.findIndex((x) => Object.is(x, v));
    if (i < 0) { i = literals.length; literals.push(v); }
    return inputs + i;
  };
  // Operand slots: inputs, literals, then one per step (numbered once literals are known).
  // Clip's bounds are step parameters, not operands.
  const refs = program.map((st) => (st.op === 'Clip' ? st.args.slice(0, 1) : st.args)
    .map((a) => (a.kind === 'input' ? a.index : a.kind === 'literal' ? literalSlot(a.value) : -1 - a.index)));
  const fixed = inputs + literals.length;
  const slot = (x: number) => (x >= 0 ? x : fixed + (-1 - x));
  const steps = new Int32Array(program.length * STEP);
  const f = new Float32Array(1); const bits = new Int32Array(f.buffer);
  const asBits = (v: number) => { f[0] = v; return bits[0]!; };
  let weight = 0;
  program.forEach((st, k) => {
    const w = steps.subarray(k * STEP, (k + 1) * STEP);
    const [a, b] = refs[k]!;
    w[2] = slot(a!); w[4] = fixed + k;
    weight += HEAVY.has(st.op) ? 10 : 1;
    if (st.op === 'Clip') {
      const lv = (i: number) => { const x = st.args[i]!; return x.kind === 'literal' ? x.value : NaN; };
      w[0] = KIND.unary; w[1] = UNARY_CODES.Clip; w[5] = asBits(lv(1)); w[6] = asBits(lv(2));
    } else if (st.op in BINARY_CODES) {
      w[0] = KIND.binary; w[1] = BINARY_CODES[st.op as keyof typeof BINARY_CODES]; w[3] = slot(b!);
    } else {
      w[0] = KIND.unary; w[1] = UNARY_CODES[st.op as keyof typeof UNARY_CODES];
    }
  });
  return { steps, literals: Float32Array.from(literals), fixed, weight };
}

/** Pointers and accesses of the inputs for output dims `out`; materializes what cannot be walked. */
function bindInputs(rt: WasmRuntime, s: Scratch, inputs: readonly (TensorData | undefined)[], state: Compiled,
  out: readonly number[], temps: TensorData[]): { ptr: number; acc: OperandAccess }[] {
  return inputs.map((x, i) => {
    const ptr = state.ptrs[i] ?? rt.input(x!, s);
    const acc = operandAccess(x!.dims, out);
    if (acc) return { ptr, acc };
    const one = s.alloc(4); rt.f32(one, 1)[0] = 1;
    const full = binaryOp(rt, 'Mul', ptr, x!.dims, one, [], out);
    temps.push(full);
    return { ptr: rt.pointerOf(full)!, acc: { C: 1, inner: NEVER, cs: 0, is: 1 } };
  });
}

/** Float32 inputs and a program whose every op has a loop here. */
function fusedSupport(q: SupportQuery): Support {
  const f = float32Support(q);
  if (!f.ok) return f;
  const a = q.node.attributes.get('program');
  if (a?.type !== 'string') return { ok: false, reason: 'wasm FusedElementwise needs a program' };
  let steps: ReturnType<typeof parseProgram>;
  try {
    steps = parseProgram(a.value, q.node.inputs.length, q.node);
  } catch (e) {
    return { ok: false, reason: `wasm FusedElementwise: ${(e as Error).message}` };
  }
  const missing = steps.find((st) => st.op !== 'Clip' && st.args.length === 1 && !(st.op in UNARY_CODES));
  return missing ? { ok: false, reason: `wasm FusedElementwise has no loop for ${missing.op}` } : { ok: true };
}

const fusedElementwise = defineWasmKernel<typeof FusedElementwise.attrs, Compiled>(FusedElementwise, {
  supports: fusedSupport,
  create: (ctx, rt) => ({ ...compile(parseProgram(ctx.attrs.program, ctx.node.inputs.length, ctx.node), ctx.node.inputs.length), ...packConstants(ctx, rt) }),
  dispose: freeConstants,
  run: ({ inputs, outputs: [o], state }, rt) => withScratch(rt, (s) => {
    const dims = o!.shape!;
    const n = sizeOf(dims);
    const y = rt.output(dims);
    if (n === 0) return [y.tensor];
    const temps: TensorData[] = [];
    try {
      const bound = bindInputs(rt, s, inputs, state, dims, temps);
      const nsteps = state.steps.length / STEP;
      const nops = state.fixed + nsteps;
      // One block: operand descriptors, steps, literal values.
      const words = nops * OPND + state.steps.length + state.literals.length;
      const block = s.alloc(words * 4);
      const w = new Int32Array(rt.memory.buffer, block, words);
      const litBase = block + (nops * OPND + state.steps.length) * 4;
      bound.forEach(({ ptr, acc }, i) => w.set([ptr, acc.C, acc.inner, acc.cs, acc.is], i * OPND));
      for (let l = 0; l < state.literals.length; l++) w.set([litBase + 4 * l, 1, NEVER, 0, 0], (inputs.length + l) * OPND);
      w.set(state.steps, nops * OPND);
      rt.f32(litBase, state.literals.length).set(state.literals);
      const chunk = Number(rt.exports.fused_eltwise_chunk!());
      const chunks = Math.ceil(n / chunk);
      const threads = threadPoolOf(rt.parallelFor)?.threads ?? 1;
      const slotLen = Math.ceil(chunks / Math.min(threads, chunks)) * chunk;
      const slots = Math.ceil(n / slotLen);
      const wsBytes = (((nops * 2 + 15) & ~15) + nops * chunk) * 4;
      const ws = s.alloc(slots * wsBytes);
      rt.parallelFor('fused_eltwise_f32', [block + nops * OPND * 4, nsteps, block, nops, state.fixed, y.ptr, n, slotLen, ws, wsBytes],
        slots, n * state.weight);
    } catch (e) {
      rt.release(y.tensor);
      throw e;
    } finally {
      for (const t of temps) rt.release(t);
    }
    return [y.tensor];
  }),
});

/** The FusedElementwise `wasm` kernel. */
export const FUSED_ELTWISE_WASM_KERNELS: readonly AnyWasmKernel[] = [fusedElementwise];
