// Row reductions shared by the reduce, softmax and norm kernels (not exported from the module).

/** Reduction codes: sum, max and min (NaN propagates), pmax (a NaN after the first element is skipped). */
export const SUM = 0; export const MAX = 1; export const MIN = 2; export const PMAX = 3;

// @ts-ignore: decorator
@inline export function vop(op: i32, a: v128, b: v128): v128 {
  return op == SUM ? f32x4.add(a, b) : op == MAX ? f32x4.max(a, b) : op == MIN ? f32x4.min(a, b) : f32x4.pmax(a, b);
}

// @ts-ignore: decorator
@inline export function sop(op: i32, a: f32, b: f32): f32 {
  return op == SUM ? a + b : op == MAX ? max<f32>(a, b) : op == MIN ? min<f32>(a, b) : (a < b ? b : a);
}

// @ts-ignore: decorator
@inline export function identity(op: i32): f32 {
  return op == SUM ? 0 : op == MIN ? Infinity : -Infinity;
}

// @ts-ignore: decorator
@inline function hsum(op: i32, v: v128): f32 {
  const a = sop(op, f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1));
  const b = sop(op, f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3));
  return sop(op, a, b);
}

/** Reduces `n` contiguous floats at `p`. */
// @ts-ignore: decorator
@inline export function reduceRow(op: i32, p: usize, n: i32): f32 {
  const id = f32x4.splat(identity(op));
  let v0 = id; let v1 = id; let v2 = id; let v3 = id;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const q = p + (<usize>j << 2);
    v0 = vop(op, v0, v128.load(q)); v1 = vop(op, v1, v128.load(q, 16));
    v2 = vop(op, v2, v128.load(q, 32)); v3 = vop(op, v3, v128.load(q, 48));
  }
  for (; j + 4 <= n; j += 4) v0 = vop(op, v0, v128.load(p + (<usize>j << 2)));
  let acc = hsum(op, vop(op, vop(op, v0, v1), vop(op, v2, v3)));
  for (; j < n; j++) acc = sop(op, acc, load<f32>(p + (<usize>j << 2)));
  return acc;
}
