/**
 * A small graph the webgpu runtime tests share (named `fixture-*` so that `node --test dist/`
 * does not take it for a test file).
 * @module
 */
import type { Graph } from '../../ir/graph.js';
import { GraphBuilder } from '../../zoo/builder.js';

/** Dims of the chain's input, weight and outputs. */
export const DIMS = [2, 3, 4];
/** Elements of one chain tensor. */
export const N = 24;
/** A feed for `x` with negative, zero and positive values. */
export const X = Array.from({ length: N }, (_, i) => (i % 7) - 3.5);
/** The chain's constant `w`. */
export const W = Array.from({ length: N }, (_, i) => ((i * 5) % 11) / 4 - 1.25);

/** out = Relu(Relu(x) + w) + x, with r1 = Relu(x) also an output (read outside the segment). */
export function chain(): Graph {
  const b = new GraphBuilder('chain', { '': 17 });
  const x = b.input('x', 'float32', DIMS);
  const w = b.float('w', DIMS, W);
  const r1 = b.op('Relu', [x], {}, { output: 'r1' });
  const a1 = b.op('Add', [r1, w]);
  const r2 = b.op('Relu', [a1]);
  b.op('Add', [r2, x], {}, { output: 'out' });
  b.output('out', 'float32', DIMS);
  b.output('r1', 'float32', DIMS);
  return b.build();
}
