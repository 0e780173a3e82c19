import assert from 'node:assert/strict';
import test from 'node:test';
import { InferenceSession, OptiflowError, Tensor } from '../index.js';
import { modelBytes } from '../testing/onnx-bytes.js';

const reluModel = () => modelBytes(
  [{ name: 'x', dtype: 'float32', dims: ['N', 3] }], [{ name: 'y', dtype: 'float32', dims: ['N', 3] }],
  [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu0' }]);

async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof OptiflowError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('session exposes names and metadata, runs, and reports placement', async () => {
  const s = await InferenceSession.create(reluModel());
  assert.deepEqual(s.inputNames, ['x']);
  assert.deepEqual(s.outputNames, ['y']);
  assert.deepEqual(s.inputMetadata[0], { name: 'x', isTensor: true, type: 'float32', shape: ['N', 3] });
  const out = await s.run({ x: new Tensor('float32', [-1, 2, -3, 4, 0, -0.5], [2, 3]) });
  assert.deepEqual(Array.from(out.y!.data as Float32Array), [0, 2, 0, 4, 0, 0]);
  assert.deepEqual(out.y!.dims, [2, 3]);
  // Default providers: wasm first, js as the fallback.
  assert.deepEqual(s.placements.map((p) => [p.node, p.backend]), [['relu0', 'wasm']]);
  await s.release();
  const js = await InferenceSession.create(reluModel(), { executionProviders: ['js'] });
  assert.deepEqual(js.placements.map((p) => [p.node, p.backend]), [['relu0', 'js']]);
});

test('run validates feeds: missing, unknown, dtype, rank, fixed dim', async () => {
  const s = await InferenceSession.create(reluModel());
  await rejectsWith(s.run({}), 'invalid_argument', /missing input 'x' \(expected float32 with dims \[N,3\]\)/);
  await rejectsWith(s.run({ x: new Tensor('float32', [1, 2, 3], [1, 3]), z: new Tensor('float32', [1], [1]) }), 'invalid_argument', /unknown input 'z'/);
  await rejectsWith(s.run({ x: new Tensor('int32', [1, 2, 3], [1, 3]) }), 'dtype_mismatch', /input x: expected dtype float32, got int32/);
  await rejectsWith(s.run({ x: new Tensor('float32', [1, 2, 3], [3]) }), 'shape_mismatch', /expected rank 2 \[N,3\], got rank 1 \[3\]/);
  await rejectsWith(s.run({ x: new Tensor('float32', [1, 2, 3, 4], [1, 4]) }), 'shape_mismatch', /dim 1 must be 3/);
  await rejectsWith(s.run({ x: new Tensor('float32', [1, 2, 3], [1, 3]) }, ['nope']), 'invalid_argument', /unknown output 'nope'/);
});

test('Tensor rejects data that does not fit its dims', () => {
  assert.throws(() => new Tensor('float32', [1, 2, 3], [2, 2]), /3 elements; dims \[2,2\] need 4/);
  assert.throws(() => new Tensor('float32', [1], [-1]), /non-negative integers/);
  assert.equal(new Tensor(new BigInt64Array([1n, 2n])).type, 'int64');
  assert.deepEqual(new Tensor('int64', [1, 2], [2]).data, BigInt64Array.of(1n, 2n));
});

test('an unsupported op is a typed error naming op, domain, opset and node', async () => {
  const b = modelBytes([{ name: 'x', dtype: 'float32', dims: [1] }], [{ name: 'y', dtype: 'float32', dims: [1] }],
    [{ op: 'NoSuchOp', inputs: ['x'], outputs: ['y'], name: 'weird' }], 17);
  await rejectsWith(InferenceSession.create(b), 'unsupported_op', /node weird: no schema for op NoSuchOp in domain 'ai.onnx' \(op NoSuchOp, domain 'ai.onnx', opset 17\)/);
  const c = modelBytes([{ name: 'x', dtype: 'float32', dims: [1] }], [{ name: 'y', dtype: 'float32', dims: [1] }],
    [{ op: 'Foo', domain: 'com.example', inputs: ['x'], outputs: ['y'], name: 'f' }], 17);
  await rejectsWith(InferenceSession.create(c), 'unsupported_op', /imports no opset for domain 'com.example'/);
});

test('bad model sources: missing path, zero bytes, random bytes', async () => {
  await rejectsWith(InferenceSession.create('/nonexistent/model.onnx'), 'io_error', /cannot read model: ENOENT/);
  await rejectsWith(InferenceSession.create(new Uint8Array(0)), 'invalid_model', /empty/);
  await rejectsWith(InferenceSession.create(Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 255)), 'invalid_model', /./);
});

test('outputs never share storage with the model weights or the feeds (Identity of both)', async () => {
  const bytes = modelBytes(
    [{ name: 'x', dtype: 'float32', dims: [2] }],
    [{ name: 'w_out', dtype: 'float32', dims: [2] }, { name: 'x_out', dtype: 'float32', dims: [2] }, { name: 'z', dtype: 'float32', dims: [2] }],
    [
      { op: 'Identity', inputs: ['w'], outputs: ['w_out'] },
      { op: 'Identity', inputs: ['x'], outputs: ['x_out'] },
      { op: 'Mul', inputs: ['x', 'w'], outputs: ['z'] },
    ], 17, [{ name: 'w', dtype: 'float32', dims: [2], floats: [3, 4] }]);
  for (const level of ['disabled', 'all'] as const) {
    const s = await InferenceSession.create(bytes, { graphOptimizationLevel: level });
    const x = new Tensor('float32', [1, 2], [2]);
    const r1 = await s.run({ x });
    (r1.w_out!.data as Float32Array).fill(0);
    assert.notEqual(r1.x_out!.data, x.data, `${level}: x_out is a copy`);
    const r2 = await s.run({ x });
    assert.deepEqual(Array.from(r2.w_out!.data as Float32Array), [3, 4], `${level}: weights untouched`);
    assert.deepEqual(Array.from(r2.z!.data as Float32Array), [3, 8]);
    await s.release();
  }
});

test('run after release is refused; release waits for a run in flight', async () => {
  const s = await InferenceSession.create(reluModel());
  const x = new Tensor('float32', [-1, 2, -3], [1, 3]);
  const pending = s.run({ x });
  await s.release();
  assert.deepEqual(Array.from((await pending).y!.data as Float32Array), [0, 2, 0]);
  await rejectsWith(s.run({ x }), 'invalid_argument', /released/);
  await s.release();
});
