import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportOnnx } from '../exporters/onnx/export.js';
import { sharedTestdata, skipUnless } from '../testing/paths.js';
import { GraphBuilder } from '../zoo/builder.js';
import { compareFiles, quantizeModel } from './quantize.js';

const mnistModel = join(sharedTestdata(), 'models', 'onnx', 'mnist-8_cntk', 'mnist.onnx');

test('quantize CLI: nothing to quantize writes no file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'q1-'));
  try {
    const b = new GraphBuilder('t', { '': 13 });
    b.input('x', 'float32', [2, 3]);
    b.node('Relu', ['x'], {}, { outputs: ['y'] });
    b.output('y', 'float32', [2, 3]);
    const model = join(dir, 'relu.onnx');
    writeFileSync(model, exportOnnx(b.build()));
    const s = await quantizeModel(model, { mode: 'dynamic', output: join(dir, 'out.onnx') });
    assert.equal(s.written, false);
    assert.equal(existsSync(join(dir, 'out.onnx')), false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('quantize CLI: mnist-8 dynamic with --exclude, then compare on seeded random inputs', { skip: skipUnless(mnistModel) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'q1-'));
  try {
    const out = join(dir, 'q.onnx');
    const evalDir = join(sharedTestdata(), 'models', 'onnx', 'mnist-8_cntk', 'test_data_set_0');
    const s = await quantizeModel(mnistModel, { mode: 'dynamic', output: out, exclude: ['Times212'] });
    assert.equal(s.written, true);
    assert.deepEqual(s.report.skipped.map((e) => e.node), ['Times212']);
    const r = await compareFiles(mnistModel, out, undefined, 1);
    assert.equal(r.outputs[0]!.top1, 1);
    assert.ok(existsSync(evalDir));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
