import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose, decomposeFused, randomF32, runOrt } from '../backends/js/kernels/optiflow-fused-testutil.js';
import { exportOnnx } from '../exporters/onnx/export.js';
import { InferenceSession } from '../index.js';
import type { Graph, Node } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor-data.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { GraphBuilder } from '../zoo/builder.js';
import { deadCodeElimination } from './dce.js';
import { ACTIVATION_FUSION_RULES } from './fuse-activation.js';
import { ruleSetPass, runPasses, type ReplacementOracle } from './pass-manager.js';

const REGISTRY = new OpRegistry(ALL_SCHEMAS);
const infer = (g: Graph) => inferGraph(g, checkOps(g, REGISTRY));

/** Builds a graph (outputs declared by name; their types come from inference). */
function graph(opset: number, body: (b: GraphBuilder, rnd: (dims: number[]) => string) => string[], extra: Record<string, number> = {}): Graph {
  const b = new GraphBuilder('g', { '': opset, ...extra });
  let seed = 100;
  const outs = body(b, (dims) => b.initializer('w', randomF32(dims, seed++, -0.5, 0.5)));
  const g = b.build();
  g.outputs = outs.map((name) => ({ name }));
  infer(g);
  for (const o of g.outputs) Object.assign(o, g.valueInfo.get(o.name));
  return g;
}

/** Runs the activation-fusion pass (with DCE and re-inference) like the extended pipeline does. */
function fuse(g: Graph, canReplace: ReplacementOracle = () => true): string[] {
  return runPasses(g, [ruleSetPass('fuse-activation', ACTIVATION_FUSION_RULES), deadCodeElimination],
    { verify: true, context: { canReplace }, afterPass: infer });
}

const ops = (g: Graph) => g.nodes.map((n) => (n.domain ? `${n.domain}::${n.opType}` : n.opType));
const attr = (n: Node, k: string) => n.attributes.get(k)?.value;

/**
 * Numeric equality of the whole graph before and after: the original on optiflow (level
 * 'disabled') and on onnxruntime, the rewritten graph on optiflow, and the rewritten graph's
 * decomposition on onnxruntime.
 */
async function equivalent(make: () => Graph, rewritten: Graph, feeds: Record<string, TensorData>): Promise<void> {
  const original = make();
  const run = async (g: Graph) => (await InferenceSession.create(exportOnnx(g), { graphOptimizationLevel: 'disabled' })).run(feeds);
  const before = await run(original);
  // An original with optiflow ops (made by other passes) only runs here: take its optiflow output.
  const want = original.opsets.has('optiflow')
    ? Object.fromEntries(Object.entries(before).map(([k, t]) => [k, t.data as Float32Array]))
    : await runOrt(original, feeds);
  const after = await run(rewritten);
  decomposeFused(rewritten);
  const decomposed = await runOrt(rewritten, feeds);
  for (const o of original.outputs) {
    assertClose(before[o.name]!.data as Float32Array, want[o.name]!, 1e-4, `original ${o.name}`);
    assertClose(after[o.name]!.data as Float32Array, want[o.name]!, 1e-4, `fused ${o.name}`);
    assertClose(decomposed[o.name]!, want[o.name]!, 1e-4, `decomposed ${o.name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Conv

const resnetBlock = (swap: boolean) => () => graph(17, (b, w) => {
  const x = b.input('x', 'float32', [1, 4, 6, 6]);
  const r1 = b.op('Relu', [b.op('Conv', [x, w([4, 4, 3, 3]), w([4])], { pads: [1, 1, 1, 1] })]);
  const c2 = b.op('Conv', [r1, w([4, 4, 3, 3]), w([4])], { pads: [1, 1, 1, 1] });
  return [b.op('Relu', [b.op('Add', swap ? [x, c2] : [c2, x])])];
});

test('ResNet block: Conv → Relu and Conv → Add(residual) → Relu become FusedConvs', async () => {
  for (const swap of [false, true]) {
    const g = resnetBlock(swap)();
    fuse(g);
    assert.deepEqual(ops(g), ['optiflow::FusedConv', 'optiflow::FusedConv']);
    assert.equal(g.opsets.get('optiflow'), 1);
    const [f1, f2] = g.nodes as [Node, Node];
    assert.equal(attr(f1, 'activation'), 'Relu');
    assert.equal(attr(f2, 'activation'), 'Relu');
    assert.equal(f2.inputs[3], 'x');
    assert.equal(f2.inputs[0], f1.outputs[0]);
    await equivalent(resnetBlock(swap), g, { x: randomF32([1, 4, 6, 6], 1) });
  }
});

test('Conv → Add(residual) without activation; FusedConv then an activation', async () => {
  const make = () => graph(17, (b, w) => {
    const x = b.input('x', 'float32', [2, 3, 5, 5]);
    const z = b.input('z', 'float32', [2, 2, 3, 3]);
    return [b.op('Add', [b.op('Conv', [x, w([2, 3, 3, 3])]), z])];
  });
  const g = make();
  fuse(g);
  assert.deepEqual(ops(g), ['optiflow::FusedConv']);
  assert.deepEqual(g.nodes[0]!.inputs.slice(2), ['', 'z']);
  assert.equal(g.nodes[0]!.attributes.has('activation'), false);
  await equivalent(make, g, { x: randomF32([2, 3, 5, 5], 2), z: randomF32([2, 2, 3, 3], 3) });

  const make2 = () => graph(17, (b, w) => {
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const f = b.op('FusedConv', [x, w([3, 2, 1, 1]), w([3])], {}, { domain: 'optiflow' });
    return [b.op('Sigmoid', [f])];
  }, { optiflow: 1 });
  const h = make2();
  fuse(h);
  assert.deepEqual(ops(h), ['optiflow::FusedConv']);
  assert.equal(attr(h.nodes[0]!, 'activation'), 'Sigmoid');
  await equivalent(make2, h, { x: randomF32([1, 2, 4, 4], 4) });
});

test('every activation fuses into Conv, at the opset it needs (Clip bounds from inputs and attributes)', async () => {
  const acts: [number, string, (b: GraphBuilder, c: string) => string, string, number[]][] = [
    [20, 'Gelu', (b, c) => b.op('Gelu', [c], { approximate: 'tanh' }), 'Gelu', [1]],
    [20, 'Gelu erf', (b, c) => b.op('Gelu', [c]), 'Gelu', [0]],
    [14, 'HardSwish', (b, c) => b.op('HardSwish', [c]), 'HardSwish', []],
    [13, 'HardSigmoid', (b, c) => b.op('HardSigmoid', [c], { alpha: 0.3, beta: 0.6 }), 'HardSigmoid', [0.3, 0.6]],
    [13, 'LeakyRelu', (b, c) => b.op('LeakyRelu', [c], { alpha: 0.2 }), 'LeakyRelu', [0.2]],
    [13, 'Tanh', (b, c) => b.op('Tanh', [c]), 'Tanh', []],
    [13, 'Clip', (b, c) => b.op('Clip', [c, b.scalar('lo', -0.25), b.scalar('hi', 0.5)]), 'Clip', [-0.25, 0.5]],
    [13, 'Clip max only', (b, c) => b.op('Clip', [c, '', b.scalar('hi', 0.5)]), 'Clip', [-Infinity, 0.5]],
    [10, 'Clip attrs', (b, c) => b.op('Clip', [c], { min: { type: 'float', value: 0 }, max: 0.375 }), 'Clip', [0, 0.375]],
  ];
  for (const [opset, what, act, kind, params] of acts) {
    const make = () => graph(opset, (b, w) => {
      const x = b.input('x', 'float32', [1, 3, 5, 4]);
      return [act(b, b.op('Conv', [x, w([4, 3, 2, 2]), w([4])], { strides: [2, 1] }))];
    });
    const g = make();
    fuse(g);
    assert.deepEqual(ops(g), ['optiflow::FusedConv'], what);
    assert.equal(attr(g.nodes[0]!, 'activation'), kind, what);
    assert.deepEqual(attr(g.nodes[0]!, 'activation_params') ?? [], params, what);
    await equivalent(make, g, { x: randomF32([1, 3, 5, 4], 5, -2, 2) });
  }
});

// ---------------------------------------------------------------------------------------------
// Gemm and MatMul

test('Gemm → activation becomes FusedGemm', async () => {
  const make = () => graph(13, (b, w) => {
    const a = b.input('a', 'float32', [3, 5]);
    return [b.op('Tanh', [b.op('Gemm', [a, w([4, 5]), w([4])], { transB: 1, alpha: 0.5 })])];
  });
  const g = make();
  fuse(g);
  assert.deepEqual(ops(g), ['optiflow::FusedGemm']);
  assert.equal(attr(g.nodes[0]!, 'transB'), 1);
  await equivalent(make, g, { a: randomF32([3, 5], 6) });
});

test('MatMul → Add(bias) → activation becomes FusedMatMul; a [1, 1, N] bias is made 1-D', async () => {
  for (const [opset, biasDims, act] of [[20, [6], 'Gelu'], [14, [1, 1, 6], 'HardSwish'], [13, [1, 6], '']] as const) {
    const make = () => graph(opset, (b, w) => {
      const a = b.input('a', 'float32', [2, 3, 8]);
      const y = b.op('Add', [w([...biasDims]), b.op('MatMul', [a, w([8, 6])])]);
      return [act ? b.op(act, [y]) : y];
    });
    const g = make();
    fuse(g);
    assert.deepEqual(ops(g), ['optiflow::FusedMatMul']);
    const bias = g.initializers.get(g.nodes[0]!.inputs[2]!)!;
    assert.deepEqual(bias.dims, [6]);
    assert.equal(attr(g.nodes[0]!, 'activation'), act || undefined);
    await equivalent(make, g, { a: randomF32([2, 3, 8], 7) });
  }
});

test('2-D MatMul + Add(bias) becomes a standard Gemm, or FusedGemm when an activation follows', async () => {
  for (const act of ['', 'LeakyRelu']) {
    const make = () => graph(13, (b, w) => {
      const a = b.input('a', 'float32', [5, 7]);
      const y = b.op('Add', [b.op('MatMul', [a, w([7, 3])]), w([1, 3])]);
      return [act ? b.op(act, [y], { alpha: 0.1 }) : y];
    });
    const g = make();
    fuse(g);
    assert.deepEqual(ops(g), [act ? 'optiflow::FusedGemm' : 'Gemm']);
    assert.equal(g.opsets.has('optiflow'), act !== '');
    await equivalent(make, g, { a: randomF32([5, 7], 8) });
  }
});

test('optiflow::Gelu (from the GELU pattern fusion) fuses like Gelu-20', async () => {
  const make = () => graph(17, (b, w) => {
    const a = b.input('a', 'float32', [2, 3, 8]);
    const y = b.op('Add', [b.op('MatMul', [a, w([8, 6])]), w([6])]);
    return [b.op('Gelu', [y], { approximate: 'tanh' }, { domain: 'optiflow' })];
  }, { optiflow: 1 });
  const g = make();
  fuse(g);
  assert.deepEqual(ops(g), ['optiflow::FusedMatMul']);
  assert.deepEqual(attr(g.nodes[0]!, 'activation_params'), [1]);
  await equivalent(make, g, { a: randomF32([2, 3, 8], 10) });
});

// ---------------------------------------------------------------------------------------------
// Where nothing may fire

test('no fusion when an intermediate has another reader or is a graph output', () => {
  const twoReaders = graph(17, (b, w) => {
    const c = b.op('Conv', [b.input('x', 'float32', [1, 2, 4, 4]), w([2, 2, 1, 1])]);
    return [b.op('Relu', [c]), b.op('Sigmoid', [c])];
  });
  fuse(twoReaders);
  assert.deepEqual(ops(twoReaders), ['Conv', 'Relu', 'Sigmoid']);
  const output = graph(17, (b, w) => {
    const c = b.op('Conv', [b.input('x', 'float32', [1, 2, 4, 4]), w([2, 2, 1, 1])]);
    return [b.op('Relu', [c]), c];
  });
  fuse(output);
  assert.deepEqual(ops(output), ['Conv', 'Relu']);
  // The Add's output is also a graph output: Conv + Add fuse, the Relu stays.
  const addOut = graph(17, (b, w) => {
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const a = b.op('Add', [b.op('Conv', [x, w([2, 2, 1, 1])]), x]);
    return [b.op('Relu', [a]), a];
  });
  fuse(addOut);
  assert.deepEqual(ops(addOut), ['optiflow::FusedConv', 'Relu']);
  assert.equal(addOut.nodes[0]!.attributes.has('activation'), false);
});

test('no fusion for non-constant Clip bounds, non-float32 values, constant or broadcast residuals, non-constant bias', () => {
  const cases: Graph[] = [
    graph(13, (b, w) => {
      const c = b.op('Conv', [b.input('x', 'float32', [1, 2, 4, 4]), w([2, 2, 1, 1])]);
      return [b.op('Clip', [c, b.input('lo', 'float32', [])])];
    }),
    graph(13, (b) => {
      const w = b.initializer('w', { type: 'float64', dims: [2, 2, 1, 1], data: Float64Array.of(1, 2, 3, 4) });
      return [b.op('Relu', [b.op('Conv', [b.input('x', 'float64', [1, 2, 4, 4]), w])])];
    }),
    graph(13, (b, w) => [b.op('Add', [b.op('Conv', [b.input('x', 'float32', [1, 2, 4, 4]), w([2, 2, 1, 1])]), w([1, 2, 4, 4])])]),
    graph(13, (b, w) => [b.op('Add', [b.op('Conv', [b.input('x', 'float32', [1, 2, 4, 4]), w([2, 2, 1, 1])]), b.input('z', 'float32', [1, 2, 1, 1])])]),
    graph(13, (b, w) => [b.op('Add', [b.op('MatMul', [b.input('a', 'float32', [3, 4]), w([4, 2])]), b.input('bias', 'float32', [2])])]),
    graph(13, (b, w) => [b.op('Add', [b.op('MatMul', [b.input('a', 'float32', [3, 4]), w([4, 2])]), w([3, 2])])]),
  ];
  for (const [i, g] of cases.entries()) {
    const before = ops(g);
    fuse(g);
    assert.deepEqual(ops(g), before, `case ${i}`);
    assert.equal(g.opsets.has('optiflow'), false, `case ${i}`);
  }
});

test('the capability oracle is asked with the fused node and the anchor, and a refusal keeps the graph', () => {
  const asked: [string, string][] = [];
  const g = resnetBlock(false)();
  const before = ops(g);
  fuse(g, (r, o) => { asked.push([r.opType, o.opType]); return false; });
  assert.deepEqual(ops(g), before);
  assert.equal(g.opsets.has('optiflow'), false);
  assert.ok(asked.length >= 2 && asked.every(([r, o]) => r === 'FusedConv' && o === 'Conv'), JSON.stringify(asked));
});

test('an Add absorbed by the activation after it is not fused on its own (no dead intermediate)', () => {
  const g = resnetBlock(false)();
  ruleSetPass('fuse-activation', ACTIVATION_FUSION_RULES).run(g);
  // The Add was left as is (dead now, for DCE) rather than replaced by a FusedConv nobody reads.
  assert.deepEqual(ops(g), ['Conv', 'optiflow::FusedConv', 'Conv', 'Add', 'optiflow::FusedConv']);
});

test('a session at level extended fuses through the real capability oracle and matches level disabled', async () => {
  const g = resnetBlock(false)();
  const y = g.outputs[0]!.name;
  const bytes = exportOnnx(g);
  const feeds = { x: randomF32([1, 4, 6, 6], 9) };
  const fused = await InferenceSession.create(bytes, { graphOptimizationLevel: 'extended' });
  assert.deepEqual(fused.placements.map((p) => p.opType), ['FusedConv', 'FusedConv']);
  const plain = await InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  assertClose((await fused.run(feeds))[y]!.data as Float32Array, (await plain.run(feeds))[y]!.data as Float32Array, 1e-5, 'extended vs disabled');
});
