// Gather of float32 rows by int32 indices (embedding lookups and any axis).

/**
 * Gather along one axis of data viewed as [A, V, K] with N int32 indices (already in [0, V)):
 * output units u = a·N + j in [start, end), each copying K floats of row idx[j].
 */
export function gather_f32(data: usize, idx: usize, out: usize, V: i32, N: i32, K: i32, start: i32, end: i32): void {
  const bytes = <usize>K << 2;
  for (let u = start; u < end; u++) {
    const a = u / N; const j = u - a * N;
    const row = <usize>a * <usize>V + <usize>load<i32>(idx + (<usize>j << 2));
    memory.copy(out + <usize>u * bytes, data + row * bytes, bytes);
  }
}
