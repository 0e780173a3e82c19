import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkVsJs, i64, randDims, randF32, randI32, randInt, rng } from './b-test-util.js';

/** A random permutation of `0..n-1`. */
function perm(r: () => number, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = randInt(r, 0, i); [p[i], p[j]] = [p[j]!, p[i]!]; }
  return p;
}

test('Transpose matches js for random permutations (float32, int32), default perm', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(31);
  for (let k = 0; k < 6; k++) {
    const d = randDims(r, 1, 6, 4);
    await checkVsJs('Transpose', [k % 2 ? randI32(r, d) : randF32(r, d)], { perm: perm(r, d.length) }, { opset: 13 });
  }
  await checkVsJs('Transpose', [randF32(r, [2, 3, 4])], {}, { opset: 13 }, 'reversed');
});

test('Concat and Split match js on every axis (negative too), opset forms', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(32);
  for (let k = 0; k < 4; k++) {
    const d = randDims(r, 1, 4);
    const axis = randInt(r, -d.length, d.length - 1);
    const a = (axis + d.length) % d.length;
    const parts = [1, 2, 3].map(() => d.map((x, i) => (i === a ? randInt(r, 1, 3) : x)));
    const xs = parts.map((s) => (k === 3 ? randI32(r, s) : randF32(r, s)));
    await checkVsJs('Concat', xs, { axis }, { opset: 13 }, `axis ${axis}`);
    await checkVsJs('Concat', xs, { axis }, { opset: 13, constantInputs: [1] }, `axis ${axis}, constant input`);
    const x = randF32(r, d.map((v, i) => (i === a ? 6 : v)));
    await checkVsJs('Split', [x], { axis }, { opset: 13, outputCount: 3 }, 'equal parts');
    await checkVsJs('Split', [x, i64([3], [1, 3, 2])], { axis }, { opset: 13, outputCount: 3, constantInputs: [1] }, 'split input');
    await checkVsJs('Split', [x], { axis, split: [4, 2] }, { opset: 11, outputCount: 2 }, 'split attribute');
    await checkVsJs('Split', [randF32(r, d.map((v, i) => (i === a ? 7 : v)))], { axis, num_outputs: 3 }, { opset: 18, outputCount: 3 }, 'num_outputs, short last');
  }
});

test('Slice matches js: attributes (opset 1), constant inputs with negative steps and axes', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(33);
  const x = randF32(r, [4, 5, 6]);
  await checkVsJs('Slice', [x], { starts: [1, 0], ends: [3, 10], axes: [0, 2] }, { opset: 9 });
  const cases: [number[], number[], number[], number[]][] = [
    [[1, -4], [4, -1], [0, -1], [1, 2]],
    [[-1, 4], [-100, 0], [1, 2], [-1, -2]],
    [[0], [1000], [2], [3]],
    [[3, 2, 1], [0, 5, 6], [0, 1, 2], [-2, 1, 2]],
  ];
  for (const [starts, ends, axes, steps] of cases) {
    const n = starts.length;
    await checkVsJs('Slice', [x, i64([n], starts), i64([n], ends), i64([n], axes), i64([n], steps)], {},
      { opset: 13, constantInputs: [1, 2, 3, 4] }, `${starts}:${ends}:${axes}:${steps}`);
  }
  await checkVsJs('Slice', [randI32(r, [3, 4]), i64([1], [1]), i64([1], [3])], {}, { opset: 13, constantInputs: [1, 2] }, 'int32');
});

test('Pad (constant mode), Expand, Tile match js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(34);
  const x = randF32(r, [2, 3, 4]);
  await checkVsJs('Pad', [x], { pads: [0, 1, 2, 1, 0, 1], value: 1.5 }, { opset: 2 }, 'attr');
  await checkVsJs('Pad', [x, i64([6], [1, -1, 0, 0, 2, 3]), { type: 'float32', dims: [], data: Float32Array.of(-2) }], {},
    { opset: 13, constantInputs: [1, 2] }, 'input pads with crop');
  await checkVsJs('Pad', [x, i64([4], [1, 2, 3, 0]), undefined, i64([2], [-1, 0])], {}, { opset: 18, constantInputs: [1, 3] }, 'axes');
  await checkVsJs('Pad', [randI32(r, [3, 3]), i64([4], [1, 1, 1, 1]), { type: 'int32', dims: [], data: Int32Array.of(-7) }], {},
    { opset: 13, constantInputs: [1, 2] }, 'int32');
  for (let k = 0; k < 3; k++) {
    const d = randDims(r, 1, 3, 3);
    const to = [randInt(r, 1, 3), ...d.map((v) => (v === 1 ? randInt(r, 1, 3) : v))];
    await checkVsJs('Expand', [randF32(r, d), i64([to.length], to)], {}, { opset: 13, constantInputs: [1] }, `to ${to}`);
    const reps = d.map(() => randInt(r, 1, 3));
    await checkVsJs('Tile', [randF32(r, d), i64([reps.length], reps)], {}, { opset: 13, constantInputs: [1] }, `reps ${reps}`);
  }
  await checkVsJs('Expand', [randF32(r, [3, 1]), i64([1], [4])], {}, { opset: 13, constantInputs: [1] }, 'shape smaller than input');
});

test('Reshape family, Identity, Dropout and Cast match js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(35);
  const x = randF32(r, [2, 1, 3, 4]);
  await checkVsJs('Reshape', [x, i64([3], [0, -1, 2])], {}, { opset: 14, constantInputs: [1] });
  await checkVsJs('Reshape', [x], { shape: [6, 4] }, { opset: 1 }, 'attr');
  await checkVsJs('Flatten', [x], { axis: -2 }, { opset: 13 });
  await checkVsJs('Squeeze', [x, i64([1], [-3])], {}, { opset: 13, constantInputs: [1] });
  await checkVsJs('Squeeze', [x], {}, { opset: 13 }, 'all ones');
  await checkVsJs('Squeeze', [x], { axes: [1] }, { opset: 11 }, 'attr');
  await checkVsJs('Unsqueeze', [x, i64([2], [0, -1])], {}, { opset: 13, constantInputs: [1] });
  await checkVsJs('Unsqueeze', [x], { axes: [2] }, { opset: 11 }, 'attr');
  await checkVsJs('Identity', [randI32(r, [5])], {}, { opset: 16 });
  await checkVsJs('Dropout', [x], {}, { opset: 13 });
  await checkVsJs('Cast', [randF32(r, [3, 5], -100, 100)], { to: 6 }, { opset: 13 }, 'float32 → int32');
  await checkVsJs('Cast', [randI32(r, [3, 5], -100000, 100000)], { to: 1 }, { opset: 13 }, 'int32 → float32');
  await checkVsJs('Cast', [randF32(r, [4])], { to: 1 }, { opset: 13 }, 'float32 → float32');
  await checkVsJs('Cast', [randF32(r, [4], -9, 9)], { to: 'INT32' }, { opset: 5 }, 'opset 5 names');
});

test('DepthToSpace (DCR, CRD) and SpaceToDepth match js', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(36);
  for (const b of [1, 2, 3]) {
    const x = randF32(r, [randInt(r, 1, 2), b * b * randInt(r, 1, 2), randInt(r, 1, 3), randInt(r, 1, 3)]);
    for (const mode of ['DCR', 'CRD']) await checkVsJs('DepthToSpace', [x], { blocksize: b, mode }, { opset: 13 }, `${mode} b=${b}`);
    await checkVsJs('SpaceToDepth', [randF32(r, [2, randInt(r, 1, 3), b * randInt(r, 1, 3), b * randInt(r, 1, 3)])], { blocksize: b }, { opset: 13 }, `b=${b}`);
  }
});
