import assert from 'node:assert/strict';
import test from 'node:test';
import type { TensorData } from '../../../ir/tensor-data.js';
import { comparePattern } from './pattern-harness.js';
import { randomF32, rng } from './shape-harness.js';

const r = rng(23);

/** Q, K, V of [B, H, S, D] / [B, Hk, T, D] / [B, Hk, T, Dv]. */
function qkv(b: number, h: number, s: number, d: number, hk = h, t = s, dv = d): TensorData[] {
  return [randomF32(r, [b, h, s, d]), randomF32(r, [b, hk, t, d]), randomF32(r, [b, hk, t, dv])];
}

/** A bool tensor of `dims` with about `p` of its elements true (row 0 of the last dim kept true). */
function boolMask(dims: number[], p: number): TensorData {
  const n = dims.reduce((a, x) => a * x, 1);
  const last = dims[dims.length - 1]!;
  const data = Uint8Array.from({ length: n }, (_, i) => (i % last === 0 || r() < p ? 1 : 0));
  return { type: 'bool', dims, data };
}

test('optiflow::Attention without mask, odd sizes and BERT sizes', async () => {
  for (const [b, h, s, d, t, dv] of [[1, 1, 1, 1, 1, 1], [2, 3, 5, 7, 9, 4], [1, 4, 128, 64, 128, 64], [3, 2, 13, 16, 31, 17]] as const) {
    await comparePattern({ op: 'Attention', inputs: qkv(b, h, s, d, h, t, dv) });
  }
});

test('optiflow::Attention with explicit scale and additive masks of every broadcast', async () => {
  const [b, h, s, t] = [2, 3, 7, 11];
  const masks = [[t], [s, t], [b, 1, 1, t], [1, h, s, t], [b, h, s, t], [b, 1, s, t], [1, 1, t]];
  for (const md of masks) {
    await comparePattern({ op: 'Attention', inputs: [...qkv(b, h, s, 5, h, t, 6), randomF32(r, md, -3, 1)], attrs: { scale: 0.3 } });
  }
  // A constant mask (initializer) and a mask with -10000 entries (BERT's padding mask).
  const pad = randomF32(r, [b, 1, 1, t]);
  (pad.data as Float32Array).forEach((_, i, a) => { a[i] = i % t > 7 ? -10000 : 0; });
  await comparePattern({ op: 'Attention', inputs: [...qkv(b, h, s, 8, h, t), pad], constants: [3] });
});

test('optiflow::Attention with a single key, a bool mask and K/V heads shared by every query head', async () => {
  await comparePattern({ op: 'Attention', inputs: [...qkv(2, 2, 6, 4, 2, 1), randomF32(r, [2, 1, 6, 1])] });
  await comparePattern({ op: 'Attention', inputs: [...qkv(2, 3, 5, 4, 3, 9), boolMask([2, 1, 5, 9], 0.5)] });
  await comparePattern({ op: 'Attention', inputs: qkv(2, 4, 5, 8, 1, 6) });
});

test('optiflow::Attention over many keys runs query rows in blocks (per-row mask offsets)', async () => {
  await comparePattern({ op: 'Attention', inputs: [...qkv(1, 2, 20, 8, 2, 5000, 4), randomF32(r, [1, 1, 20, 5000], -2, 0)] });
});

test('optiflow::Attention: a fully masked row gives NaN as the reference does', async () => {
  const mask = randomF32(r, [1, 1, 3, 4]);
  (mask.data as Float32Array).fill(-Infinity, 4, 8);
  const y = await comparePattern({ op: 'Attention', inputs: [...qkv(1, 2, 3, 4, 2, 4), mask] });
  assert.ok(Number.isNaN((y.data as Float32Array)[4]));
});

test('standard Attention (opset 23) on 4-D inputs: masks, grouped-query heads, padding of a short mask', async () => {
  const opset = 23;
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: qkv(2, 3, 5, 8, 3, 7) });
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: [...qkv(1, 4, 6, 4, 2, 5, 3), randomF32(r, [1, 4, 6, 5])], attrs: { scale: 0.7 } });
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: [...qkv(2, 2, 4, 4, 2, 6), boolMask([2, 1, 4, 6], 0.4)] });
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: [...qkv(1, 2, 4, 4, 2, 6), randomF32(r, [4, 3])] });
  const full = randomF32(r, [1, 1, 2, 3]);
  (full.data as Float32Array).fill(-Infinity, 0, 3); // row 0 fully masked: zeros
  const y = await comparePattern({ op: 'Attention', domain: '', opset, inputs: [...qkv(1, 1, 2, 4, 1, 3), full] });
  assert.deepEqual([...(y.data as Float32Array).subarray(0, 4)], [0, 0, 0, 0]);
});

test('standard Attention with is_causal, alone and with masks, S = T and S != T', async () => {
  const opset = 23;
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: qkv(2, 2, 6, 4), attrs: { is_causal: 1 } });
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: qkv(1, 3, 5, 4, 3, 8), attrs: { is_causal: 1 } });
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: [...qkv(2, 2, 5, 4, 2, 7), randomF32(r, [2, 1, 1, 7])], attrs: { is_causal: 1 } });
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: [...qkv(1, 2, 4, 4, 1, 4), boolMask([4, 4], 0.5)], attrs: { is_causal: 1 } });
});

test('standard Attention declines what it does not run (3-D, softcap, KV cache)', async () => {
  const opset = 23;
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: qkv(1, 2, 4, 4), attrs: { softcap: 2 } }, { on: 'js' });
  const q3 = randomF32(r, [1, 4, 8]); const k3 = randomF32(r, [1, 5, 8]); const v3 = randomF32(r, [1, 5, 8]);
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: [q3, k3, v3], attrs: { q_num_heads: 2, kv_num_heads: 2 } }, { on: 'js' });
  await comparePattern({ op: 'Attention', domain: '', opset, inputs: [...qkv(1, 2, 4, 4), undefined, randomF32(r, [1, 2, 3, 4]), randomF32(r, [1, 2, 3, 4])] }, { on: 'js' });
});
