import { test } from 'node:test';
import { gpuTestSkipReason } from '../testing.js';
import { checkVsJs, i64, randF32, randInt, rng } from './b-test-util.js';

const f32c = (v: number[]) => ({ type: 'float32' as const, dims: [v.length], data: Float32Array.from(v) });

test('Resize matches js: nearest modes × coordinate modes, bilinear, scales and sizes, opset 10, Upsample', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const r = rng(51);
  const ctms = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'half_pixel_symmetric'];
  const nearest = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
  for (const ctm of ctms) {
    const x = randF32(r, [randInt(r, 1, 2), randInt(r, 1, 3), randInt(r, 2, 5), randInt(r, 2, 5)]);
    const scales = f32c([1, 1, [0.5, 2, 3][randInt(r, 0, 2)]!, [0.5, 2, 1.5][randInt(r, 0, 2)]!]);
    await checkVsJs('Resize', [x, undefined, scales], { mode: 'linear', coordinate_transformation_mode: ctm }, { opset: 13, constantInputs: [2] }, `linear ${ctm}`);
    const sizes = i64([4], [x.dims[0]!, x.dims[1]!, randInt(r, 1, 7), randInt(r, 1, 7)]);
    await checkVsJs('Resize', [x, undefined, undefined, sizes], { mode: 'linear', coordinate_transformation_mode: ctm }, { opset: 18, constantInputs: [3] }, `linear sizes ${ctm}`);
    for (const nm of nearest) {
      await checkVsJs('Resize', [x, undefined, scales], { mode: 'nearest', coordinate_transformation_mode: ctm, nearest_mode: nm },
        { opset: 13, constantInputs: [2] }, `nearest ${ctm} ${nm}`);
    }
  }
  const x = randF32(r, [1, 2, 3, 4]);
  await checkVsJs('Resize', [x, f32c([1, 1, 2, 2])], { mode: 'nearest' }, { opset: 10, constantInputs: [1] }, 'opset 10 nearest');
  await checkVsJs('Resize', [x, f32c([1, 1, 0.5, 1.5])], { mode: 'linear' }, { opset: 10, constantInputs: [1] }, 'opset 10 linear');
  await checkVsJs('Upsample', [x], { mode: 'nearest', scales: [1, 1, 2, 3] }, { opset: 7 }, 'Upsample-7');
  await checkVsJs('Upsample', [x, f32c([1, 1, 2, 2])], { mode: 'linear' }, { opset: 9, constantInputs: [1] }, 'Upsample-9');
});
