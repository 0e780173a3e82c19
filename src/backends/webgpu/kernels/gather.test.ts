import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkVsJs, i64, randDims, randF32, randI32, randInt, rng } from './b-test-util.js';

test('Gather matches js: constant int64 indices (negative too), runtime int32 indices, every axis', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(41);
  for (let k = 0; k < 5; k++) {
    const d = randDims(r, 1, 4);
    const axis = randInt(r, -d.length, d.length - 1);
    const n = d[(axis + d.length) % d.length]!;
    const idims = randDims(r, 0, 2, 3);
    const count = idims.reduce((a, b) => a * b, 1);
    const idx = Array.from({ length: count }, () => randInt(r, -n, n - 1));
    const x = k === 4 ? randI32(r, d) : randF32(r, d);
    await checkVsJs('Gather', [x, i64(idims, idx)], { axis }, { opset: 13, constantInputs: [1] }, `int64 const, axis ${axis}`);
    await checkVsJs('Gather', [x, { type: 'int32', dims: idims, data: Int32Array.from(idx) }], { axis }, { opset: 13 }, `int32 runtime, axis ${axis}`);
  }
  await checkVsJs('Gather', [randF32(r, [10, 4]), i64([2, 3], [9, 0, 3, 3, -1, 2])], {}, { opset: 13, constantInputs: [0, 1] }, 'embedding table constant');
});
