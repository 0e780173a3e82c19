/**
 * Translator unit tests (no addon needed): the EngineSpec a segment becomes, checked against
 * hand-derived expectations (Gemm constant folding, Softmax opset-11 flattening, post-op folding
 * and its conditions), plus capability answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dim, Graph } from '../../ir/graph.js';
import { GraphBuilder } from '../../zoo/index.js';
import type { EngineOp, EngineSpec } from './spec.js';
import { segmentOf } from './segment-testing.js';
import { onednnSupports } from './support.js';
import { translateSegment, type TranslateOptions } from './translate.js';

function graph(opset: number, inputs: Record<string, number[]>, build: (b: GraphBuilder) => string | string[]): Graph {
  const b = new GraphBuilder('t', { '': opset, optiflow: 1 });
  for (const [n, d] of Object.entries(inputs)) b.input(n, 'float32', d as Dim[]);
  const out = build(b);
  for (const o of Array.isArray(out) ? out : [out]) b.output(o, 'float32', []);
  const g = b.build();
  for (const o of g.outputs) o.shape = undefined;
  return g;
}

function engineOf(g: Graph, level?: TranslateOptions['level']): EngineSpec {
  const seg = segmentOf(g, () => true);
  const dims = seg.inputs.map((n) => g.inputs.find((v) => v.name === n)!.shape as number[]);
  return translateSegment(seg, dims, { precision: 'fp32', threads: 1, ...(level ? { level } : {}) }).engine;
}

/** Every tensor an op reads (including post-op tensors) is an engine input or written by an earlier op. */
function assertOrdered(e: EngineSpec): void {
  const ready = new Set(e.inputs);
  for (const op of e.ops) {
    const reads = op.kind === 'concat' ? op.srcs : 'src' in op ? [op.src]
      : op.kind === 'matmul' || op.kind === 'binary' ? [op.a, op.b].filter((x): x is number => typeof x === 'number') : [];
    const post = 'postOps' in op ? op.postOps.flatMap((p) => (p.kind === 'eltwise' ? [] : [p.tensor])) : [];
    for (const t of [...reads, ...post]) assert.ok(ready.has(t), `op ${op.kind} reads tensor ${t} before it is written`);
    ready.add(op.dst);
  }
  for (const t of e.outputs) assert.ok(ready.has(t));
}

const kinds = (e: EngineSpec): string[] => e.ops.map((o) => o.kind);

test('Gemm with constant B, transB and alpha: B transposed and scaled once, C becomes the bias', () => {
  const g = graph(13, { x: [2, 3] }, (b) =>
    b.op('Gemm', ['x', b.float('B', [2, 3], [1, 2, 3, 4, 5, 6]), b.float('C', [2], [10, 20])], { transB: 1, alpha: 2, beta: 0.5 }));
  const e = engineOf(g);
  assert.deepEqual(kinds(e), ['matmul']);
  const mm = e.ops[0] as Extract<EngineOp, { kind: 'matmul' }>;
  assert.ok(typeof mm.b !== 'number');
  assert.deepEqual(mm.b.dims, [3, 2]);
  // Bᵀ = [[1,4],[2,5],[3,6]] times alpha 2.
  assert.deepEqual([...mm.b.data], [2, 8, 4, 10, 6, 12]);
  assert.equal(mm.bTransposed, undefined);
  assert.deepEqual([...mm.bias!.data], [5, 10]);
  assert.deepEqual(e.tensors[e.outputs[0]!]!.dims, [2, 2]);
});

test('Softmax at opset 11 flattens to 2-D at the axis; at opset 13 it normalizes one axis', () => {
  const e11 = engineOf(graph(11, { x: [2, 3, 4] }, (b) => b.op('Softmax', ['x'], { axis: 1 })));
  assert.deepEqual(kinds(e11), ['reshape', 'softmax', 'reshape']);
  const s = e11.ops[1] as Extract<EngineOp, { kind: 'softmax' }>;
  assert.deepEqual(e11.tensors[s.src]!.dims, [2, 12]);
  assert.equal(s.axis, 1);
  assert.deepEqual(e11.tensors[e11.outputs[0]!]!.dims, [2, 3, 4]);
  const e13 = engineOf(graph(13, { x: [2, 3, 4] }, (b) => b.op('Softmax', ['x'], { axis: 1 })));
  assert.deepEqual(kinds(e13), ['softmax']);
  assert.equal((e13.ops[0] as Extract<EngineOp, { kind: 'softmax' }>).axis, 1);
  // Default axis: 1 before opset 13 (flattened), -1 from 13.
  assert.deepEqual(kinds(engineOf(graph(11, { x: [2, 3, 4] }, (b) => b.op('Softmax', ['x'])))), ['reshape', 'softmax', 'reshape']);
  assert.equal((engineOf(graph(13, { x: [2, 3, 4] }, (b) => b.op('Softmax', ['x']))).ops[0] as { axis: number }).axis, 2);
});

const W = (b: GraphBuilder): string => b.float('W', [2, 2, 1, 1], [1, 0, 0, 1]);

test('post-op folding fires: Conv → Add(residual) → Relu stays one conv; a per-channel Add becomes the bias', () => {
  const e = engineOf(graph(13, { x: [1, 2, 3, 3] }, (b) => {
    const c = b.op('Conv', ['x', W(b)]);
    return b.op('Relu', [b.op('Add', [c, 'x'])]);
  }));
  assert.deepEqual(kinds(e), ['conv']);
  const conv = e.ops[0] as Extract<EngineOp, { kind: 'conv' }>;
  assert.deepEqual(conv.postOps, [{ kind: 'sum', tensor: e.inputs[0], scale: 1 }, { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 }]);
  // A per-channel constant Add right after the conv becomes its bias.
  const e2 = engineOf(graph(13, { x: [1, 2, 3, 3] }, (b) => b.op('Add', [b.op('Conv', ['x', W(b)]), b.float('c', [2, 1, 1], [3, 4])])));
  assert.deepEqual(kinds(e2), ['conv']);
  assert.deepEqual([...(e2.ops[0] as Extract<EngineOp, { kind: 'conv' }>).bias!.data], [3, 4]);
});

test('post-op folding does not fire when the intermediate is read twice or is a segment output', () => {
  const twice = engineOf(graph(13, { x: [1, 2, 3, 3] }, (b) => {
    const c = b.op('Conv', ['x', W(b)]);
    return b.op('Add', [b.op('Relu', [c]), b.op('Sigmoid', [c])]);
  }));
  assert.deepEqual(kinds(twice), ['conv', 'eltwise', 'eltwise', 'binary']);
  assert.deepEqual((twice.ops[0] as Extract<EngineOp, { kind: 'conv' }>).postOps, []);
  const exposed = engineOf(graph(13, { x: [1, 2, 3, 3] }, (b) => {
    const c = b.op('Conv', ['x', W(b)]);
    return [c, b.op('Relu', [c])];
  }));
  assert.deepEqual(kinds(exposed), ['conv', 'eltwise']);
  assertOrdered(exposed);
});

test('a residual produced after the conv folds into the later producer, keeping the chain ordered', () => {
  const e = engineOf(graph(13, { x: [1, 2, 3, 3] }, (b) => b.op('Add', [b.op('Conv', ['x', W(b)]), b.op('Conv', ['x', W(b)])])));
  assert.deepEqual(kinds(e), ['conv', 'conv']);
  assert.equal((e.ops[0] as Extract<EngineOp, { kind: 'conv' }>).postOps.length, 0);
  assert.equal((e.ops[1] as Extract<EngineOp, { kind: 'conv' }>).postOps[0]!.kind, 'sum');
  assertOrdered(e);
});

test('Attention: Q·Kᵀ with scale and mask post-ops, softmax over the last axis, ·V', () => {
  const e = engineOf(graph(17, { q: [1, 2, 3, 4], k: [1, 2, 5, 4], v: [1, 2, 5, 4], m: [1, 1, 1, 5] },
    (b) => b.op('Attention', ['q', 'k', 'v', 'm'], {}, { domain: 'optiflow' })));
  assert.deepEqual(kinds(e), ['matmul', 'softmax', 'matmul']);
  const qk = e.ops[0] as Extract<EngineOp, { kind: 'matmul' }>;
  assert.equal(qk.bTransposed, true);
  assert.deepEqual(qk.postOps, [{ kind: 'eltwise', alg: 'linear', alpha: 0.5, beta: 0 }, { kind: 'binary', alg: 'add', tensor: e.inputs[3] }]);
  assertOrdered(e);
});

test('supports: float32 with constant weights; declines with a reason otherwise', () => {
  const g = graph(13, { x: [1, 2, 3, 3], w: [2, 2, 1, 1] }, (b) => [b.op('Conv', ['x', 'w']), b.op('ConvTranspose', ['x', W(b)]), b.op('Conv', ['x', W(b)])]);
  const seg = segmentOf(g, () => true);
  const q = (i: number) => {
    const n = g.nodes[i]!;
    const info = (name: string) => {
      const t = g.initializers.get(name);
      if (t) return { dtype: t.type, shape: [...t.dims], value: t };
      const v = g.inputs.find((x) => x.name === name) ?? g.valueInfo.get(name);
      return { dtype: v!.dtype!, shape: v!.shape };
    };
    return onednnSupports({ node: n, schema: seg.schemas.get(n)!, opset: 13, inputs: n.inputs.map(info) });
  };
  const r0 = q(0);
  assert.ok(!r0.ok && /weights and bias must be constant/.test(r0.reason), JSON.stringify(r0));
  const r1 = q(1);
  assert.ok(!r1.ok && /no translation for ConvTranspose/.test(r1.reason));
  assert.deepEqual(q(2), { ok: true });
});

test('fp32 convs: 3x3 stride-1 with >= 64 channels run as Winograd (stride 2, depthwise, 1x1 stay direct), 16-channel multiples blocked; bf16 unchanged', () => {
  const w = (b: GraphBuilder, name: string, dims: number[]): string => b.float(name, dims, new Float32Array(dims.reduce((p, q) => p * q, 1)));
  const g = graph(13, { x: [1, 3, 8, 8] }, (b) => {
    const c0 = b.op('Conv', ['x', w(b, 'w0', [64, 3, 1, 1])]);
    const c1 = b.op('Conv', [c0, w(b, 'w1', [64, 64, 3, 3])], { pads: [1, 1, 1, 1] });
    const c2 = b.op('Conv', [c1, w(b, 'w2', [64, 64, 3, 3])], { pads: [1, 1, 1, 1], strides: [2, 2] });
    const c3 = b.op('Conv', [c2, w(b, 'w3', [64, 1, 3, 3])], { pads: [1, 1, 1, 1], group: 64 });
    const c4 = b.op('Conv', [c3, w(b, 'w4', [64, 64, 1, 1])]);
    return b.op('Conv', [c4, w(b, 'w5', [5, 64, 1, 1])]);
  });
  const algs = (e: EngineSpec) => e.ops.map((o) => (o.kind === 'conv' ? `${o.algorithm ?? 'direct'} ${o.layout ?? 'any'}` : o.kind));
  assert.deepEqual(algs(engineOf(g)), ['direct blocked16', 'winograd blocked16', 'direct blocked16', 'direct blocked16', 'direct blocked16', 'direct blocked16']);
  const seg = segmentOf(g, () => true);
  const bf16 = translateSegment(seg, [[1, 3, 8, 8]], { precision: 'bf16', threads: 1 }).engine;
  assert.deepEqual(algs(bf16), Array(6).fill('direct any'));
});

test('graph optimization level inside the engine: disabled and basic one primitive per node with NCHW between them, extended folds, all keeps blocked layouts', () => {
  // x[1,64,8,8] -> Conv 3x3 (64->64, pad 1) -> Relu -> y: Winograd and blocked16 pay at `all`.
  const w = Array.from({ length: 64 * 64 * 9 }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const g = () => graph(13, { x: [1, 64, 8, 8] }, (b) =>
    b.op('Relu', [b.op('Conv', ['x', b.float('W', [64, 64, 3, 3], w)], { pads: [1, 1, 1, 1] })]));
  for (const level of ['disabled', 'basic'] as const) {
    const e = engineOf(g(), level);
    assert.deepEqual(kinds(e), ['conv', 'eltwise'], level);
    const c = e.ops[0] as Extract<EngineOp, { kind: 'conv' }>;
    assert.equal(c.layout, 'blocked16', level);
    assert.equal(c.plainOutput, true, level);
    assert.equal(c.algorithm, 'winograd', level);
    assert.deepEqual(c.postOps, [], level);
  }
  const x = engineOf(g(), 'extended');
  assert.deepEqual(kinds(x), ['conv']);
  const cx = x.ops[0] as Extract<EngineOp, { kind: 'conv' }>;
  assert.equal(cx.plainOutput, true);
  assert.deepEqual(cx.postOps, [{ kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 }]);
  for (const e of [engineOf(g(), 'all'), engineOf(g())]) {
    assert.deepEqual(kinds(e), ['conv']);
    const c = e.ops[0] as Extract<EngineOp, { kind: 'conv' }>;
    assert.equal(c.layout, 'blocked16');
    assert.equal(c.algorithm, 'winograd');
    assert.equal(c.plainOutput, undefined);
  }
});
