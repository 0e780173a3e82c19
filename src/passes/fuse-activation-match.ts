/**
 * Pattern matching for the activation-fusion rules (`fuse-activation.ts`): reading a standard
 * activation node as a fused op's `activation`/`activation_params`, finding the Conv/Gemm/MatMul
 * (or not-yet-activated fused op) that produces a value, and Add nodes that act as a residual
 * (Conv) or a bias (MatMul). Every match is float32 only and every intermediate it consumes must
 * have exactly one reader and not be a graph output.
 * @module
 */
import type { Attribute, Dim, Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { CLIP_LIMIT } from '../ops/elementwise-misc.js';
import { FUSED_BASE_ATTRS } from '../ops/optiflow-fused.js';
import {
  activationOfNode, FUSED_ACTIVATIONS, type FusedActivation, type FusedActivationKind,
} from '../ops/optiflow-fused-activation.js';
import { OPTIFLOW_DOMAIN } from '../ops/optiflow.js';
import type { RewriteCtx } from './pass-manager.js';

/** Standard ONNX activation op types the rules absorb (the fused activations carry their names). */
export const ACTIVATION_OPS: readonly FusedActivationKind[] = FUSED_ACTIVATIONS;

/** The op a fusion produces before the activation is known. */
export interface FusionBase {
  /** The node whose computation the fused node takes over (Conv, Gemm, MatMul or a fused op). */
  readonly anchor: Node;
  /** `Gemm` here means "FusedGemm, or a standard Gemm when no activation follows" (MatMul + bias). */
  readonly opType: 'FusedConv' | 'FusedGemm' | 'FusedMatMul' | 'Gemm';
  /** The fused node's inputs (`''` for an omitted optional one). */
  readonly inputs: readonly string[];
  /** The base op's attributes carried over (Conv window, Gemm alpha/beta/transposes). */
  readonly attrs: readonly [string, Attribute][];
}

interface Maps { producers: Map<string, Node>; readers: Map<string, Node[]> }
const mapsOf = new WeakMap<RewriteCtx, Maps>();

/** Producer and reader maps of the pass's graph (the node list is fixed during one pass). */
function maps(ctx: RewriteCtx): Maps {
  let m = mapsOf.get(ctx);
  if (!m) {
    const readers = new Map<string, Node[]>();
    for (const n of ctx.graph.nodes) for (const i of n.inputs) if (i) (readers.get(i) ?? readers.set(i, []).get(i)!).push(n);
    m = { producers: ctx.graph.producers(), readers };
    mapsOf.set(ctx, m);
  }
  return m;
}

/** The node producing `name`, if any. */
export function producerOf(ctx: RewriteCtx, name: string): Node | undefined {
  return maps(ctx).producers.get(name);
}

/** The only node reading `name` when it has exactly one reader and is no graph output. */
export function soleReader(ctx: RewriteCtx, name: string): Node | undefined {
  if (!singleUse(ctx, name)) return undefined;
  const r = maps(ctx).readers.get(name);
  return r?.length === 1 ? r[0] : undefined;
}

/** Whether `name` is read exactly once and is not a graph output (so it may disappear). */
export function singleUse(ctx: RewriteCtx, name: string): boolean {
  return ctx.uses.get(name) === 1 && !ctx.outputs.has(name);
}

function infoOf(g: Graph, name: string): { dtype?: string; shape?: Dim[] } | undefined {
  const t = g.initializers.get(name);
  if (t) return { dtype: t.type, shape: [...t.dims] };
  return g.valueInfo.get(name) ?? g.inputs.find((v) => v.name === name);
}

/** Whether `name` is known to be float32. */
export function isFloat32(ctx: RewriteCtx, name: string): boolean {
  return infoOf(ctx.graph, name)?.dtype === 'float32';
}

/** The initializer `name` when it is a true constant (not also a graph input that a feed may override). */
export function constantOf(g: Graph, name: string): TensorData | undefined {
  return g.inputs.some((v) => v.name === name) ? undefined : g.initializers.get(name);
}

function sameShape(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i] && !(typeof d === 'string' && d.startsWith('?')));
}

function num(node: Node, name: string, def: number): number {
  const a = node.attributes.get(name);
  return a?.type === 'float' || a?.type === 'int' ? a.value : def;
}

function scalarConst(g: Graph, name: string | undefined, def: number): number | undefined {
  if (!name) return def;
  const t = constantOf(g, name);
  return t && t.type === 'float32' && t.data.length === 1 ? (t.data as Float32Array)[0]! : undefined;
}

/**
 * Reads a standard activation node (or `optiflow::Gelu`, Gelu-20's semantics at any opset) as a
 * fused activation.
 * @returns `undefined` when `node` is not a fusable activation (another op or domain, Clip bounds
 *   that are not float32 constants, an unknown Gelu mode)
 */
export function activationOf(ctx: RewriteCtx, node: Node): FusedActivation | undefined {
  const gelu = node.opType === 'Gelu' && node.domain === OPTIFLOW_DOMAIN; // Gelu-20 at any opset (fuse-patterns)
  if ((node.domain !== '' && !gelu) || !(ACTIVATION_OPS as readonly string[]).includes(node.opType)) return undefined;
  const kind = node.opType as FusedActivationKind;
  switch (kind) {
    case 'Relu': case 'Sigmoid': case 'Tanh': case 'HardSwish': return { kind, params: [] };
    case 'LeakyRelu': return { kind, params: [num(node, 'alpha', 0.01)] };
    case 'HardSigmoid': return { kind, params: [num(node, 'alpha', 0.2), num(node, 'beta', 0.5)] };
    case 'Gelu': {
      const a = node.attributes.get('approximate');
      const mode = a?.type === 'string' ? a.value : 'none';
      return mode === 'none' || mode === 'tanh' ? { kind, params: [mode === 'tanh' ? 1 : 0] } : undefined;
    }
    case 'Clip': {
      if ((ctx.graph.opsetFor('') ?? 0) < 11) return { kind, params: [num(node, 'min', -CLIP_LIMIT), num(node, 'max', CLIP_LIMIT)] };
      const lo = scalarConst(ctx.graph, node.inputs[1], -Infinity);
      const hi = scalarConst(ctx.graph, node.inputs[2], Infinity);
      return lo === undefined || hi === undefined ? undefined : { kind, params: [lo, hi] };
    }
  }
}

function attrsOf(node: Node, names: readonly string[]): [string, Attribute][] {
  return names.flatMap((k) => { const a = node.attributes.get(k); return a ? [[k, a] as [string, Attribute]] : []; });
}

/** A fused node with no activation yet (reading its `activation` attribute leniently). */
function notActivated(node: Node): boolean {
  try { return activationOfNode(node).kind === ''; } catch { return false; }
}

/**
 * The base op producing `value` when `value` is float32, read once and no graph output: Conv,
 * Gemm, MatMul, or a fused op without an activation yet.
 */
export function matchBase(ctx: RewriteCtx, value: string): FusionBase | undefined {
  const p = producerOf(ctx, value);
  if (!p || !singleUse(ctx, value) || !isFloat32(ctx, value) || p.outputs.length !== 1) return undefined;
  if (p.domain === '') {
    switch (p.opType) {
      case 'Conv': return { anchor: p, opType: 'FusedConv', inputs: p.inputs, attrs: attrsOf(p, FUSED_BASE_ATTRS.FusedConv) };
      case 'Gemm': return { anchor: p, opType: 'FusedGemm', inputs: p.inputs, attrs: attrsOf(p, FUSED_BASE_ATTRS.FusedGemm) };
      case 'MatMul': return { anchor: p, opType: 'FusedMatMul', inputs: p.inputs, attrs: [] };
    }
    return undefined;
  }
  if (p.domain !== OPTIFLOW_DOMAIN || !notActivated(p)) return undefined;
  if (p.opType !== 'FusedConv' && p.opType !== 'FusedGemm' && p.opType !== 'FusedMatMul') return undefined;
  return { anchor: p, opType: p.opType, inputs: p.inputs, attrs: attrsOf(p, FUSED_BASE_ATTRS[p.opType]) };
}

/** `name`'s 1-D form `[N]`: itself, or an initializer sharing its data under a derived name. */
function oneDimBias(g: Graph, name: string, t: TensorData): string {
  if (t.dims.length === 1) return name;
  const n = t.dims[t.dims.length - 1]!;
  for (let k = 0; ; k++) {
    const cand = k ? `${name}_1d_${k}` : `${name}_1d`;
    const have = g.initializers.get(cand);
    if (have) { if (have.data === t.data && have.dims.length === 1) return cand; continue; }
    if (g.valueInfo.has(cand) || g.inputs.some((v) => v.name === cand) || g.producers().has(cand)) continue;
    g.initializers.set(cand, { type: t.type, dims: [n], data: t.data });
    return cand;
  }
}

/**
 * Reads an Add as the tail of a fusion (without activation):
 * - Conv (or FusedConv without activation and residual) + a non-constant residual of the same
 *   static shape → FusedConv with Z;
 * - MatMul (or FusedMatMul without activation and bias) + a constant bias `[N]` or `[1.., N]` on
 *   the last axis → FusedMatMul with a 1-D bias, or `Gemm` with C when both operands are 2-D.
 */
export function matchAdd(ctx: RewriteCtx, add: Node): FusionBase | undefined {
  if (add.domain !== '' || add.opType !== 'Add' || add.inputs.length !== 2 || !isFloat32(ctx, add.outputs[0]!)) return undefined;
  const g = ctx.graph;
  for (const [main, other] of [[add.inputs[0]!, add.inputs[1]!], [add.inputs[1]!, add.inputs[0]!]] as const) {
    if (main === other) return undefined;
    const base = matchBase(ctx, main);
    if (!base) continue;
    const mainShape = infoOf(g, main)?.shape;
    if (base.opType === 'FusedConv' && !base.inputs[3]) {
      if (constantOf(g, other) || !isFloat32(ctx, other) || !sameShape(mainShape, infoOf(g, other)?.shape)) continue;
      const [x, w, b] = base.inputs;
      return { ...base, inputs: [x!, w!, b ?? '', other] };
    }
    if (base.opType === 'FusedMatMul' && !base.inputs[2]) {
      const bias = constantOf(g, other);
      const n = mainShape?.[mainShape.length - 1];
      if (!bias || bias.type !== 'float32' || typeof n !== 'number' || !mainShape) continue;
      const bd = bias.dims;
      if (bd.length < 1 || bd.length > mainShape.length || bd[bd.length - 1] !== n || bd.slice(0, -1).some((d) => d !== 1)) continue;
      const [a, b] = base.inputs;
      // Gemm broadcasts C without an attribute only from opset 7.
      const twoD = base.anchor.domain === '' && (g.opsetFor('') ?? 0) >= 7
        && infoOf(g, a!)?.shape?.length === 2 && infoOf(g, b!)?.shape?.length === 2;
      if (twoD) return { anchor: base.anchor, opType: 'Gemm', inputs: [a!, b!, other], attrs: [] };
      return { ...base, inputs: [a!, b!, oneDimBias(g, other, bias)] };
    }
  }
  return undefined;
}
