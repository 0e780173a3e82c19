import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importOnnx } from '../../importers/onnx/import.js';
import { Graph, type Attribute } from '../../ir/graph.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { exportOnnx } from './export.js';

function sampleGraph(): Graph {
  const g = new Graph();
  g.opsets.set('', 17);
  g.opsets.set('com.example', 1);
  g.metadata = {
    irVersion: 9, producerName: 'test', producerVersion: '1.2', domain: 'org.test', modelVersion: 7,
    docString: 'a doc', graphName: 'main', props: { author: 'me', license: 'MIT' },
  };
  g.inputs = [{ name: 'x', dtype: 'float32', shape: ['N', 3, 4], kind: 'tensor' }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: ['N', 3, 4], kind: 'tensor' }];
  const inits: [string, TensorData][] = [
    ['w', { type: 'float32', dims: [4], data: Float32Array.of(1.5, -2, 0.25, 3e-8) }],
    ['big', { type: 'int64', dims: [3], data: BigInt64Array.of(-1n, 2n ** 62n + 5n, -(2n ** 63n)) }],
    ['h', { type: 'float16', dims: [2], data: Uint16Array.of(0x3c00, 0xc000) }],
    ['flags', { type: 'bool', dims: [2, 1], data: Uint8Array.of(1, 0) }],
    ['names', { type: 'string', dims: [2], data: ['ab', 'é'] }],
    ['nib', { type: 'int4', dims: [3], data: Int8Array.of(-8, 7, -1) }],
    ['d', { type: 'float64', dims: [], data: Float64Array.of(Math.PI) }],
    ['u', { type: 'uint16', dims: [2], data: Uint16Array.of(65535, 1) }],
  ];
  for (const [k, t] of inits) g.initializers.set(k, t);

  const body = new Graph();
  body.metadata.graphName = 'then_branch';
  body.inputs = [];
  body.outputs = [{ name: 'tb', dtype: 'float32', shape: [4], kind: 'tensor' }];
  body.nodes = [{ name: 'inner', opType: 'Identity', domain: '', inputs: ['w'], outputs: ['tb'], attributes: new Map() }];

  const attrs = new Map<string, Attribute>([
    ['i', { type: 'int', value: -3 }], ['f', { type: 'float', value: 0.5 }], ['s', { type: 'string', value: 'hello' }],
    ['is', { type: 'ints', value: [1, -2, 3] }], ['fs', { type: 'floats', value: [0.25, -1.5] }],
    ['ss', { type: 'strings', value: ['a', 'bc'] }],
    ['t', { type: 'tensor', value: { type: 'int32', dims: [2], data: Int32Array.of(7, -7) } }],
    ['g', { type: 'graph', value: body }],
  ]);
  g.nodes = [
    { name: 'add', opType: 'Add', domain: '', inputs: ['x', 'w'], outputs: ['s1'], attributes: new Map() },
    { name: 'custom', opType: 'Thing', domain: 'com.example', inputs: ['s1', '', 'big'], outputs: ['y', ''], attributes: attrs },
  ];
  g.valueInfo.set('s1', { name: 's1', dtype: 'float32', shape: ['N', 3, 4], kind: 'tensor' });
  return g;
}

test('export then import gives the same graph', () => {
  const g = sampleGraph();
  const back = importOnnx(exportOnnx(g));
  assert.deepEqual([...back.opsets], [['', 17], ['com.example', 1]]);
  assert.deepEqual(back.metadata, g.metadata);
  assert.deepEqual(back.inputs, g.inputs);
  assert.deepEqual(back.outputs, g.outputs);
  assert.deepEqual(back.valueInfo.get('s1'), g.valueInfo.get('s1'));
  assert.deepEqual([...back.initializers.keys()].sort(), [...g.initializers.keys()].sort());
  for (const [k, t] of g.initializers) assert.deepEqual(back.initializers.get(k), t, k);
  assert.equal(back.nodes.length, 2);
  const [add, custom] = back.nodes;
  assert.deepEqual({ ...add!, attributes: [...add!.attributes] }, { ...g.nodes[0]!, attributes: [] });
  assert.equal(custom!.opType, 'Thing');
  assert.equal(custom!.domain, 'com.example');
  assert.deepEqual(custom!.inputs, ['s1', '', 'big']);
  assert.deepEqual(custom!.outputs, ['y', '']);
  const a = custom!.attributes;
  assert.deepEqual(a.get('i'), { type: 'int', value: -3 });
  assert.deepEqual(a.get('f'), { type: 'float', value: 0.5 });
  assert.deepEqual(a.get('s'), { type: 'string', value: 'hello' });
  assert.deepEqual(a.get('is'), { type: 'ints', value: [1, -2, 3] });
  assert.deepEqual(a.get('fs'), { type: 'floats', value: [0.25, -1.5] });
  assert.deepEqual(a.get('ss'), { type: 'strings', value: ['a', 'bc'] });
  assert.deepEqual(a.get('t'), { type: 'tensor', value: { type: 'int32', dims: [2], data: Int32Array.of(7, -7) } });
  const sg = a.get('g');
  assert.ok(sg?.type === 'graph');
  assert.equal(sg.value.metadata.graphName, 'then_branch');
  assert.deepEqual(sg.value.outputs, body().outputs);
  assert.equal(sg.value.nodes[0]!.opType, 'Identity');
  assert.deepEqual(sg.value.nodes[0]!.inputs, ['w']);

  function body() { return (g.nodes[1]!.attributes.get('g') as { value: Graph }).value; }
});

test('exported bytes have the expected ModelProto header fields', () => {
  const bytes = exportOnnx(sampleGraph());
  // Field 1 (ir_version, varint): tag 0x08 then 9.
  assert.equal(bytes[0], 0x08);
  assert.equal(bytes[1], 9);
});

test('int64 initializers are written little-endian in raw_data', () => {
  const g = new Graph();
  g.opsets.set('', 13);
  g.initializers.set('k', { type: 'int64', dims: [1], data: BigInt64Array.of(0x0102030405060708n) });
  g.outputs = [{ name: 'k', dtype: 'int64', shape: [1] }];
  const bytes = exportOnnx(g);
  const needle = [8, 7, 6, 5, 4, 3, 2, 1];
  const at = bytes.findIndex((_, i) => needle.every((b, j) => bytes[i + j] === b));
  assert.ok(at > 0, 'little-endian bytes of the value present');
});

test('exporting a graph without opsets fails clearly', () => {
  assert.throws(() => exportOnnx(new Graph()), /no opset/);
});

test('unnamed dims (importer ?k placeholders) are written without dim_param', () => {
  const g = new Graph();
  g.opsets.set('', 13);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: ['?7', 2] }];
  g.outputs = [{ name: 'x', dtype: 'float32', shape: ['?7', 2] }];
  const back = importOnnx(exportOnnx(g));
  const d0 = back.inputs[0]!.shape![0];
  assert.equal(typeof d0, 'string');
  assert.ok(String(d0).startsWith('?'));
  assert.equal(back.inputs[0]!.shape![1], 2);
});

test('sequence and optional graph values keep their kind through export and import', () => {
  const g = new Graph();
  g.opsets.set('', 18);
  g.inputs = [{ name: 's', kind: 'sequence', dtype: 'float32' }, { name: 'o', kind: 'optional' }];
  g.outputs = [{ name: 'h', dtype: 'bool', shape: [] }, { name: 's2', kind: 'sequence' }];
  g.nodes = [
    { name: 'has', opType: 'OptionalHasElement', domain: '', inputs: ['o'], outputs: ['h'], attributes: new Map() },
    { name: 'id', opType: 'Identity', domain: '', inputs: ['s'], outputs: ['s2'], attributes: new Map() },
  ];
  const back = importOnnx(exportOnnx(g));
  assert.deepEqual(back.inputs.map((v) => [v.name, v.kind]), [['s', 'sequence'], ['o', 'optional']]);
  assert.deepEqual(back.outputs.map((v) => [v.name, v.kind]), [['h', 'tensor'], ['s2', 'sequence']]);
});
