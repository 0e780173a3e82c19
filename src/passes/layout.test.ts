import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { nodeEvaluator } from '../runtime/evaluate.js';
import { GraphBuilder } from '../zoo/builder.js';
import { ZOO } from '../zoo/index.js';
import { deadCodeElimination } from './dce.js';
import { anchorProbe, findLayoutRegions, layoutPass, permuteConstantToNhwc } from './layout.js';
import { countOps, decomposeOptiflow, inferLayout, LAYOUT_TEST_REGISTRY, layoutTestBackend, NHWC_EVERYWHERE, opsOf, runJs } from './layout-testing.js';
import { runPasses, type PassContext } from './pass-manager.js';
import { optimizeGraph } from './pipelines.js';
import { assertClose, f32, runOrt } from './rewrite-testing.js';

/** Builds a graph with seeded float32 weights; outputs declared by name. */
function graph(body: (b: GraphBuilder, w: (dims: number[]) => string) => string[]): Graph {
  const b = new GraphBuilder('g', { '': 17 });
  let seed = 50;
  const outs = body(b, (dims) => b.initializer('w', f32(dims, undefined, seed++)));
  const g = b.build();
  g.outputs = outs.map((name) => ({ name }));
  inferLayout(g);
  return g;
}

/** The layout pass alone, with the verifier and re-inference, as the pipeline runs it. */
function layout(g: Graph, pc: PassContext = NHWC_EVERYWHERE): string[] {
  return runPasses(g, [layoutPass, deadCodeElimination], { verify: true, context: pc, afterPass: inferLayout });
}

const perm = (n: Node | undefined) => n?.attributes.get('perm')?.value;
const transposes = (g: Graph) => g.nodes.filter((n) => n.opType === 'Transpose');
const producer = (g: Graph, v: string) => g.nodes.find((n) => n.outputs.includes(v));

/**
 * Runs the original and the rewritten graph on the js backend (1e-5) and, as an independent
 * check, the rewritten graph's standard-ONNX decomposition against the original on onnxruntime.
 */
async function sameOutputs(make: () => Graph, rewritten: Graph, feeds: Record<string, TensorData>): Promise<void> {
  const before = await runJs(make(), feeds);
  const after = await runJs(rewritten, feeds);
  const ortBefore = await runOrt(make(), feeds);
  decomposeOptiflow(rewritten);
  const ortAfter = await runOrt(rewritten, feeds);
  for (const k of Object.keys(before)) {
    assertClose(after[k]!, before[k]!, 1e-5, 1e-5, `js ${k}`);
    assertClose(ortAfter[k]!, ortBefore[k]!, 1e-5, 1e-5, `onnxruntime ${k}`);
  }
}

// Conv → Relu → Conv → Add(residual) → Relu → Conv → Mul([C,1,1]) → Add([1,C,1,1]) → Add([C,H,W])
const chain = () => graph((b, w) => {
  const x = b.input('x', 'float32', [2, 4, 6, 6]);
  const r1 = b.op('Relu', [b.op('Conv', [x, w([4, 4, 3, 3]), w([4])], { pads: [1, 1, 1, 1] })]);
  const c2 = b.op('Conv', [r1, w([4, 4, 3, 3])], { pads: [1, 1, 1, 1] });
  const y = b.op('Relu', [b.op('Add', [c2, r1])], {}, { output: 'y' });
  const c3 = b.op('Conv', [y, w([4, 4, 1, 1]), w([4])]);
  const m = b.op('Mul', [c3, b.float('scale', [4, 1, 1], [1, 2, 3, 4])]);
  const a = b.op('Add', [m, b.float('shift', [1, 4, 1, 1], [0.5, -0.5, 0.25, -0.25])]);
  b.op('Add', [a, b.initializer('plane', f32([4, 6, 6], undefined, 7))], {}, { output: 'z' });
  return ['y', 'z'];
});

test('a Conv → Relu → Conv → Add(residual) → Relu chain becomes one NHWC region with transposes only at its edges', async () => {
  const g = chain();
  assert.deepEqual(layout(g), ['layout-nhwc', 'dead-code-elimination']);
  assert.equal(countOps(g, 'optiflow::NhwcConv'), 3);
  assert.equal(countOps(g, 'Conv'), 0);
  // One transpose in (x), one per value read outside (the graph outputs y and z).
  const ts = transposes(g);
  assert.equal(ts.length, 3);
  assert.deepEqual(ts.filter((t) => t.inputs[0] === 'x').map(perm), [[0, 2, 3, 1]]);
  assert.deepEqual(perm(producer(g, 'y')), [0, 3, 1, 2]);
  assert.deepEqual(perm(producer(g, 'z')), [0, 3, 1, 2]);
  assert.deepEqual(g.outputs.map((o) => o.name), ['y', 'z']);
  assert.deepEqual(g.valueInfo.get('y')?.shape, [2, 4, 6, 6]);
  // y is also read inside the region (by the third Conv) in NHWC, not through its NCHW copy.
  const third = g.nodes.filter((n) => n.opType === 'NhwcConv')[2]!;
  assert.equal(producer(g, third.inputs[0]!)?.opType, 'Relu');
  assert.deepEqual(g.valueInfo.get(third.inputs[0]!)?.shape, [2, 6, 6, 4]);
  // The residual Add reads both operands in NHWC.
  const add = producer(g, producer(g, third.inputs[0]!)!.inputs[0]!)!;
  assert.deepEqual(add.inputs.map((v) => g.valueInfo.get(v)?.shape), [[2, 6, 6, 4], [2, 6, 6, 4]]);
  await sameOutputs(chain, g, { x: f32([2, 4, 6, 6], undefined, 3) });
});

test('per-channel and plane constants are permuted into new NHWC initializers', () => {
  const g = chain();
  layout(g);
  const constOf = (name: string) => {
    const n = g.nodes.find((x) => x.inputs.some((i) => i.startsWith(`${name}/nhwc`)))!;
    return g.initializers.get(n.inputs.find((i) => i.startsWith(`${name}/nhwc`))!)!;
  };
  assert.deepEqual(constOf('scale').dims, [1, 1, 4]);
  assert.deepEqual([...constOf('scale').data as Float32Array], [1, 2, 3, 4]);
  assert.deepEqual(constOf('shift').dims, [1, 1, 1, 4]);
  const plane = constOf('plane');
  assert.deepEqual(plane.dims, [6, 6, 4]);
  const src = chain().initializers.get('plane')!.data as Float32Array;
  // NHWC [h][w][c] = NCHW [c][h][w], checked at a few positions.
  for (const [c, h, w] of [[0, 0, 0], [3, 5, 5], [1, 2, 4], [2, 5, 0]] as const) {
    assert.equal((plane.data as Float32Array)[(h * 6 + w) * 4 + c], src[(c * 6 + h) * 6 + w]);
  }
  // Scalars and one-element values stay as they are.
  const s = permuteConstantToNhwc({ type: 'float32', dims: [2, 3, 1, 1], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  assert.deepEqual(s.dims, [2, 1, 1, 3]);
  assert.deepEqual([...s.data as Float32Array], [1, 2, 3, 4, 5, 6]);
});

test('without an NHWC preference the pass changes nothing', () => {
  for (const pc of [{ canReplace: () => true }, { canReplace: () => true, preferredLayout: () => 'NCHW' as const }]) {
    const g = chain();
    const nodes = [...g.nodes];
    const inits = [...g.initializers.keys()];
    assert.deepEqual(layout(g, pc), []);
    assert.equal(g.nodes.length, nodes.length);
    g.nodes.forEach((n, i) => assert.equal(n, nodes[i]));
    assert.deepEqual([...g.initializers.keys()], inits);
  }
});

test('a node the region does not support (Reshape, MaxPool, Flatten) ends it, with transposes there', async () => {
  for (const middle of ['Reshape', 'MaxPool', 'Flatten'] as const) {
    const make = () => graph((b, w) => {
      const x = b.input('x', 'float32', [1, 4, 8, 8]);
      const c1 = b.op('Relu', [b.op('Conv', [x, w([4, 4, 3, 3])], { pads: [1, 1, 1, 1] })]);
      const c2 = b.op('Conv', [c1, w([4, 4, 3, 3]), w([4])], { pads: [1, 1, 1, 1] });
      const cut = middle === 'Reshape' ? b.op('Reshape', [c2, b.int64('shape', [1, 8, 4, 8])], {}, { output: 'cut' })
        : middle === 'MaxPool' ? b.op('MaxPool', [c2], { kernel_shape: [2, 2], strides: [2, 2] }, { output: 'cut' })
          : b.op('Reshape', [b.op('Flatten', [c2], { axis: 2 }), b.int64('shape', [1, 4, 8, 8])], {}, { output: 'cut' });
      const c3 = b.op('Relu', [b.op('Conv', [cut, w([4, middle === 'Reshape' ? 8 : 4, 3, 3])], { pads: [1, 1, 1, 1] })]);
      return [b.op('Conv', [c3, w([2, 4, 1, 1])], {}, { output: 'y' })];
    });
    const g = make();
    layout(g);
    assert.equal(countOps(g, 'optiflow::NhwcConv'), 4, middle);
    // Two regions: in/out transposes around each.
    assert.equal(transposes(g).length, 4, middle);
    const cutter = g.nodes.find((n) => n.opType === middle)!;
    assert.deepEqual(perm(producer(g, cutter.inputs[0]!)), [0, 3, 1, 2], `${middle} reads NCHW`);
    const reader = g.nodes.find((n) => n.inputs[0] === 'cut')!;
    assert.equal(reader.opType, 'Transpose', `${middle}'s output is transposed into the next region`);
    assert.deepEqual(perm(reader), [0, 2, 3, 1]);
    await sameOutputs(make, g, { x: f32([1, 4, 8, 8], undefined, 5) });
  }
});

test('regions needing more transposes than Convs stay NCHW; rejected replacements keep the Conv', () => {
  // One Conv between an input and an outside reader: 2 transposes for 1 Conv.
  const single = () => graph((b, w) => {
    const x = b.input('x', 'float32', [1, 3, 5, 5]);
    return [b.op('MaxPool', [b.op('Relu', [b.op('Conv', [x, w([4, 3, 3, 3])])])], { kernel_shape: [2, 2] })];
  });
  const g = single();
  assert.deepEqual(layout(g), []);
  const [r] = findLayoutRegions(g, anchorProbe(g, NHWC_EVERYWHERE));
  assert.equal(r!.convs, 1);
  assert.deepEqual([r!.inputs.length, r!.outputs.length, r!.accepted], [1, 1, false]);

  const h = chain();
  const asked: string[] = [];
  assert.deepEqual(layout(h, { ...NHWC_EVERYWHERE, canReplace: (rep, orig) => { asked.push(`${rep.opType}<-${orig.opType}`); return false; } }), []);
  assert.deepEqual([...new Set(asked)], ['NhwcConv<-Conv']);
  assert.equal(countOps(h, 'Conv'), 3);
});

test('operands that cannot follow the layout keep their node out of the region', () => {
  const g = graph((b, w) => {
    const x = b.input('x', 'float32', [1, 4, 4, 4]);
    const row = b.input('row', 'float32', [4, 4]); // a non-constant [H, W]: would need a Reshape
    const c1 = b.op('Conv', [x, w([4, 4, 3, 3])], { pads: [1, 1, 1, 1] });
    const c2 = b.op('Conv', [c1, w([4, 4, 3, 3])], { pads: [1, 1, 1, 1] });
    const c3 = b.op('Conv', [c2, w([4, 4, 1, 1])]);
    return [b.op('Add', [c3, row], {}, { output: 'y' })];
  });
  layout(g);
  assert.equal(countOps(g, 'optiflow::NhwcConv'), 3);
  const add = g.nodes.find((n) => n.opType === 'Add')!;
  assert.deepEqual(add.inputs, [add.inputs[0], 'row']);
  assert.deepEqual(g.valueInfo.get(add.inputs[0]!)?.shape, [1, 4, 4, 4]);
  assert.deepEqual(perm(producer(g, add.inputs[0]!)), [0, 3, 1, 2]);
});

test('at level all, FusedConvs keep their activation and residual; a residual from outside is transposed in', async () => {
  const make = () => graph((b, w) => {
    const x = b.input('x', 'float32', [1, 3, 6, 6]);
    const zin = b.input('zin', 'float32', [1, 4, 6, 6]);
    const c1 = b.op('Relu', [b.op('Conv', [x, w([4, 3, 3, 3]), w([4])], { pads: [1, 1, 1, 1] })]);
    const c2 = b.op('Clip', [b.op('Conv', [c1, w([4, 4, 3, 3]), w([4])], { pads: [1, 1, 1, 1] }), b.scalar('lo', 0), b.scalar('hi', 0.5)]);
    const c3 = b.op('Conv', [c2, w([4, 4, 1, 1]), w([4])]);
    return [b.op('Relu', [b.op('Add', [c3, zin])], {}, { output: 'y' })];
  });
  const g = make();
  const backends = [layoutTestBackend()];
  optimizeGraph(g, 'all', {
    evaluate: nodeEvaluator(g, backends, LAYOUT_TEST_REGISTRY), registry: LAYOUT_TEST_REGISTRY, verify: true,
    preferredLayout: NHWC_EVERYWHERE.preferredLayout,
  });
  assert.deepEqual(opsOf(g), ['Transpose', 'optiflow::NhwcConv', 'optiflow::NhwcConv', 'Transpose', 'optiflow::NhwcConv', 'Transpose']);
  const [, f1, f2, tz, f3] = g.nodes as Node[];
  assert.deepEqual([f1, f2, f3].map((n) => n!.attributes.get('activation')?.value), ['Relu', 'Clip', 'Relu']);
  assert.deepEqual([tz!.inputs[0], perm(tz)], ['zin', [0, 2, 3, 1]]);
  assert.equal(f3!.inputs[3], tz!.outputs[0]);
  await sameOutputs(make, g, { x: f32([1, 3, 6, 6], undefined, 1), zin: f32([1, 4, 6, 6], undefined, 2) });
});

// ---------------------------------------------------------------------------------------------
// Whole pipeline on the zoo models

/**
 * Optimizes a zoo model at level 'all' (verifier on) with every Conv preferring NHWC, and compares
 * with level 'disabled' on the js backend. The image size is reduced to `size` (both models end in
 * global average pooling, so every layer is unchanged) to keep the test fast.
 */
async function zooCase(name: 'resnet50' | 'mobilenet_v1', size: number): Promise<Graph> {
  const g = ZOO[name]!.build();
  g.inputs[0]!.shape = ['N', 3, size, size];
  const feeds = { input: f32([1, 3, size, size], undefined, 9) };
  const before = await runJs(g, feeds);
  const applied = optimizeGraph(g, 'all', {
    evaluate: nodeEvaluator(g, [layoutTestBackend()], LAYOUT_TEST_REGISTRY), registry: LAYOUT_TEST_REGISTRY, verify: true,
    preferredLayout: NHWC_EVERYWHERE.preferredLayout,
  });
  assert.equal(applied.filter((p) => p === 'layout-nhwc').length, 1, 'the layout pass fires once, then finds nothing more');
  const after = await runJs(g, feeds);
  for (const k of Object.keys(before)) assertClose(after[k]!, before[k]!, 1e-4, 1e-4, `${name} ${k}`);
  return g;
}

test('ResNet-50 at level all with NHWC Convs: one region after the stem, two transposes, same logits', async () => {
  const g = await zooCase('resnet50', 32);
  // The stem (Conv+BN+Relu → MaxPool) would need 2 transposes for 1 Conv: it stays NCHW; the
  // other 52 Convs form one region from the MaxPool output (1 input) to the GlobalAveragePool
  // input (1 output): Transposes = 1 + 1.
  assert.equal(countOps(g, 'optiflow::NhwcConv'), 52);
  assert.equal(countOps(g, 'Transpose'), 2);
  const left = findLayoutRegions(g, anchorProbe(g, NHWC_EVERYWHERE)).filter((r) => r.convs > 0);
  assert.equal(left.length, 1);
  assert.deepEqual([left[0]!.convs, left[0]!.inputs.length, left[0]!.outputs.length, left[0]!.accepted], [1, 1, 1, false]);
  const [tin, tout] = transposes(g);
  assert.equal(producer(g, tin!.inputs[0]!)?.opType, 'MaxPool');
  assert.equal(g.nodes.find((n) => n.inputs[0] === tout!.outputs[0])?.opType, 'GlobalAveragePool');
  assert.ok(opsOf(g).every((o) => o !== 'Relu' && o !== 'Add'), 'residual Adds and Relus are fused into NhwcConv');
});

test('MobileNet v1 at level all with NHWC Convs: all 27 Convs in one region, two transposes, same probabilities', async () => {
  const g = await zooCase('mobilenet_v1', 64);
  // One region from the graph input (1 input) to the GlobalAveragePool input (1 output).
  assert.equal(countOps(g, 'optiflow::NhwcConv'), 27);
  assert.equal(countOps(g, 'Transpose'), 2);
  const [tin, tout] = transposes(g);
  assert.equal(tin!.inputs[0], 'input');
  assert.equal(g.nodes.find((n) => n.inputs[0] === tout!.outputs[0])?.opType, 'GlobalAveragePool');
});
