// Concat as strided row copies: the output viewed as [outer, total·inner], each input as
// [outer, d_i·inner] copied into its column block.

/**
 * Strided row copy: rows [start, end) of `len` floats from src + row·srcStride to
 * dst + row·dstStride (strides in floats). Concat runs it once per input.
 */
export function copy_rows_f32(src: usize, dst: usize, len: i32, srcStride: i32, dstStride: i32, start: i32, end: i32): void {
  const bytes = <usize>len << 2;
  for (let r = start; r < end; r++) {
    memory.copy(dst + (<usize>r * <usize>dstStride << 2), src + (<usize>r * <usize>srcStride << 2), bytes);
  }
}
