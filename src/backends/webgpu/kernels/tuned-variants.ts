/**
 * Tuning keys and tuned pipelines for kernels whose shapes are symbolic at session creation
 * (a batch dim `N`, a sequence length): the tuning cache is keyed by the concrete problem shape,
 * so `optiflow bench --tune` tunes at the shapes it ran (or with symbolic dims bound to 1) and a
 * later session looks its winners up per dispatch, on the concrete shapes of that run.
 *
 * Pipeline creation stays async (never blocks a page): at creation a kernel builds the pipeline of
 * the tuned choice for its shapes with symbolic dims bound to 1 (the batch-1 case); a dispatch at
 * another shape whose tuned choice has no pipeline yet starts creating it and uses the current
 * one, so the winner applies from the next run on.
 * @module
 */
import type { InputInfo } from '../../../ops/schema.js';
import type { GpuCreateCtx } from '../kernel.js';

/** A shape with its symbolic (or unknown) dims bound to 1. */
export function boundShape(s: readonly (number | string)[] | undefined): number[] | undefined {
  return s?.map((d) => (typeof d === 'number' ? d : 1));
}

/** Whether some input's static shape is symbolic or unknown. */
export function hasSymbolicInput(ctx: GpuCreateCtx<unknown>): boolean {
  return ctx.inputs.some((i, k) => !!ctx.node.inputs[k] && (!i?.shape || i.shape.some((d) => typeof d !== 'number')));
}

/**
 * Concrete input dims of a node: `dims[k]` when given (the last run's), else the static shape
 * with symbolic dims bound to 1; `undefined` for omitted inputs and unknown ranks.
 */
export function concreteInputDims(ctx: GpuCreateCtx<unknown>, dims?: readonly (readonly number[] | undefined)[]): (number[] | undefined)[] {
  return ctx.inputs.map((i, k) => (!ctx.node.inputs[k] ? undefined : dims?.[k] ? [...dims[k]!] : boundShape(i?.shape)));
}

/** Static input infos with the given concrete dims (values of constants kept). */
export function concreteInputInfos(ctx: GpuCreateCtx<unknown>, dims: readonly (readonly number[] | undefined)[]): (InputInfo | undefined)[] {
  return ctx.inputs.map((i, k) => (i && dims[k] ? { ...i, shape: [...dims[k]!] } : i));
}

/** The shape part of a tuning key: dims joined by `x`, inputs by `,`, `-` for none. */
export function shapesKey(dims: readonly (readonly number[] | undefined)[]): string {
  return dims.map((d) => (d ? d.join('x') : '-')).join(',');
}

/**
 * Pipelines of one kernel by tuned choice. `pick(key)` returns the pipeline for the tuned choice of
 * `key`, or the default one while that choice's pipeline is still being created (or is invalid).
 */
export class TunedVariants<P> {
  private readonly made = new Map<string, P>();
  private readonly pending = new Set<string>();
  private readonly fallback: P;

  /**
   * @param first the pipeline created at session creation and its choice
   * @param create creates the pipeline of a choice (async API)
   * @param valid whether a cached choice is usable
   */
  constructor(private readonly ctx: GpuCreateCtx<unknown>, first: { choice: readonly number[]; pipeline: P },
    private readonly create: (choice: readonly number[]) => Promise<P>, private readonly valid: (c: readonly number[]) => boolean) {
    this.fallback = first.pipeline;
    this.made.set(first.choice.join('x'), first.pipeline);
  }

  /** The pipeline for the tuned choice of `key` (see the class comment); never throws. */
  pick(key: string): P {
    const c = this.ctx.tuned(key);
    if (!c || !this.valid(c)) return this.fallback;
    const id = c.join('x');
    const p = this.made.get(id);
    if (p) return p;
    if (!this.pending.has(id)) {
      this.pending.add(id);
      this.create(c).then((q) => { this.made.set(id, q); }, () => undefined);
    }
    return this.fallback;
  }

  /** Choices with a created pipeline (for tests and tools). */
  choices(): string[] {
    return [...this.made.keys()];
  }
}
