/**
 * Depthwise fusion (a 1x1 conv and the depthwise 3x3 conv reading its output as one oneDNN
 * primitive): the addon against naive loops (stride 1 and 2, odd and even sizes, post-ops on
 * both halves, with and without biases, a shape where oneDNN has only its reference fused
 * implementation so the addon splits the pair), the translator's decision (fires; does not fire
 * when the 1x1 output has another reader, is a segment output or is small), and a segment
 * against the js backend. Addon tests skip, saying why, when the addon is unavailable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dim, Graph } from '../../ir/graph.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { GraphBuilder, Rng } from '../../zoo/index.js';
import { createOnednnBackend } from './index.js';
import { loadOnednnAddon } from './native.js';
import { assertClose, conv2dRef, mapRef, numel, rand } from './native-ref.js';
import { compareSegmentWithJs, segmentOf } from './segment-testing.js';
import type { EngineOp, EngineSpec, PostOp } from './spec.js';
import { fuseDepthwise, MIN_FUSED_PLANE } from './translate-dw.js';
import { translateSegment } from './translate.js';

const loaded = loadOnednnAddon();
const skip = 'unavailable' in loaded ? `skipped: ${loaded.unavailable}` : false;

const PW = { strides: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], dilations: [1, 1], groups: 1 };
const dwParams = (c: number, s: number) => ({ strides: [s, s], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], groups: c });
const clip = (lo: number, hi: number): PostOp => ({ kind: 'eltwise', alg: 'clip', alpha: lo, beta: hi });
const clipRef = (x: Float32Array, lo: number, hi: number) => mapRef(x, (v) => Math.min(hi, Math.max(lo, v)));

interface Pair { n: number; cin: number; c: number; h: number; w: number; stride: 1 | 2; bias: boolean; blocked: boolean }

/** Runs a fused pair through the addon and the naive loops (pw → clip(0,6) → dw → clip(-1,1)). */
async function checkPair(p: Pair): Promise<void> {
  if ('unavailable' in loaded) throw new Error(loaded.unavailable);
  const xd = [p.n, p.cin, p.h, p.w], w1d = [p.c, p.cin, 1, 1], w2d = [p.c, 1, 3, 3];
  const md = [p.n, p.c, p.h, p.w], yd = [p.n, p.c, Math.ceil(p.h / p.stride), Math.ceil(p.w / p.stride)];
  const x = rand(numel(xd), 21), w1 = rand(numel(w1d), 22), w2 = rand(numel(w2d), 23);
  const b1 = p.bias ? rand(p.c, 24) : undefined, b2 = p.bias ? rand(p.c, 25) : undefined;
  const op: EngineOp = {
    kind: 'conv', src: 0, dst: 1, weights: { dims: w1d, data: w1 }, ...(b1 ? { bias: { dims: [p.c], data: b1 } } : {}), ...PW,
    postOps: [clip(0, 6)], ...(p.blocked ? { layout: 'blocked16' as const } : {}),
    depthwise: { weights: { dims: w2d, data: w2 }, ...(b2 ? { bias: { dims: [p.c], data: b2 } } : {}), stride: p.stride, postOps: [clip(-1, 1)] },
  };
  const spec: EngineSpec = { tensors: [{ dims: xd, dtype: 'f32' }, { dims: yd, dtype: 'f32' }], inputs: [0], outputs: [1], ops: [op], precision: 'fp32', threads: 1 };
  const e = loaded.addon.createEngine(spec);
  const y = new Float32Array(numel(yd));
  try {
    await e.run([x], [y]);
  } finally {
    e.dispose();
  }
  const mid = clipRef(conv2dRef(x, xd, w1, w1d, b1, PW, md), 0, 6);
  const dwp = { ...dwParams(p.c, p.stride), padsEnd: [0, 0] }; // the end padding does not change ceil-sized outputs
  assertClose(y, clipRef(conv2dRef(mid, md, w2, w2d, b2, dwp, yd), -1, 1));
}

describe('onednn depthwise fusion in the addon', { skip }, () => {
  it('stride 1, blocked layout, biases', () => checkPair({ n: 1, cin: 16, c: 32, h: 9, w: 9, stride: 1, bias: true, blocked: true }));
  it('stride 2, odd size, batch 2, no biases', () => checkPair({ n: 2, cin: 8, c: 16, h: 11, w: 13, stride: 2, bias: false, blocked: false }));
  it('stride 2, even size (MobileNet 56 -> 28)', () => checkPair({ n: 1, cin: 32, c: 32, h: 28, w: 28, stride: 2, bias: true, blocked: true }));
  it('a pair oneDNN fuses only in its reference implementation (split into two primitives)',
    () => checkPair({ n: 1, cin: 128, c: 256, h: 28, w: 28, stride: 1, bias: true, blocked: true }));

  it('rejects a depthwise stride of 3 naming the field', () => {
    if ('unavailable' in loaded) throw new Error(loaded.unavailable);
    const spec: EngineSpec = {
      tensors: [{ dims: [1, 4, 6, 6], dtype: 'f32' }, { dims: [1, 8, 2, 2], dtype: 'f32' }], inputs: [0], outputs: [1], precision: 'fp32', threads: 1,
      ops: [{ kind: 'conv', src: 0, dst: 1, weights: { dims: [8, 4, 1, 1], data: rand(32) }, ...PW, postOps: [],
        depthwise: { weights: { dims: [8, 1, 3, 3], data: rand(72) }, stride: 3 as 2, postOps: [] } }],
    };
    assert.throws(() => loaded.addon.createEngine(spec), /stride must be 1 or 2/);
  });
});

// --- the translator's decision (no addon needed) -------------------------------------------------

const conv = (src: number, dst: number, wd: number[], p: typeof PW, postOps: PostOp[] = []): EngineOp =>
  ({ kind: 'conv', src, dst, weights: { dims: wd, data: new Float32Array(numel(wd)) }, ...p, postOps });

describe('fuseDepthwise', () => {
  const tensors = [[1, 8, 28, 28], [1, 16, 28, 28], [1, 16, 14, 14]];
  const pair = [conv(0, 1, [16, 8, 1, 1], PW, [clip(0, 6)]), conv(1, 2, [16, 1, 3, 3], dwParams(16, 2), [clip(0, 6)])];

  it('fuses a 1x1 conv whose output only the depthwise conv reads', () => {
    const ops = fuseDepthwise(pair, tensors, [2]);
    assert.equal(ops.length, 1);
    const f = ops[0]!;
    assert.ok(f.kind === 'conv' && f.depthwise);
    assert.equal(f.src, 0);
    assert.equal(f.dst, 2);
    assert.equal(f.depthwise.stride, 2);
    assert.deepEqual(f.depthwise.weights.dims, [16, 1, 3, 3]);
    assert.deepEqual(f.postOps, [clip(0, 6)]);
    assert.deepEqual(f.depthwise.postOps, [clip(0, 6)]);
  });

  it('does not fuse when the 1x1 output has another reader or is an engine output', () => {
    const reader: EngineOp = { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0, src: 1, dst: 3 };
    assert.equal(fuseDepthwise([...pair, reader], [...tensors, [1, 16, 28, 28]], [2, 3]).length, 3);
    const sumReader = conv(0, 3, [16, 8, 1, 1], PW, [{ kind: 'sum', tensor: 1, scale: 1 }]);
    assert.equal(fuseDepthwise([...pair, sumReader], [...tensors, [1, 16, 28, 28]], [2, 3]).length, 3);
    assert.equal(fuseDepthwise(pair, tensors, [2, 1]).length, 2);
  });

  it('does not fuse small planes, 3x3 first convs, or depthwise convs without padding 1', () => {
    const small = [[1, 8, 14, 14], [1, 16, 14, 14], [1, 16, 7, 7]];
    assert.ok(14 * 14 < MIN_FUSED_PLANE);
    assert.equal(fuseDepthwise(pair, small, [2]).length, 2);
    const notPw = [conv(0, 1, [16, 8, 3, 3], { ...PW, padsBegin: [1, 1], padsEnd: [1, 1] }), pair[1]!];
    assert.equal(fuseDepthwise(notPw, tensors, [2]).length, 2);
    const valid = [pair[0]!, conv(1, 2, [16, 1, 3, 3], { ...dwParams(16, 2), padsBegin: [0, 0], padsEnd: [0, 0] })];
    assert.equal(fuseDepthwise(valid, [tensors[0]!, tensors[1]!, [1, 16, 13, 13]], [2]).length, 2);
  });
});

// --- a segment: translation and outputs against the js backend -----------------------------------

function block(secondReader: boolean): Graph {
  const rng = new Rng(5);
  const b = new GraphBuilder('dw', { '': 17 });
  b.input('x', 'float32', [1, 8, 28, 28] as Dim[]);
  const w = (name: string, dims: number[]) => b.float(name, dims, rng.uniforms(numel(dims), -0.5, 0.5));
  const lo = b.scalar('lo', 0), hi = b.scalar('hi', 6);
  const pw = b.op('Clip', [b.op('Conv', ['x', w('w1', [16, 8, 1, 1]), w('b1', [16])]), lo, hi]);
  const dw = b.op('Relu', [b.op('Conv', [pw, w('w2', [16, 1, 3, 3]), w('b2', [16])], { group: 16, pads: [1, 1, 1, 1], strides: [2, 2] })]);
  const out = secondReader ? b.op('Add', [dw, b.op('MaxPool', [pw], { kernel_shape: [2, 2], strides: [2, 2] })]) : dw;
  b.output(out, 'float32', []);
  const g = b.build();
  g.outputs[0]!.shape = undefined;
  return g;
}

for (const secondReader of [false, true]) {
  const what = secondReader ? 'does not fuse when a MaxPool also reads the 1x1 output' : 'fuses Conv 1x1 + Clip -> depthwise Conv + Relu';
  it(`onednn segment ${what}, matching js`, { skip }, async () => {
    const g = block(secondReader);
    const seg = segmentOf(g, () => true);
    const convs = translateSegment(seg, [[1, 8, 28, 28]], { precision: 'fp32', threads: 1 }).engine.ops.filter((o) => o.kind === 'conv');
    assert.equal(convs.length, secondReader ? 2 : 1);
    assert.equal(convs.some((o) => o.kind === 'conv' && o.depthwise !== undefined), !secondReader);
    const feeds: Record<string, TensorData> = { x: { type: 'float32', dims: [1, 8, 28, 28], data: new Rng(6).uniforms(8 * 28 * 28, -1, 1) } };
    const backend = createOnednnBackend({ intraOpNumThreads: 1 });
    try {
      for (const e of await compareSegmentWithJs(g, seg, feeds, backend)) assert.ok(e < 1e-4, `relative error ${e}`);
    } finally {
      await backend.dispose?.();
    }
  });
}
