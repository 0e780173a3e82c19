/**
 * The program language of `optiflow::FusedElementwise`: a straight-line list of elementwise steps
 * over the node's inputs, temporaries and numeric literals, carried in the string attribute
 * `program`, e.g. `t0=Mul(x0,x1);t1=Erf(t0);y=Add(t1,1)`.
 *
 * Grammar: statements separated by `;`. Statement `k` (0-based) is `t<k>=<Op>(<arg>,...)`, except
 * the last, which is `y=<Op>(<arg>,...)`. An argument is `x<i>` (node input `i`), `t<j>` (the result
 * of an earlier statement `j < k`) or a number literal (JavaScript syntax, `Infinity`, `-Infinity`
 * and `NaN` included). Op names and semantics are the ONNX ones: unary ops take one argument,
 * binary ops two (numpy broadcasting), `Clip` takes its input and two literal bounds (min, max).
 * @module
 */
import { OptiflowError } from '../ir/errors.js';
import type { Node } from '../ir/graph.js';

/** Unary ops a program may use (ONNX semantics, float32). */
export const EW_UNARY_OPS = [
  'Relu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil',
  'Sin', 'Cos', 'Softplus', 'Softsign',
] as const;
/** Binary broadcasting ops a program may use (ONNX semantics, float32). */
export const EW_BINARY_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min'] as const;

/** A unary op name. */
export type EwUnaryOp = (typeof EW_UNARY_OPS)[number];
/** A binary op name. */
export type EwBinaryOp = (typeof EW_BINARY_OPS)[number];
/** Any op name of the program language. */
export type EwOp = EwUnaryOp | EwBinaryOp | 'Clip';

/** One argument of a step. */
export type EwOperand =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'temp'; readonly index: number }
  | { readonly kind: 'literal'; readonly value: number };

/** One statement: `op(args)`; its result is temporary `k` for statement `k`, the output for the last. */
export interface EwStep {
  readonly op: EwOp;
  readonly args: readonly EwOperand[];
}

const UNARY = new Set<string>(EW_UNARY_OPS);
const BINARY = new Set<string>(EW_BINARY_OPS);

/** Number of arguments `op` takes. */
export function arityOf(op: EwOp): number {
  return UNARY.has(op) ? 1 : BINARY.has(op) ? 2 : 3;
}

/** True when `opType` is an op of the program language. */
export function isEwOp(opType: string): opType is EwOp {
  return UNARY.has(opType) || BINARY.has(opType) || opType === 'Clip';
}

/** Writes an operand in the program syntax (literals round-trip exactly through `Number`). */
function formatOperand(a: EwOperand): string {
  if (a.kind !== 'literal') return a.kind === 'input' ? `x${a.index}` : `t${a.index}`;
  return Object.is(a.value, -0) ? '-0' : String(a.value);
}

/** Writes steps as a program string (the inverse of {@link parseProgram}). */
export function formatProgram(steps: readonly EwStep[]): string {
  return steps.map((s, k) => `${k === steps.length - 1 ? 'y' : `t${k}`}=${s.op}(${s.args.map(formatOperand).join(',')})`).join(';');
}

/**
 * Parses and checks a program.
 * @param text the `program` attribute
 * @param inputCount the node's input count (arguments `x<i>` must be below it)
 * @param node the node, for error paths
 * @returns the steps, in order
 * @throws OptiflowError `invalid_attribute` for a syntax error, an unknown op, a wrong argument
 *   count, a reference to an undefined temporary or input, or a Clip bound that is not a literal.
 */
export function parseProgram(text: string, inputCount: number, node: Node): EwStep[] {
  const bad = (msg: string): never => {
    throw new OptiflowError('invalid_attribute', `program: ${msg}`, [`node ${node.name} (${node.opType})`]);
  };
  const stmts = text.split(';').map((s) => s.trim()).filter((s) => s !== '');
  if (stmts.length === 0) bad('is empty');
  return stmts.map((s, k) => {
    const m = /^(\w+)\s*=\s*(\w+)\s*\((.*)\)$/.exec(s);
    if (!m) return bad(`statement ${k} '${s}' is not 'dst=Op(args)'`);
    const dst = m[1]!; const op = m[2]!; const argText = m[3]!;
    const want = k === stmts.length - 1 ? 'y' : `t${k}`;
    if (dst !== want) bad(`statement ${k} must assign '${want}', assigns '${dst}'`);
    if (!isEwOp(op)) bad(`unknown op '${op}' in statement ${k}`);
    const args = argText.split(',').map((a) => a.trim()).map((a): EwOperand => {
      const ref = /^([xt])(\d+)$/.exec(a);
      if (ref) {
        const index = Number(ref[2]);
        if (ref[1] === 'x' && index >= inputCount) bad(`statement ${k} reads x${index}; the node has ${inputCount} inputs`);
        if (ref[1] === 't' && index >= k) bad(`statement ${k} reads t${index} before it is defined`);
        return { kind: ref[1] === 'x' ? 'input' : 'temp', index };
      }
      const value = Number(a);
      if (a === '' || (Number.isNaN(value) && a !== 'NaN')) bad(`statement ${k}: '${a}' is not an input, temporary or number`);
      return { kind: 'literal', value };
    });
    const e = op as EwOp;
    if (args.length !== arityOf(e)) bad(`${op} takes ${arityOf(e)} arguments, statement ${k} gives ${args.length}`);
    if (e === 'Clip' && (args[1]!.kind !== 'literal' || args[2]!.kind !== 'literal')) bad(`Clip bounds in statement ${k} must be number literals`);
    return { op: e, args };
  });
}
