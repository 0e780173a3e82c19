// The interpreter of optiflow::FusedElementwise programs: a compiled list of steps run over the
// output in chunks of CH elements, each step one SIMD loop over the chunk (the unary and binary
// loops of eltwise.ts), with temporaries in a per-slot workspace that stays in cache. Operands that repeat (scalars, per-channel values) are passed
// as one value and broadcast inside the loop; a step whose operands are all such values computes
// one element. Layouts are shared with src/backends/wasm/kernels/fused-eltwise.ts.
//
// Source: ONNX operator spec for each op; chunked evaluation as in XNNPACK's fused elementwise
// microkernels.
import { binary_f32, unary_f32 } from './eltwise';

/** Elements per chunk: a few temporaries of CH floats stay in L1. */
const CH: i32 = 512;

// Step kinds: a `unary_f32` op (Clip's bounds as parameters) or a `binary_f32` op.
const K_UNARY = 0; const K_BINARY = 1;

/** Int32 words per operand descriptor: base, C, inner, cs, is. */
const OPND = 5;
/** Int32 words per step: kind, code, a, b, dst, p0 (f32 bits), p1 (f32 bits). */
const STEP = 7;

/** Elements per chunk of {@link fused_eltwise_f32} (the JavaScript side sizes workspaces with it). */
export function fused_eltwise_chunk(): i32 { return CH; }

// @ts-ignore: decorator
@inline function word(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }

/**
 * Points operand `o` at its values for output elements [s, s + len): element i of the output
 * reads base[((i / inner) mod C)·cs + (i mod inner)·is]. Sets cur[o] = (pointer, advance 0/1),
 * gathering into `buf` when the chunk crosses a repeat boundary.
 */
function resolve(d: usize, cur: usize, buf: usize, s: i32, len: i32): void {
  const base = <usize>word(d, 0); const C = word(d, 1); const inner = word(d, 2);
  const cs = word(d, 3); const is = word(d, 4);
  let q = s / inner; let r = s - q * inner;
  if (r + len <= inner) {
    store<i32>(cur, <i32>(base + (<usize>((q % C) * cs + r * is) << 2)));
    store<i32>(cur, is, 4);
    return;
  }
  let w = 0;
  while (w < len) {
    const take = min(inner - r, len - w);
    const src = base + (<usize>((q % C) * cs) << 2);
    const dst = buf + (<usize>w << 2);
    if (is) memory.copy(dst, src + (<usize>r << 2), <usize>take << 2);
    else {
      const v = v128.load32_splat(src);
      let j = 0;
      for (; j + 4 <= take; j += 4) v128.store(dst + (<usize>j << 2), v);
      for (; j < take; j++) store<f32>(dst + (<usize>j << 2), f32x4.extract_lane(v, 0));
    }
    w += take; r = 0; q++;
  }
  store<i32>(cur, <i32>buf);
  store<i32>(cur, 1, 4);
}

/** Fills `n` floats at p with the float at v. */
function fill(p: usize, v: usize, n: i32): void {
  const x = v128.load32_splat(v);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(p + (<usize>j << 2), x);
  for (; j < n; j++) store<f32>(p + (<usize>j << 2), f32x4.extract_lane(x, 0));
}

/**
 * Runs a program over output elements: slot u of [start, end) covers [u·slotLen, (u+1)·slotLen)
 * of the `n` outputs at `out`, with workspace at ws + u·wsBytes (see the JavaScript side for its
 * size). `opnds`: `nops` operand descriptors (inputs and literals first, then one per step, whose
 * base is ignored); `prog`: `nsteps` steps, the last writing the output.
 */
export function fused_eltwise_f32(prog: usize, nsteps: i32, opnds: usize, nops: i32, nfixed: i32, out: usize, n: i32,
  slotLen: i32, ws: usize, wsBytes: i32, start: i32, end: i32): void {
  for (let u = start; u < end; u++) {
    const cur = ws + <usize>u * <usize>wsBytes;
    const bufs = cur + (<usize>((nops * 2 + 15) & ~15) << 2);
    const s0 = u * slotLen; const s1 = min(n, s0 + slotLen);
    for (let s = s0; s < s1; s += CH) {
      const len = min(CH, s1 - s);
      for (let o = 0; o < nfixed; o++) {
        resolve(opnds + (<usize>(o * OPND) << 2), cur + (<usize>o << 3), bufs + (<usize>o * CH << 2), s, len);
      }
      for (let k = 0; k < nsteps; k++) {
        const st = prog + (<usize>(k * STEP) << 2);
        const kind = word(st, 0); const code = word(st, 1);
        const a = word(st, 2); const dst = word(st, 4);
        const pa = <usize>load<i32>(cur + (<usize>a << 3)); const ia = load<i32>(cur + (<usize>a << 3), 4);
        let pb: usize = 0; let ib = 0;
        if (kind == K_BINARY) {
          const b = word(st, 3);
          pb = <usize>load<i32>(cur + (<usize>b << 3)); ib = load<i32>(cur + (<usize>b << 3), 4);
        }
        const inc = ia | ib;
        const m = inc ? len : 1;
        const isLast = k == nsteps - 1;
        const po = isLast && inc ? out + (<usize>s << 2) : bufs + (<usize>dst * CH << 2);
        if (kind == K_UNARY) unary_f32(code, pa, po, reinterpret<f32>(word(st, 5)), reinterpret<f32>(word(st, 6)), 0, m);
        else binary_f32(code, pa, pb, po, 1, 1, m, 0, 0, 0, ia, 0, 0, 0, ib, 0, m);
        if (isLast && !inc) fill(out + (<usize>s << 2), po, len);
        store<i32>(cur + (<usize>dst << 3), <i32>po);
        store<i32>(cur + (<usize>dst << 3), inc, 4);
      }
    }
  }
}
