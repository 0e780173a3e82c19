/**
 * Naming and constant sharing for the tensors and nodes a quantizer adds to a graph.
 *
 * Compact output: on a small model the names of inserted tensors dominate the file (mnist-8 holds
 * 5,960 weights; names such as `Pooling160_Output_0_reshape0_q`, written once where produced and
 * once per reader, cost more than its int8 weights save). So inserted tensors and nodes get short
 * generated names (a role letter and a base-36 counter: `s0` a scale, `z0` a zero point, `w0` int8
 * weights, `q0` a quantized activation, `d0` a dequantized one, `t0` another intermediate, `n0` a
 * node), and identical constants are stored once ({@link ConstantPool}: e.g. one uint8 zero point
 * read by every QuantizeLinear/DequantizeLinear pair of zero point 0). What the quantizers never
 * rename: graph inputs and outputs, the tensors of the float model (every float tensor keeps its
 * name, which `compareLayers` matches by), original initializers that stay, and the names of
 * original nodes (`--exclude` lists and reports use them).
 * @module
 */
import { createHash } from 'node:crypto';
import type { Graph } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';

/** Every tensor and node name used in `g` and its subgraphs (ONNX names are unique across scopes). */
function collectNames(g: Graph, used: Set<string>): void {
  for (const v of [...g.inputs, ...g.outputs]) used.add(v.name);
  for (const k of g.initializers.keys()) used.add(k);
  for (const n of g.nodes) {
    used.add(n.name);
    for (const o of n.outputs) used.add(o);
    for (const a of n.attributes.values()) {
      if (a.type === 'graph') collectNames(a.value, used);
      else if (a.type === 'graphs') for (const s of a.value) collectNames(s, used);
    }
  }
}

/** The short names {@link Namer.short} gave out, per graph. */
const GENERATED = new WeakMap<Graph, Set<string>>();

/** The names {@link Namer.short} generated for `g` (by any namer over it). */
export function generatedNames(g: Graph): ReadonlySet<string> { return GENERATED.get(g) ?? new Set(); }

/** Unique-name source over everything already named in a graph (subgraphs included). */
export class Namer {
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly generated: Set<string>;
  constructor(g: Graph) {
    collectNames(g, this.used);
    let set = GENERATED.get(g);
    if (!set) { set = new Set(); GENERATED.set(g, set); }
    this.generated = set;
  }
  /** `base`, or `base_1`, `base_2`, ... the first unused. */
  fresh(base: string): string {
    let name = base; let i = 1;
    while (this.used.has(name)) name = `${base}_${i++}`;
    this.used.add(name);
    return name;
  }
  /**
   * A short generated name: `role` followed by a base-36 counter kept per role (`s0`, `s1`, ...,
   * `sa`, ...), the first unused.
   * @param role a short prefix naming what the tensor or node is (see the module comment)
   */
  short(role: string): string {
    let k = this.counters.get(role) ?? 0;
    let name = `${role}${k.toString(36)}`;
    while (this.used.has(name)) name = `${role}${(++k).toString(36)}`;
    this.counters.set(role, k + 1);
    this.used.add(name);
    this.generated.add(name);
    return name;
  }
}

/** The bytes of a tensor's data (strings as JSON). */
function bytesOf(t: TensorData): Uint8Array {
  const d = t.data;
  return ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new TextEncoder().encode(JSON.stringify(d));
}

/** The content key of a tensor: dtype, dims and a SHA-256 of its bytes (equality is then checked byte by byte). */
function contentKey(t: TensorData): string {
  return `${t.type}|${t.dims.join(',')}|${createHash('sha256').update(bytesOf(t)).digest('base64')}`;
}

/**
 * Initializers added by a quantizer, stored once per distinct content (dtype, dims and bytes):
 * asking twice for equal data (a zero point 0 of every activation, the per-channel zero points of
 * two Convs with the same channel count, two equal activation scales) returns the same name.
 * Sharing a constant does not change any value: every reader reads the same bytes it would have.
 */
export class ConstantPool {
  private readonly byKey = new Map<string, string>();
  constructor(private readonly g: Graph, private readonly namer: Namer) {}
  /**
   * The name of an initializer holding `t`, added under a fresh short name (`role` prefix) unless
   * this pool already added an equal one.
   */
  add(t: TensorData, role: string): string {
    const key = contentKey(t);
    const hit = this.byKey.get(key);
    const old = hit !== undefined ? this.g.initializers.get(hit) : undefined;
    if (hit !== undefined && old && Buffer.from(bytesOf(old)).equals(bytesOf(t))) return hit;
    const name = this.namer.short(role);
    this.g.initializers.set(name, t);
    this.byKey.set(key, name);
    return name;
  }
}

/** Rewrites every node input named in `map` (subgraphs included: they may read outer tensors). */
function renameInputs(g: Graph, map: ReadonlyMap<string, string>): void {
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((i) => map.get(i) ?? i);
    for (const a of n.attributes.values()) {
      if (a.type === 'graph') renameInputs(a.value, map);
      else if (a.type === 'graphs') for (const s of a.value) renameInputs(s, map);
    }
  }
}

/**
 * Gives a short generated name (`c` role) to every initializer of `g` whose name is not in `keep`
 * and that is not a graph input or output, rewriting its readers (subgraphs included).
 * @returns the number of initializers renamed
 */
export function shortenInitializerNames(g: Graph, keep: ReadonlySet<string>, namer: Namer): number {
  const io = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  const map = new Map<string, string>();
  for (const k of g.initializers.keys()) if (!keep.has(k) && !io.has(k)) map.set(k, namer.short('c'));
  if (map.size === 0) return 0;
  g.initializers = new Map([...g.initializers].map(([k, t]) => [map.get(k) ?? k, t]));
  renameInputs(g, map);
  for (const [from, to] of map) {
    const vi = g.valueInfo.get(from);
    if (vi) { g.valueInfo.delete(from); g.valueInfo.set(to, { ...vi, name: to }); }
  }
  return map.size;
}
