/**
 * The executor's handling of GPU-resident values, with a fake GPU-resident segment backend (no GPU
 * needed): outputs left on the "device" when only GPU segments read them or when asked for, a
 * download for CPU readers, disposal of dead device values. Expected values are hand-computed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isGpuBufferValue, type Backend, type SegmentSpec } from '../backends/backend.js';
import { createJsBackend } from '../backends/js/index.js';
import { exportOnnx } from '../exporters/onnx/export.js';
import type { TensorData } from '../ir/tensor-data.js';
import { GraphBuilder } from '../zoo/builder.js';
import { InferenceSession } from './session.js';
import { Tensor } from './tensor.js';

const X = [-2, -1, 0.5, 3];
const W = [1, -4, 0.25, -1];
const relu = (v: number): number => Math.max(v, 0);

/** A = {r1 = Relu(x), a1 = Add(r1, w), r2 = Relu(a1)}; m = Mul(a1, 2) on js; B = {s = Add(r2, m), r3 = Relu(s), out = Add(r3, w)}. */
function split(): Uint8Array {
  const b = new GraphBuilder('split', { '': 17 });
  const x = b.input('x', 'float32', [4]);
  const w = b.float('w', [4], W);
  const r1 = b.op('Relu', [x]);
  const a1 = b.op('Add', [r1, w], {}, { output: 'a1' });
  const r2 = b.op('Relu', [a1], {}, { output: 'r2' });
  const m = b.op('Mul', [a1, b.float('two', [], [2])], {}, { output: 'm' });
  const r3 = b.op('Relu', [b.op('Add', [r2, m])]);
  b.op('Add', [r3, w], {}, { output: 'out' });
  b.output('out', 'float32', [4]);
  return exportOnnx(b.build());
}
const want = X.map((v, i) => { const a1 = relu(v) + W[i]!; return relu(relu(a1) + 2 * a1) + W[i]!; });

interface Log { inputs: string[]; disposed: string[]; downloads: string[] }

/** A segment backend running Relu/Add on the CPU whose "device" values are fake GPU tensors. */
function fakeGpu(log: Log): Backend {
  const device = {};
  return {
    name: 'fakegpu', gpuResident: true, gpuDevice: device, minSegmentSize: 3,
    supports: (q) => (q.node.opType === 'Relu' || q.node.opType === 'Add' ? { ok: true } : { ok: false, reason: 'fake' }),
    compile: () => { throw new Error('segments only'); },
    compileSegment(spec: SegmentSpec) {
      return {
        run: async (inputs) => {
          const env = new Map<string, number[]>();
          for (const [k, name] of spec.inputs.entries()) {
            const v = inputs[k] as TensorData;
            log.inputs.push(`${name}:${isGpuBufferValue(v) ? 'gpu' : 'cpu'}`);
            env.set(name, Array.from((isGpuBufferValue(v) ? await v.download() : v.data) as Float32Array));
          }
          const get = (n: string): number[] => env.get(n) ?? Array.from(spec.graph.initializers.get(n)!.data as Float32Array);
          for (const n of spec.nodes) {
            const a = get(n.inputs[0]!);
            env.set(n.outputs[0]!, n.opType === 'Relu' ? a.map(relu) : a.map((v, i) => v + get(n.inputs[1]!)[i]!));
          }
          return spec.outputs.map((name, k) => {
            const data = Float32Array.from(env.get(name)!);
            if (spec.outputLocations?.[k] !== 'gpu-buffer') return { type: 'float32', dims: [4], data } as TensorData;
            return Tensor.fromGpuBuffer({ name }, {
              dataType: 'float32', dims: [4], device,
              download: async () => { log.downloads.push(name); return data; },
              dispose: () => log.disposed.push(name),
            });
          });
        },
      };
    },
  };
}

async function open(log: Log, preferred?: 'gpu-buffer'): Promise<InferenceSession> {
  return InferenceSession.create(split(), { executionProviders: ['fakegpu', 'js'], graphOptimizationLevel: 'disabled', preferredOutputLocation: preferred },
    { fakegpu: () => fakeGpu(log), js: createJsBackend });
}

test('a value only GPU segments read stays on the device and is disposed after its last reader', async () => {
  const log: Log = { inputs: [], disposed: [], downloads: [] };
  const s = await open(log);
  try {
    assert.deepEqual(s.segments.map((x) => [x.name, x.outputs, x.outputLocations]), [
      ['segment_0_fakegpu', ['a1', 'r2'], ['cpu', 'gpu-buffer']],
      ['segment_1_fakegpu', ['out'], ['cpu']],
    ]);
    const res = await s.run({ x: new Tensor('float32', X, [4]) });
    assert.deepEqual(Array.from(res.out!.data as Float32Array), want);
    assert.equal(res.out!.location, 'cpu');
    assert.deepEqual(log.inputs, ['x:cpu', 'r2:gpu', 'm:cpu']);
    assert.deepEqual(log.disposed, ['r2']);
    assert.deepEqual(log.downloads, ['r2'], 'only the fake segment itself read r2');
  } finally {
    await s.release();
  }
});

test('preferredOutputLocation gpu-buffer returns the device value; a GPU feed reaches the GPU segment as it is', async () => {
  const log: Log = { inputs: [], disposed: [], downloads: [] };
  const s = await open(log, 'gpu-buffer');
  try {
    assert.deepEqual(s.segments[1]!.outputLocations, ['gpu-buffer']);
    let feedDownloads = 0;
    const x = Tensor.fromGpuBuffer({}, { dataType: 'float32', dims: [4], download: async () => { feedDownloads++; return Float32Array.from(X); } });
    const res = await s.run({ x });
    const out = res.out!;
    assert.equal(out.location, 'gpu-buffer');
    assert.deepEqual(Array.from(await out.getData() as Float32Array), want);
    assert.deepEqual(log.inputs.slice(0, 1), ['x:gpu'], 'the GPU segment gets the feed as it is');
    assert.equal(feedDownloads, 1, 'the fake segment downloads x itself');
    assert.equal(x.location, 'gpu-buffer');
    assert.ok(!log.disposed.includes('out'), 'the returned output is the caller\'s');
    out.dispose();
    assert.ok(log.disposed.includes('out'));
  } finally {
    await s.release();
  }
});

test('on CPU backends a GPU feed is downloaded once per run and left as it was', async () => {
  const s = await InferenceSession.create(split(), { executionProviders: ['js'], preferredOutputLocation: 'gpu-buffer' }, { js: createJsBackend });
  try {
    let downloads = 0;
    const x = Tensor.fromGpuBuffer({}, { dataType: 'float32', dims: [4], download: async () => { downloads++; return Float32Array.from(X); } });
    const res = await s.run({ x });
    assert.equal(res.out!.location, 'cpu', 'js outputs stay on the CPU');
    assert.deepEqual(Array.from(res.out!.data as Float32Array), want);
    assert.equal(downloads, 1);
    assert.equal(x.location, 'gpu-buffer');
  } finally {
    await s.release();
  }
});
