// Memory copies used by the runtime (inputs into wasm memory, layout-preserving ops).

/** Copies `n` float32 values from `src` to `dst` (byte pointers), over [start, end) of `n`. */
export function copy_f32(src: usize, dst: usize, start: i32, end: i32): void {
  memory.copy(dst + (<usize>start << 2), src + (<usize>start << 2), <usize>(end - start) << 2);
}
