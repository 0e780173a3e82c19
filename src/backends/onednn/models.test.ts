/**
 * The built-in zoo models (batch 1 and 2), optimized at level `all` for [onednn, js], with every
 * node the onednn backend supports compiled as one segment, against the js backend (relative error
 * 1e-4). Skips, saying why, when the addon is unavailable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createJsBackend } from '../js/index.js';
import { exportOnnx } from '../../exporters/onnx/export.js';
import { loadGraph, optimizeLoaded } from '../../runtime/prepare.js';
import { ZOO } from '../../zoo/index.js';
import { createOnednnBackend } from './index.js';
import { loadOnednnAddon } from './native.js';
import { compareSegmentWithJs, segmentOf } from './segment-testing.js';

const load = loadOnednnAddon();
const skip = 'unavailable' in load ? load.unavailable : false;

const CASES: [string, number, number][] = [['mobilenet_v1', 1, 1], ['bert', 2, 0], ['resnet50', 1, 1]];

for (const [name, batch, minSegmentNodes] of CASES) {
  test(`onednn ${name} batch ${batch}: supported nodes as one segment match js`, { skip }, async () => {
    const onednn = createOnednnBackend({ intraOpNumThreads: 2 });
    try {
      const loaded = await loadGraph(exportOnnx(ZOO[name]!.build()));
      optimizeLoaded(loaded, 'all', [onednn, createJsBackend()]);
      const g = loaded.graph;
      const seg = segmentOf(g);
      assert.ok(seg.nodes.length >= g.nodes.length * minSegmentNodes - 0, `${seg.nodes.length} of ${g.nodes.length} nodes supported`);
      if (minSegmentNodes === 1) assert.equal(seg.nodes.length, g.nodes.length, 'every node of the CNN is supported');
      const errs = await compareSegmentWithJs(g, seg, ZOO[name]!.inputs(batch), onednn);
      for (const [k, e] of errs.entries()) assert.ok(e < 1e-4, `${seg.outputs[k]}: relative error ${e}`);
    } finally {
      await onednn.dispose?.();
    }
  });
}

// Below `all` the engines keep the model's NCHW layout between primitives (`layout: plain`) and,
// at `disabled`, run one primitive per node: both paths must give the same outputs.
const LEVEL_CASES: [string, 'disabled' | 'extended'][] = [['mobilenet_v1', 'disabled'], ['resnet50', 'disabled'], ['resnet50', 'extended'], ['bert', 'disabled']];
for (const [name, level] of LEVEL_CASES) {
  test(`onednn ${name} at graph optimization level ${level}: segment matches js`, { skip }, async () => {
    const onednn = createOnednnBackend({ intraOpNumThreads: 2, graphOptimizationLevel: level });
    try {
      const loaded = await loadGraph(exportOnnx(ZOO[name]!.build()));
      optimizeLoaded(loaded, level, [onednn, createJsBackend()]);
      const g = loaded.graph;
      const seg = segmentOf(g);
      const errs = await compareSegmentWithJs(g, seg, ZOO[name]!.inputs(1), onednn);
      for (const [k, e] of errs.entries()) assert.ok(e < 1e-4, `${seg.outputs[k]}: relative error ${e}`);
    } finally {
      await onednn.dispose?.();
    }
  });
}
