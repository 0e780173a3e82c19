// 2-D pooling over NCHW planes (1-D pools run as H = 1): max, and average with or without the
// padding in the divisor. Window geometry comes from the caller as per-axis tap tables, so
// padding, strides, dilations and ceil mode are all resolved before the kernel runs.

const MAX = 0; const AVG = 1; const AVG_INCLUDE_PAD = 2;

// Max uses pmax (acc < v ? v : acc): one instruction on x86, and like the reference a NaN that
// is not the first element of a window is skipped.
// @ts-ignore: decorator
@inline function combine(mode: i32, acc: v128, v: v128): v128 {
  return mode == MAX ? f32x4.pmax(acc, v) : f32x4.add(acc, v);
}

/** One output element through the tap tables (borders, odd strides). */
// @ts-ignore: decorator
@inline function poolOne(mode: i32, xp: usize, W: i32, hs: i32, hc: i32, hp: i32, dh: i32,
  ws: i32, wc: i32, wp: i32, dw: i32): f32 {
  let acc: f32 = mode == MAX ? -Infinity : 0;
  for (let ky = 0; ky < hc; ky++) {
    const row = xp + (<usize>((hs + ky * dh) * W + ws) << 2);
    for (let kx = 0; kx < wc; kx++) {
      const v = load<f32>(row + (<usize>(kx * dw) << 2));
      acc = mode == MAX ? (acc < v ? v : acc) : acc + v;
    }
  }
  if (mode == MAX) return acc;
  const div = mode == AVG ? hc * wc : hp * wp;
  return div > 0 ? acc / <f32>div : NaN;
}

// @ts-ignore: decorator
@inline function poolPlanes(mode: i32, x: usize, out: usize, H: i32, W: i32, OH: i32, OW: i32,
  tabH: usize, tabW: usize, dh: i32, dw: i32, sw: i32, kw: i32, owLo: i32, owHi: i32, start: i32, end: i32): void {
  const init = f32x4.splat(mode == MAX ? -Infinity : 0);
  for (let p = start; p < end; p++) {
    const xp = x + (<usize>p * <usize>(H * W) << 2);
    let op = out + (<usize>p * <usize>(OH * OW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const th = tabH + (<usize>(oh * 3) << 2);
      const hs = load<i32>(th); const hc = load<i32>(th, 4); const hp = load<i32>(th, 8);
      const hdiv = mode == AVG ? hc : hp;
      let ow = 0;
      while (ow < OW) {
        const tw = tabW + (<usize>(ow * 3) << 2);
        const ws = load<i32>(tw);
        // Four interior outputs at once for strides 1 and 2 (the stride-2 loads stay inside the row).
        if (ow >= owLo && ow + 4 <= owHi && (sw == 1 || (sw == 2 && ws + 7 + (kw - 1) * dw < W))) {
          let acc = init;
          for (let ky = 0; ky < hc; ky++) {
            const row = xp + (<usize>((hs + ky * dh) * W + ws) << 2);
            for (let kx = 0; kx < kw; kx++) {
              const at = row + (<usize>(kx * dw) << 2);
              const v = sw == 1 ? v128.load(at) : v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
              acc = combine(mode, acc, v);
            }
          }
          if (mode != MAX) {
            const div = hdiv * kw;
            acc = div > 0 ? f32x4.div(acc, f32x4.splat(<f32>div)) : f32x4.splat(NaN);
          }
          v128.store(op, acc);
          op += 16; ow += 4;
          continue;
        }
        store<f32>(op, poolOne(mode, xp, W, hs, hc, hp, dh, ws, load<i32>(tw, 4), load<i32>(tw, 8), dw));
        op += 4; ow++;
      }
    }
  }
}

/**
 * Pools planes [start, end) of X (each H×W) into Y (each OH×OW). `tabH`/`tabW` hold, per output
 * row/column, three int32: the first in-bounds input index of its window, the number of in-bounds
 * taps (spaced by the dilation dh/dw), and the number of taps inside input plus padding (the
 * count_include_pad divisor). Columns [owLo, owHi) have full windows starting at ow·sw - padW.
 * `mode`: 0 max, 1 average over in-bounds taps, 2 average counting the padding.
 */
export function pool2d_f32(mode: i32, x: usize, out: usize, H: i32, W: i32, OH: i32, OW: i32,
  tabH: usize, tabW: usize, dh: i32, dw: i32, sw: i32, kw: i32, owLo: i32, owHi: i32, start: i32, end: i32): void {
  if (mode == MAX) poolPlanes(MAX, x, out, H, W, OH, OW, tabH, tabW, dh, dw, sw, kw, owLo, owHi, start, end);
  else if (mode == AVG) poolPlanes(AVG, x, out, H, W, OH, OW, tabH, tabW, dh, dw, sw, kw, owLo, owHi, start, end);
  else poolPlanes(AVG_INCLUDE_PAD, x, out, H, W, OH, OW, tabH, tabW, dh, dw, sw, kw, owLo, owHi, start, end);
}
