/**
 * Per-op translators of the convolutions and matmuls: Conv, MatMul, Gemm and the `optiflow` fused
 * forms FusedConv (bias, residual `sum`, activation), FusedMatMul and FusedGemm, all with constant
 * weights where oneDNN wants them (Conv weights; Gemm's B is transposed and scaled here when
 * constant). In QDQ models, Gemm and MatMul reading a DequantizeLinear output with a constant
 * weight that is exactly int8 per output column (a folded DequantizeLinear) run as one int8
 * matmul with an f32 dst (`int8-fuse.ts`).
 *
 * Source: ONNX operator spec (Conv, MatMul, Gemm); `src/ops/optiflow-fused.ts`; oneDNN 2.6
 * convolution and matmul primitives.
 * @module
 */
import { sizeOf } from '../../ir/tensor-data.js';
import { windowGeometry, windowParams } from '../../ops/nn-shape.js';
import { activationOfNode } from '../../ops/optiflow-fused-activation.js';
import { emitInt8Linear } from './int8-fuse.js';
import type { EngineConst, PostOp } from './spec.js';
import {
  constData, decline, econst, FLT_MAX, padDims, sameDims, type NodeCtx, type Translator, type Val,
} from './translate-builder.js';
import { eltwiseSteps } from './translate-fold.js';

/** The eltwise post-ops of a fused op's `activation` (none → empty). */
export function activationPostOps(ctx: NodeCtx): PostOp[] {
  const p = activationPostOp(ctx);
  return p && p.kind === 'eltwise' ? eltwiseSteps(p.alg, p.alpha, p.beta) : [];
}

/** The eltwise post-op of a fused op's `activation` (none → undefined). */
function activationPostOp(ctx: NodeCtx): PostOp | undefined {
  const act = activationOfNode(ctx.node);
  const p = act.params;
  switch (act.kind) {
    case '': return undefined;
    case 'Relu': return { kind: 'eltwise', alg: 'relu', alpha: 0, beta: 0 };
    case 'LeakyRelu': return { kind: 'eltwise', alg: 'relu', alpha: p[0]!, beta: 0 };
    case 'Clip': return { kind: 'eltwise', alg: 'clip', alpha: Math.max(p[0]!, -FLT_MAX), beta: Math.min(p[1]!, FLT_MAX) };
    case 'Sigmoid': return { kind: 'eltwise', alg: 'logistic', alpha: 0, beta: 0 };
    case 'Tanh': return { kind: 'eltwise', alg: 'tanh', alpha: 0, beta: 0 };
    case 'HardSigmoid': return { kind: 'eltwise', alg: 'hardsigmoid', alpha: p[0]!, beta: p[1]! };
    case 'HardSwish': return { kind: 'eltwise', alg: 'hardswish', alpha: 1 / 6, beta: 0.5 };
    case 'Gelu': return { kind: 'eltwise', alg: p[0] === 1 ? 'gelu_tanh' : 'gelu_erf', alpha: 0, beta: 0 };
  }
}

/** A constant input as float32 data, declining tensors. */
function constIn(ctx: NodeCtx, i: number, what: string): { dims: readonly number[]; data: Float32Array } {
  const v = ctx.inputs[i];
  if (!v || v.kind !== 'const') return decline(ctx, `${what} must be a constant (initializer)`);
  return { dims: v.data.dims, data: constData(v.data, ctx.where) };
}

/** Conv and FusedConv (input 3 = residual Z, added before the activation). */
const conv: Translator = (ctx) => {
  const { b, node } = ctx;
  const src = b.tensorOf(ctx, ctx.inputs[0], 'X');
  const dims = b.dims(src); const r = dims.length - 2;
  if (r < 1 || r > 3) decline(ctx, `Conv with ${r} spatial dims`);
  const w = constIn(ctx, 1, 'weights W');
  const bias = ctx.inputs[2] ? constIn(ctx, 2, 'bias B') : undefined;
  const p = windowParams(node, r, ctx.attrs as never, w.dims.slice(2));
  const g = windowGeometry(node, dims.slice(2), p);
  const out = ctx.outDims[0]!;
  const postOps: PostOp[] = [];
  if (ctx.inputs[3]) {
    const z = b.tensorOf(ctx, ctx.inputs[3], 'residual Z');
    if (!sameDims(b.dims(z), out)) decline(ctx, 'residual Z with another shape than the output');
    postOps.push({ kind: 'sum', tensor: z, scale: 1 });
  }
  postOps.push(...activationPostOps(ctx));
  const dst = b.tensor(out);
  b.emit({
    kind: 'conv', src, dst, weights: econst(w.dims, w.data), ...(bias ? { bias: econst([bias.data.length], bias.data) } : {}),
    strides: p.strides, padsBegin: g.padsBegin, padsEnd: g.padsEnd, dilations: p.dilations, groups: ctx.attrs['group'] as number, postOps,
  });
  b.bind(node.outputs[0], dst);
};

/** Options of {@link emitMatMul}. */
interface MatMulOpts {
  readonly bias?: EngineConst;
  /** `b` is a tensor laid out `[..., N, K]`. */
  readonly bTransposed?: boolean;
  readonly postOps?: readonly PostOp[];
}

/**
 * Emits `a × b` with ONNX MatMul semantics (1-D operands promoted and their unit dim removed,
 * batch ranks equalized), binding the node's output.
 * @returns the matmul op index
 */
function emitMatMul(ctx: NodeCtx, a: Val, bv: Val, opts: MatMulOpts = {}): number {
  const { b } = ctx;
  if (a.kind !== 'tensor') decline(ctx, 'MatMul with a constant A');
  let ad = b.dims(a.index);
  let bd = [...b.valDims(bv)];
  if (ad.length === 1) { ad = [1, ad[0]!]; }
  if (bd.length === 1) bd = opts.bTransposed ? [1, bd[0]!] : [bd[0]!, 1];
  const r = Math.max(ad.length, bd.length);
  const aIdx = b.reshape(a.index, padDims(ad, r));
  let bArg: number | EngineConst;
  if (bv.kind === 'tensor') bArg = b.reshape(bv.index, padDims(bd, r));
  else bArg = econst(padDims(bd, r), constData(bv.data, ctx.where));
  const A = b.dims(aIdx); const B = typeof bArg === 'number' ? b.dims(bArg) : bArg.dims;
  const batch = A.slice(0, r - 2).map((d, i) => Math.max(d, B[i]!));
  const m = A[r - 2]!; const n = opts.bTransposed ? B[r - 2]! : B[r - 1]!;
  const dst = b.tensor([...batch, m, n]);
  const k = b.emit({
    kind: 'matmul', a: aIdx, b: bArg, ...(opts.bTransposed ? { bTransposed: true } : {}), dst,
    ...(opts.bias ? { bias: opts.bias } : {}), postOps: [...(opts.postOps ?? [])],
  });
  const out = ctx.outDims[0]!;
  if (sameDims(b.dims(dst), out)) b.bind(ctx.node.outputs[0], dst);
  else {
    const y = b.tensor(out);
    b.emit({ kind: 'reshape', src: dst, dst: y });
    b.bind(ctx.node.outputs[0], y);
  }
  return k;
}

const matmul: Translator = (ctx) => {
  const a = ctx.inputs[0]; const w = ctx.inputs[1];
  if (ctx.b.fold && a?.kind === 'tensor' && w?.kind === 'const' && w.data.dims.length === 2) {
    const y = emitInt8Linear(ctx, a.index, w.data, ctx.outDims[0]!, { transposed: false, alpha: 1 });
    if (y !== undefined) { ctx.b.bind(ctx.node.outputs[0], y); return; }
  }
  emitMatMul(ctx, ctx.inputs[0]!, ctx.inputs[1]!);
};

/** FusedMatMul: bias constant [N] or tensor (binary post-op), then the activation. */
const fusedMatMul: Translator = (ctx) => {
  const { b } = ctx;
  const post: PostOp[] = [];
  let bias: EngineConst | undefined;
  const bv = ctx.inputs[2];
  if (bv?.kind === 'const') bias = econst([sizeOf(bv.data.dims)], constData(bv.data, ctx.where));
  else if (bv) {
    const r = Math.max(ctx.outDims[0]!.length, 2);
    post.push({ kind: 'binary', alg: 'add', tensor: b.reshape(bv.index, padDims(b.dims(bv.index), r)) });
  }
  post.push(...activationPostOps(ctx));
  emitMatMul(ctx, ctx.inputs[0]!, ctx.inputs[1]!, { ...(bias ? { bias } : {}), postOps: post });
};

/** Gemm and FusedGemm: `act(alpha·A'·B' + beta·C)`. */
const gemm: Translator = (ctx) => {
  const { b } = ctx;
  const alpha = ctx.attrs['alpha'] as number; const beta = ctx.attrs['beta'] as number;
  let a = b.tensorOf(ctx, ctx.inputs[0], 'A');
  if (b.dims(a).length !== 2) decline(ctx, 'Gemm A must be 2-D');
  if (ctx.attrs['transA']) {
    const [d0, d1] = b.dims(a) as [number, number];
    const t = b.tensor([d1, d0]);
    b.emit({ kind: 'transpose', src: a, dst: t, perm: [1, 0] });
    a = t;
  }
  const transB = ctx.attrs['transB'] !== 0;
  const bIn = ctx.inputs[1]!;
  const [M, N] = ctx.outDims[0]! as [number, number];
  if (int8Gemm(ctx, a, bIn, transB, alpha, beta, N)) return;
  const post: PostOp[] = [];
  let bv: Val = bIn;
  let bTransposed = false;
  let cScale = beta;
  if (bIn.kind === 'const') {
    const w = constData(bIn.data, ctx.where);
    const [d0, d1] = bIn.data.dims as [number, number];
    const K = transB ? d1 : d0;
    const data = new Float32Array(K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) data[k * N + n] = alpha * w[transB ? n * d1 + k : k * d1 + n]!;
    bv = { kind: 'const', data: { type: 'float32', dims: [K, N], data } };
  } else {
    bTransposed = transB;
    if (alpha !== 1) { post.push({ kind: 'eltwise', alg: 'linear', alpha, beta: 0 }); cScale = alpha === 0 ? NaN : beta / alpha; }
  }
  let bias: EngineConst | undefined;
  let cAfter: Val | undefined;
  const c = ctx.inputs[2];
  if (c && beta !== 0) {
    const cd = c.kind === 'const' ? c.data.dims : b.dims(c.index);
    if (c.kind === 'const') {
      const data = constData(c.data, ctx.where);
      const rowVector = sizeOf(cd) === 1 || (cd[cd.length - 1] === N && sizeOf(cd) === N);
      if (rowVector && Number.isFinite(cScale)) {
        bias = econst([N], Float32Array.from({ length: N }, (_, n) => cScale * data[sizeOf(cd) === 1 ? 0 : n]!));
      } else cAfter = { kind: 'const', data: { type: 'float32', dims: cd, data: data.map((v) => v * beta) } };
    } else {
      let ct = b.reshape(c.index, padDims(cd, 2));
      if (beta !== 1) ct = b.eltwise(ct, 'linear', beta, 0);
      post.push({ kind: 'binary', alg: 'add', tensor: ct });
    }
  }
  const act = activationPostOps(ctx);
  if (!cAfter) post.push(...act);
  const k = emitMatMul(ctx, { kind: 'tensor', index: a }, bv, { ...(bias ? { bias } : {}), bTransposed, postOps: post });
  if (cAfter) {
    const mm = b.op(k);
    const y = b.binary(ctx, 'add', { kind: 'tensor', index: (mm as { dst: number }).dst }, cAfter, [M, N]);
    for (const p of act) b.addPostOp(b.opCount() - 1, p);
    b.bind(ctx.node.outputs[0], y);
  }
};

/**
 * Gemm (not FusedGemm) as an int8 matmul ({@link emitInt8Linear}) when A is dequantized in this
 * engine, B a constant that is exactly int8 per output column and C absent or a constant row
 * vector; binds the output and returns true, else false (nothing emitted).
 */
function int8Gemm(ctx: NodeCtx, a: number, bIn: Val, transB: boolean, alpha: number, beta: number, N: number): boolean {
  const { b } = ctx;
  if (!b.fold || ctx.node.domain !== '' || bIn.kind !== 'const' || bIn.data.dims.length !== 2 || ctx.attrs['transA']) return false;
  const c = ctx.inputs[2];
  let bias: Float32Array | undefined;
  if (c && beta !== 0) {
    if (c.kind !== 'const') return false;
    const cd = c.data.dims; const data = constData(c.data, ctx.where);
    if (!(sizeOf(cd) === 1 || (cd[cd.length - 1] === N && sizeOf(cd) === N))) return false;
    bias = Float32Array.from({ length: N }, (_, n) => beta * data[sizeOf(cd) === 1 ? 0 : n]!);
  }
  const y = emitInt8Linear(ctx, a, bIn.data, ctx.outDims[0]!, { transposed: transB, alpha, ...(bias ? { bias } : {}) });
  if (y === undefined) return false;
  b.bind(ctx.node.outputs[0], y);
  return true;
}

/** Translators of Conv/MatMul/Gemm (ai.onnx) and their fused forms (optiflow), keyed `domain::op`. */
export const LINEAR_TRANSLATORS: ReadonlyMap<string, Translator> = new Map<string, Translator>([
  ['::Conv', conv], ['optiflow::FusedConv', conv],
  ['::MatMul', matmul], ['optiflow::FusedMatMul', fusedMatMul],
  ['::Gemm', gemm], ['optiflow::FusedGemm', gemm],
]);
