import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../exporters/onnx/export.js';
import { importOnnx } from '../importers/onnx/import.js';
import { Graph } from '../ir/graph.js';
import { GraphBuilder } from '../zoo/index.js';
import { countPasses, formatOptimize, opDelta, optimizeModel, registerOptimize } from './optimize.js';

/** y = Relu(x·W + B) · (2·3), x [1,3]; W = identity-ish, so y is hand-computable. */
function tinyModel(dir: string): string {
  const b = new GraphBuilder('tiny', { '': 13 });
  const x = b.input('x', 'float32', [1, 3]);
  const w = b.float('W', [3, 3], [1, 0, 0, 0, 2, 0, 0, 0, -1]);
  const mm = b.op('Add', [b.op('MatMul', [x, w]), b.float('B', [3], [1, 1, 1])]);
  const k = b.op('Mul', [b.float('two', [1], [2]), b.float('three', [1], [3])]);
  b.op('Mul', [b.op('Relu', [mm]), k], {}, { output: 'y' });
  b.output('y', 'float32', [1, 3]);
  const file = join(dir, 'tiny.onnx');
  writeFileSync(file, exportOnnx(b.build()));
  return file;
}

test('op-type deltas and pass counts', () => {
  const g = (ops: [string, string][]) => {
    const gr = new Graph();
    gr.nodes = ops.map(([domain, opType], i) => ({ name: `n${i}`, opType, domain, inputs: [], outputs: [], attributes: new Map() }));
    return gr;
  };
  const before = g([['', 'Conv'], ['', 'Relu'], ['', 'Conv'], ['', 'Relu'], ['', 'Add']]);
  const after = g([['optiflow', 'FusedConv'], ['optiflow', 'FusedConv'], ['', 'Add']]);
  assert.deepEqual(opDelta(before, after), [
    { opType: 'Conv', before: 2, after: 0 }, { opType: 'optiflow::FusedConv', before: 0, after: 2 },
    { opType: 'Relu', before: 2, after: 0 },
  ]);
  assert.deepEqual(countPasses(['a', 'b', 'a']), [{ name: 'a', count: 2 }, { name: 'b', count: 1 }]);
});

test('optimize MODEL -o OUT writes a standard model that onnxruntime runs, and a summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-optimize-'));
  try {
    const out = join(dir, 'out.onnx');
    const s = await optimizeModel(tinyModel(dir), { output: out, executionProviders: ['js'] });
    assert.equal(s.model, 'tiny.onnx');
    assert.equal(s.nodesBefore, 5);
    assert.ok(s.nodesAfter < s.nodesBefore);
    assert.ok(s.passes.some((p) => p.name === 'constant-folding'));
    assert.equal(s.bytes, readFileSync(out).length);
    assert.deepEqual(readdirSync(dir).sort(), ['out.onnx', 'tiny.onnx']);
    const text = formatOptimize(s);
    assert.match(text, /passes applied: .*constant-folding ×1/);
    assert.match(text, new RegExp(`nodes: 5 → ${s.nodesAfter} \\(-${5 - s.nodesAfter}\\)`));
    assert.match(text, /wrote .*out\.onnx: .*B \(\d+ bytes\)/);
    // x = [1, 2, 3]: x·W + B = [2, 5, -2] → Relu → [2, 5, 0] → ·6.
    const sess = await ort.InferenceSession.create(out);
    const y = await sess.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [1, 3]) });
    assert.deepEqual([...(y.y!.data as Float32Array)], [12, 30, 0]);
    assert.equal(importOnnx(readFileSync(out)).opsets.has('optiflow'), false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a built-in model name works; --report writes the HTML report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-optimize-'));
  try {
    const out = join(dir, 'm.onnx');
    const report = join(dir, 'report.html');
    const s = await optimizeModel('mobilenet_v1', { output: out, report, executionProviders: ['js'] });
    assert.equal(s.model, 'mobilenet_v1');
    assert.ok(existsSync(out));
    assert.match(readFileSync(report, 'utf8'), /<html/i);
    assert.match(formatOptimize(s), /wrote report/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('failures: unknown model, unwritable output (nothing left behind), bad level', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-optimize-'));
  try {
    const model = tinyModel(dir);
    await assert.rejects(optimizeModel(join(dir, 'nope.onnx'), { output: join(dir, 'o.onnx') }), (e: Error & { code?: string }) => e.code === 'io_error');
    const taken = join(dir, 'taken.onnx');
    mkdirSync(join(taken, 'inside'), { recursive: true });
    await assert.rejects(optimizeModel(model, { output: taken, executionProviders: ['js'] }), (e: Error & { code?: string }) => e.code === 'io_error');
    await assert.rejects(optimizeModel(model, { output: join(dir, 'no', 'o.onnx'), executionProviders: ['js'] }), (e: Error & { code?: string }) => e.code === 'io_error');
    assert.deepEqual(readdirSync(dir).sort(), ['taken.onnx', 'tiny.onnx'], 'no temporary or partial files');
    await assert.rejects(optimizeModel(model, { output: join(dir, 'o.onnx'), level: 'max' as never }), /level must be/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the optimize command parses its options and prints the summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-optimize-'));
  const write = process.stdout.write.bind(process.stdout);
  let printed = '';
  try {
    const model = tinyModel(dir);
    const program = new Command('optiflow').exitOverride().configureOutput({ writeErr: () => undefined });
    registerOptimize(program);
    process.stdout.write = ((c: string) => { printed += c; return true; }) as typeof process.stdout.write;
    await program.parseAsync(['node', 'optiflow', 'optimize', model, '-o', join(dir, 'o.onnx'), '--level', 'basic', '--ep', 'js', '--json']);
    process.stdout.write = write;
    const s = JSON.parse(printed) as { level: string; nodesBefore: number };
    assert.equal(s.level, 'basic');
    assert.equal(s.nodesBefore, 5);
    await assert.rejects(program.parseAsync(['node', 'optiflow', 'optimize', model]), /required option/);
  } finally {
    process.stdout.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
});
