// Transpose of float32 tensors with coalesced dims (rank <= 8). `meta` holds int32 values:
// [0, r) the output dims, [r, 2r) the input element stride of each output dim. When the last
// output dim is contiguous in the input, rows are copied; otherwise the output dim that is
// contiguous in the input (p) and the last output dim (q) are walked in 4×4 SIMD tiles,
// 16 p at a time so that each input read covers a cache line.

// @ts-ignore: decorator
@inline function dim(meta: usize, i: i32): i32 { return load<i32>(meta + (<usize>i << 2)); }

/**
 * Copies output rows [start, end) (each the last output dim long) when that dim has input
 * stride 1.
 */
function transposeRows(x: usize, out: usize, meta: usize, r: i32, start: i32, end: i32): void {
  const L = dim(meta, r - 1);
  const bytes = <usize>L << 2;
  for (let u = start; u < end; u++) {
    let rest = u; let off = 0;
    for (let d = r - 2; d >= 0; d--) {
      const n = dim(meta, d);
      const i = rest % n; rest /= n;
      off += i * dim(meta, r + d);
    }
    memory.copy(out + <usize>u * bytes, x + (<usize>off << 2), bytes);
  }
}

// @ts-ignore: decorator
@inline function tile4(src: usize, sq: usize, dst: usize, op: usize): void {
  const r0 = v128.load(src); const r1 = v128.load(src + sq);
  const r2 = v128.load(src + 2 * sq); const r3 = v128.load(src + 3 * sq);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + op, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * op, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * op, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Tiles: unit u = (other dims index)·ceil(P/16) + p-block. */
function transposeTiles(x: usize, out: usize, meta: usize, r: i32, p: i32, start: i32, end: i32): void {
  const q = r - 1;
  const P = dim(meta, p); const Q = dim(meta, q);
  const sq = dim(meta, r + q);
  // Output element strides.
  let op = 1;
  for (let d = r - 1; d > p; d--) op *= dim(meta, d);
  const PB = (P + 15) >> 4;
  const sqB = <usize>sq << 2; const opB = <usize>op << 2;
  for (let u = start; u < end; u++) {
    let rest = u / PB; const pb = u - (u / PB) * PB;
    let inOff = 0; let outOff = 0; let ostride = 1;
    for (let d = r - 1; d >= 0; d--) {
      const n = dim(meta, d);
      if (d != p && d != q) {
        const i = rest % n; rest /= n;
        inOff += i * dim(meta, r + d);
        outOff += i * ostride;
      }
      ostride *= n;
    }
    const p0 = pb << 4; const p1 = min(P, p0 + 16);
    const p4 = p0 + ((p1 - p0) & ~3);
    const src = x + (<usize>inOff << 2); const dst = out + (<usize>outOff << 2);
    let qq = 0;
    for (; qq + 4 <= Q; qq += 4) {
      for (let pp = p0; pp < p4; pp += 4) {
        tile4(src + <usize>qq * sqB + (<usize>pp << 2), sqB, dst + <usize>pp * opB + (<usize>qq << 2), opB);
      }
      for (let pp = p4; pp < p1; pp++) {
        for (let j = 0; j < 4; j++) {
          store<f32>(dst + <usize>pp * opB + (<usize>(qq + j) << 2), load<f32>(src + <usize>(qq + j) * sqB + (<usize>pp << 2)));
        }
      }
    }
    for (; qq < Q; qq++) {
      for (let pp = p0; pp < p1; pp++) {
        store<f32>(dst + <usize>pp * opB + (<usize>qq << 2), load<f32>(src + <usize>qq * sqB + (<usize>pp << 2)));
      }
    }
  }
}

/**
 * Transposes X into Y as described by `meta` (rank `r`). `p` < 0: the last output dim has input
 * stride 1 and [start, end) ranges over output rows; otherwise `p` is the output dim with input
 * stride 1 and [start, end) ranges over (product of the other dims but p and the last) ·
 * ceil(dims[p] / 16) tiles.
 */
export function transpose_f32(x: usize, out: usize, meta: usize, r: i32, p: i32, start: i32, end: i32): void {
  if (p < 0) transposeRows(x, out, meta, r, start, end);
  else transposeTiles(x, out, meta, r, p, start, end);
}
