/**
 * The pass manager: graph rewrites as rule tables indexed by op type, composed into pipelines per
 * optimization level, with the IR verifier run after each pass when asked (tests do).
 * Source: tinygrad `PatternMatcher`; XNNPACK `src/subgraph/rewrites/`.
 * @module
 */
import { verifyGraph, type Graph, type Node } from '../ir/graph.js';

/**
 * Asks whether `replacement` (a fused or rewritten node) may stand in for `original`: true when the
 * backend that would run `original` also runs `replacement`. Fusions consult it so that a backend
 * that cannot run a fused node keeps the unfused form. Source: TFLite delegate capability queries.
 */
export type ReplacementOracle = (replacement: Node, original: Node) => boolean;

/** A tensor layout for image ops: channels first (ONNX's) or channels last. */
export type ImageLayout = 'NCHW' | 'NHWC';

/** Services passes may use, supplied by whoever runs the pipeline (the session, a test, the CLI). */
export interface PassContext {
  /** Capability oracle for fusions; default: every replacement is accepted. */
  readonly canReplace: ReplacementOracle;
  /**
   * The layout preferred for `node` (a Conv) by the backend that would run it; default NCHW
   * everywhere (the layout pass then changes nothing).
   */
  readonly preferredLayout?: (node: Node) => ImageLayout;
}

/** The context used when none is given: all replacements accepted. */
export const ACCEPT_ALL: PassContext = { canReplace: () => true };

/** What a rule sees: the graph, the node, and use counts of values. */
export interface RewriteCtx {
  readonly graph: Graph;
  /** Capability oracle: may the rule's replacement run where the original would? */
  readonly canReplace: ReplacementOracle;
  /** Number of node inputs (including subgraph captures) reading each value. */
  readonly uses: ReadonlyMap<string, number>;
  /** Names of graph outputs (must keep their names). */
  readonly outputs: ReadonlySet<string>;
}

/**
 * A rewrite rule for one op type. Returns `undefined` to leave the node, or the nodes replacing
 * it plus value renames (`from` → `to`) to apply to every later reader.
 */
export interface RewriteRule {
  readonly opType: string;
  readonly domain?: string;
  readonly name: string;
  readonly apply: (node: Node, ctx: RewriteCtx) => { replace: Node[]; rename?: [string, string][] } | undefined;
}

/** A whole-graph pass. */
export interface GraphPass {
  readonly name: string;
  /** Rewrites `g` in place; returns true when anything changed. */
  readonly run: (g: Graph, pc?: PassContext) => boolean;
}

/** Counts readers of each value (node inputs, subgraph captures are counted as readers too). */
export function useCounts(g: Graph): Map<string, number> {
  const uses = new Map<string, number>();
  const visit = (gr: Graph) => {
    for (const n of gr.nodes) {
      for (const i of n.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
      for (const a of n.attributes.values()) {
        const gs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
        for (const sg of gs) { visit(sg); for (const o of sg.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1); }
      }
    }
  };
  visit(g);
  return uses;
}

/**
 * Builds a pass that applies `rules` (indexed by op type) to every top-level node once.
 * Renames are applied to later node inputs; subgraph captures of a renamed value keep working
 * because rules only rename values that no subgraph reads.
 */
export function ruleSetPass(name: string, rules: readonly RewriteRule[]): GraphPass {
  const byOp = new Map<string, RewriteRule[]>();
  for (const r of rules) (byOp.get(`${r.domain ?? ''}::${r.opType}`) ?? byOp.set(`${r.domain ?? ''}::${r.opType}`, []).get(`${r.domain ?? ''}::${r.opType}`)!).push(r);
  return {
    name,
    run(g, pc = ACCEPT_ALL) {
      const ctx: RewriteCtx = {
        graph: g, uses: useCounts(g), outputs: new Set(g.outputs.map((o) => o.name)), canReplace: pc.canReplace,
      };
      const rename = new Map<string, string>();
      const out: Node[] = [];
      let changed = false;
      for (const n of g.nodes) {
        // Renamed in place: nodes are keyed by identity elsewhere (schemas, placements).
        if (rename.size) n.inputs = n.inputs.map((i) => rename.get(i) ?? i);
        let res: ReturnType<RewriteRule['apply']>;
        for (const r of byOp.get(`${n.domain}::${n.opType}`) ?? []) { res = r.apply(n, ctx); if (res) break; }
        if (!res) { out.push(n); continue; }
        changed = true;
        out.push(...res.replace);
        for (const [from, to] of res.rename ?? []) rename.set(from, rename.get(to) ?? to);
      }
      g.nodes = out;
      return changed;
    },
  };
}

/** Options of {@link runPasses}. */
export interface RunPassesOptions {
  /** Run the IR verifier after every pass that changed the graph (tests); default false. */
  verify?: boolean;
  /** Most rounds of the whole pipeline (default 4). */
  maxRounds?: number;
  /** Services for the passes (capability oracle). */
  context?: PassContext;
  /**
   * Called after every pass that changed the graph, before the next one runs: the pipeline uses
   * it to re-run shape inference so later rules see shapes of new values.
   */
  afterPass?: (g: Graph) => void;
}

/**
 * Runs passes in order, repeating the pipeline until nothing changes (at most `maxRounds`).
 * @returns the names of passes that changed the graph, in order (repeats included)
 * @throws OptiflowError `invalid_model` from the verifier when `verify` is set and a pass broke the graph.
 */
export function runPasses(g: Graph, passes: readonly GraphPass[], o: RunPassesOptions = {}): string[] {
  const applied: string[] = [];
  for (let round = 0; round < (o.maxRounds ?? 4); round++) {
    let any = false;
    for (const p of passes) {
      if (!p.run(g, o.context ?? ACCEPT_ALL)) continue;
      any = true; applied.push(p.name);
      if (o.verify) verifyGraph(g);
      o.afterPass?.(g);
    }
    if (!any) break;
  }
  return applied;
}
