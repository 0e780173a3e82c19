import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../importers/onnx/import.js';
import { onnxRoot, type ModelMsg } from '../../importers/onnx/onnx-proto.js';
import { Graph } from '../../ir/graph.js';
import { loadModelBytes } from '../../runtime/load.js';
import { exportOnnx, exportOnnxModel } from './export.js';
import { EXTERNAL_DATA_ALIGNMENT, planExternalData, tensorRawBytes } from './export-external.js';
import { writeOnnxFile } from './export-file.js';

/** y = (x · W) + b with x [1,4], W [4,300] (W[i][j] = i - j/100), b [300] (b[j] = j), plus a tiny initializer. */
function denseGraph(): Graph {
  const g = new Graph();
  g.opsets.set('', 13);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: [1, 4] }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: [1, 300] }];
  g.initializers.set('W', { type: 'float32', dims: [4, 300], data: Float32Array.from({ length: 1200 }, (_, k) => Math.floor(k / 300) - (k % 300) / 100) });
  g.initializers.set('b', { type: 'float32', dims: [300], data: Float32Array.from({ length: 300 }, (_, j) => j) });
  g.initializers.set('one', { type: 'float32', dims: [1], data: Float32Array.of(1) });
  g.nodes = [
    { name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'W'], outputs: ['t'], attributes: new Map() },
    { name: 'add', opType: 'Add', domain: '', inputs: ['t', 'b'], outputs: ['u'], attributes: new Map() },
    { name: 'mul', opType: 'Mul', domain: '', inputs: ['u', 'one'], outputs: ['y'], attributes: new Map() },
  ];
  return g;
}

/** Hand-computed y for x = [1, 2, 3, 4]: Σ_i x_i·(i - j/100) + j = 20 - 10j/100 + j. */
const expectedY = Array.from({ length: 300 }, (_, j) => 20 - (10 * j) / 100 + j);

test('below the threshold everything is inline; above it large initializers go external at aligned offsets', () => {
  const g = denseGraph();
  assert.equal(exportOnnxModel(g).externalData, undefined);
  const plan = planExternalData(g.initializers, { location: 'm.data', threshold: 1000 })!;
  assert.ok(plan);
  assert.deepEqual([...plan.refs.keys()], ['W', 'b'], 'the 4-byte initializer stays inline');
  assert.deepEqual(plan.refs.get('W'), { offset: 0, length: 4800 });
  assert.deepEqual(plan.refs.get('b'), { offset: 2 * EXTERNAL_DATA_ALIGNMENT, length: 1200 });
  assert.equal(plan.file.byteLength, 2 * EXTERNAL_DATA_ALIGNMENT + 1200);
  assert.equal(plan.file.chunks.reduce((a, c) => a + c.length, 0), plan.file.byteLength);
  const { model, externalData } = exportOnnxModel(g, { externalDataThreshold: 1000, externalDataLocation: 'm.data' });
  assert.equal(externalData?.location, 'm.data');
  const msg = onnxRoot.lookupType('onnx.ModelProto').toObject(onnxRoot.lookupType('onnx.ModelProto').decode(model)) as ModelMsg;
  const w = msg.graph!.initializer!.find((t) => t.name === 'W')!;
  assert.equal(w.data_location, 1);
  assert.deepEqual(w.external_data, [{ key: 'location', value: 'm.data' }, { key: 'offset', value: '0' }, { key: 'length', value: '4800' }]);
  assert.equal(w.raw_data?.length ?? 0, 0);
  assert.throws(() => exportOnnx(g, { externalDataThreshold: 1000 }), /external data/);
});

test('writeOnnxFile writes model and .data atomically; onnxruntime and our importer read them back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-ext-'));
  try {
    const file = join(dir, 'dense.onnx');
    const w = writeOnnxFile(file, denseGraph(), { externalDataThreshold: 1000 });
    assert.equal(w.dataPath, join(dir, 'dense.onnx.data'));
    assert.equal(statSync(w.dataPath!).size, w.dataBytes);
    assert.equal(statSync(file).size, w.bytes);
    assert.ok(w.bytes < 1000, `model file holds no weights (${w.bytes} bytes)`);
    assert.deepEqual(readdirSync(dir).sort(), ['dense.onnx', 'dense.onnx.data'], 'no temporary files left');
    const s = await ort.InferenceSession.create(file);
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [1, 4]) });
    const y = [...(out.y!.data as Float32Array)];
    y.forEach((v, j) => assert.ok(Math.abs(v - expectedY[j]!) < 1e-3, `y[${j}] = ${v}, expected ${expectedY[j]}`));
    const { bytes, readExternal } = await loadModelBytes(file);
    const back = importOnnx(bytes, { readExternal });
    for (const [k, t] of denseGraph().initializers) assert.deepEqual(back.initializers.get(k), t, k);
    // Rewriting without external data leaves a self-contained model.
    const again = writeOnnxFile(file, denseGraph());
    assert.equal(again.dataPath, undefined);
    assert.equal(importOnnx(readFileSync(file)).initializers.get('W')!.dims[1], 300);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a failed write leaves nothing half-written and names the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-ext-'));
  try {
    assert.throws(() => writeOnnxFile(join(dir, 'missing', 'm.onnx'), denseGraph()),
      (e: Error & { code?: string }) => e.code === 'io_error' && /m\.onnx/.test(e.message));
    // The target is a non-empty folder: the rename fails after both temporary files were written.
    const target = join(dir, 'taken.onnx');
    mkdirSync(target);
    mkdirSync(join(target, 'inside'));
    assert.throws(() => writeOnnxFile(target, denseGraph(), { externalDataThreshold: 1000 }), (e: Error & { code?: string }) => e.code === 'io_error');
    assert.deepEqual(readdirSync(dir), ['taken.onnx'], 'temporary files and the new data file removed');
    assert.ok(statSync(target).isDirectory());
    assert.throws(() => writeOnnxFile(join(dir, 'a.onnx'), denseGraph(), { externalDataLocation: '../x.data' }), /file name/);
    assert.equal(existsSync(join(dir, 'a.onnx')), false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('sub-byte types are packed as ONNX requires and read back', () => {
  const g = new Graph();
  g.opsets.set('', 21);
  const tensors = {
    i2: { type: 'int2' as const, dims: [5], data: Int8Array.of(-2, -1, 0, 1, -2) },
    u2: { type: 'uint2' as const, dims: [3], data: Uint8Array.of(3, 0, 2) },
    i4: { type: 'int4' as const, dims: [3], data: Int8Array.of(-8, 7, -1) },
  };
  for (const [k, t] of Object.entries(tensors)) g.initializers.set(k, t);
  // int2 [-2,-1,0,1] → 2-bit codes 2,3,0,1 → byte 0b01_00_11_10; then -2 → 0b10.
  assert.deepEqual([...tensorRawBytes(tensors.i2)], [0b01001110, 0b10]);
  assert.deepEqual([...tensorRawBytes(tensors.u2)], [0b100011]);
  const back = importOnnx(exportOnnx(g));
  for (const [k, t] of Object.entries(tensors)) assert.deepEqual(back.initializers.get(k), t, k);
});
