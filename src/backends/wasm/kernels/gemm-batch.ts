/**
 * Batch broadcasting of matmul operands (numpy rules): the output batch dims and, per output
 * batch, the index of the A and B matrix it reads.
 * Source: ONNX operator spec (MatMul: numpy matmul broadcasting).
 * @module
 */
import type { Node } from '../../../ir/graph.js';
import { shapeError } from './gemm-core.js';

/** Output batch dims and, per output batch (row-major), the flat batch index into A and into B. */
export interface BatchIndex {
  readonly outBatch: number[];
  readonly aIdx: Int32Array;
  readonly bIdx: Int32Array;
}

/**
 * Broadcasts batch dims `a` and `b` (right-aligned; each pair equal or one of them 1).
 * @throws OptiflowError `shape_mismatch` when two dims differ and neither is 1.
 */
export function broadcastIndex(node: Node, a: readonly number[], b: readonly number[]): BatchIndex {
  const r = Math.max(a.length, b.length);
  const da = [...new Array<number>(r - a.length).fill(1), ...a];
  const db = [...new Array<number>(r - b.length).fill(1), ...b];
  const outBatch = da.map((x, i) => {
    const y = db[i]!;
    if (x !== y && x !== 1 && y !== 1) shapeError(node, `batch dims [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    return x === 1 ? y : x;
  });
  const count = outBatch.reduce((p, q) => p * q, 1);
  const aIdx = new Int32Array(count); const bIdx = new Int32Array(count);
  const idx = new Array<number>(r).fill(0);
  for (let t = 0; t < count; t++) {
    let ia = 0; let ib = 0;
    for (let i = 0; i < r; i++) {
      ia = ia * da[i]! + (da[i] === 1 ? 0 : idx[i]!);
      ib = ib * db[i]! + (db[i] === 1 ? 0 : idx[i]!);
    }
    aIdx[t] = ia; bIdx[t] = ib;
    for (let i = r - 1; i >= 0; i--) { if (++idx[i]! < outBatch[i]!) break; idx[i] = 0; }
  }
  return { outBatch, aIdx, bIdx };
}
