import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { f32, floats } from '../../testing/run-kernel.js';
import { BROKEN_RELU, TEST_ADD, TEST_RELU } from './fixture-kernels.js';
import { SWIFTSHADER_ICD } from './device.js';
import { gpuTestSkipReason, runGpuKernel } from './testing.js';

test('runGpuKernel runs a Relu (values hand-computed)', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const [y] = await runGpuKernel(TEST_RELU, {}, [f32([2, 3], [-1, 2, -3, 4, 0, -0.5])]);
  assert.deepEqual(y!.dims, [2, 3]);
  assert.equal(y!.type, 'float32');
  assert.deepEqual(floats(y), [0, 2, 0, 4, 0, 0]);
});

test('runGpuKernel: constant input, scratch tensor, 200 elements (several workgroups)', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  const a = Array.from({ length: 200 }, (_, i) => i * 0.5);
  const b = Array.from({ length: 200 }, (_, i) => 1 - i);
  for (const constantInputs of [[], [1], [0, 1]]) {
    const [y] = await runGpuKernel(TEST_ADD, {}, [f32([10, 20], a), f32([10, 20], b)], { constantInputs });
    assert.deepEqual(floats(y), a.map((v, i) => v + b[i]!), `constants ${constantInputs.join(',')}`);
  }
});

test('runGpuKernel: a declined node and a shader that does not compile give clear errors', async (t) => {
  const why = await gpuTestSkipReason();
  if (why) return t.skip(why);
  await assert.rejects(runGpuKernel(TEST_ADD, {}, [f32([2], [1, 2]), f32([1], [1])]), /declines the node: test Add needs/);
  await assert.rejects(runGpuKernel(BROKEN_RELU, {}, [f32([2], [1, 2])]),
    (e: Error) => /node Relu_0 \(Relu\)/.test(e.message) && /does not compile/.test(e.message) && /error at \d+:\d+/.test(e.message));
});

test('assigning process.env before the first adapter request selects SwiftShader (child process)', async (t) => {
  if (!existsSync(SWIFTSHADER_ICD)) return t.skip(`no ${SWIFTSHADER_ICD}`);
  // The parent environment points Vulkan at a missing ICD; the script overrides it before loading Dawn.
  const script = `process.env.VK_ICD_FILENAMES = ${JSON.stringify(SWIFTSHADER_ICD)};
    const { acquireGpuDevice } = await import(${JSON.stringify(new URL('./device.js', import.meta.url).href)});
    const h = await acquireGpuDevice();
    console.log('adapter ' + h.adapterKey);
    h.device.destroy();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', XDG_RUNTIME_DIR: '' }, encoding: 'utf8', timeout: 60_000,
  });
  assert.match(r.stdout, /adapter google-swiftshader/, r.stderr);
});
