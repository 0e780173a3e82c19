import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { exportOnnx } from '../exporters/onnx/export.js';
import { sharedTestdata, skipUnless } from '../testing/paths.js';
import { GraphBuilder } from '../zoo/builder.js';
import { compareFiles, quantizeModel, registerCompare } from './quantize.js';

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

test('compare CLI: per-layer report with --layers, --all-layers, --json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'q1-'));
  const run = async (...args: string[]): Promise<string> => {
    let printed = '';
    const program = new Command('optiflow').exitOverride().configureOutput({ writeErr: () => undefined });
    registerCompare(program, (t) => { printed += t; });
    await program.parseAsync(['node', 'optiflow', 'compare', ...args]);
    return printed;
  };
  try {
    // x[1,4] → MatMul a (column 0 is 0: a dead channel) → Relu → MatMul b (row 0 = 1000 on
    // that dead channel: harmless in float, but every int8 column scale becomes 1000/127) → y.
    const b = new GraphBuilder('t', { '': 13 });
    b.input('x', 'float32', [1, 4]);
    b.node('MatMul', ['x', b.float('wa', [4, 4], [0, 0.5, 0.2, -0.3, 0, 0.1, 0.7, 0.4, 0, -0.6, 0.3, 0.9, 0, 0.8, -0.2, 0.5])], {}, { outputs: ['h'], name: 'a' });
    b.node('Relu', ['h'], {}, { outputs: ['r'], name: 'relu' });
    b.node('MatMul', ['r', b.float('wb', [4, 4], [1000, 1000, 1000, 1000, 0.5, -0.4, 0.3, 0.2, -0.1, 0.6, 0.7, -0.8, 0.9, 0.2, -0.5, 0.4])], {}, { outputs: ['y'], name: 'b' });
    b.output('y', 'float32', [1, 4]);
    const model = join(dir, 'm.onnx'); const out = join(dir, 'q.onnx');
    writeFileSync(model, exportOnnx(b.build()));
    await quantizeModel(model, { mode: 'dynamic', output: out });
    const top1 = await run(model, out, '--layers', '1');
    assert.match(top1, /layers where the error grows most \(1 of 2;/);
    assert.match(top1, /^exclude first: --exclude b$/m);
    assert.doesNotMatch(top1, /in graph order/);
    assert.match(await run(model, out, '--all-layers'), /^all 3 layer\(s\) in graph order:$/m);
    assert.doesNotMatch(await run(model, out, '--layers', '0'), /layers where/);
    const j = JSON.parse(await run(model, out, '--json')) as { layers: { ranked: { node: string }[]; layers: { inputQuantSnrDb: unknown }[] } };
    assert.equal(j.layers.ranked[0]!.node, 'b');
    assert.equal(j.layers.layers[0]!.inputQuantSnrDb, 'Infinity');
    await assert.rejects(run(model, out, '--layers', '-1'), /--layers must be an integer >= 0/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
