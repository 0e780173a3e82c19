/**
 * The real models in `../shared/testdata/models/onnx/` that ship an input, optimized at level
 * `all` for [onednn, js], with every node the onednn backend supports compiled as one segment,
 * against the js backend (relative error 1e-4). Skips, saying why, when the addon or the data is
 * unavailable.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createJsBackend } from '../js/index.js';
import { decodeTensorProto } from '../../importers/onnx/tensor-proto.js';
import type { TensorData } from '../../ir/tensor-data.js';
import { loadGraph, optimizeLoaded } from '../../runtime/prepare.js';
import { sharedTestdata, skipUnless } from '../../testing/paths.js';
import { createOnednnBackend } from './index.js';
import { loadOnednnAddon } from './native.js';
import { compareSegmentWithJs, segmentOf } from './segment-testing.js';

const load = loadOnednnAddon();
const models = join(sharedTestdata(), 'models', 'onnx');

const CASES: [string, string][] = [
  ['mnist-8_cntk', 'mnist.onnx'],
  ['super_resolution_10', 'super-resolution-10.onnx'],
  ['msra_190729_bg_segmentation', 'msra_190729.onnx'],
];

for (const [dir, file] of CASES) {
  const skip = 'unavailable' in load ? load.unavailable : skipUnless(join(models, dir, file));
  test(`onednn real model ${dir}: supported nodes as one segment match js`, { skip }, async () => {
    const onednn = createOnednnBackend({ intraOpNumThreads: 2 });
    try {
      const loaded = await loadGraph(join(models, dir, file));
      optimizeLoaded(loaded, 'all', [onednn, createJsBackend()]);
      const g = loaded.graph;
      const seg = segmentOf(g);
      assert.ok(seg.nodes.length > 0, 'some nodes run on onednn');
      const x = decodeTensorProto(readFileSync(join(models, dir, 'test_data_set_0', 'input_0.pb'))) as TensorData;
      const errs = await compareSegmentWithJs(g, seg, { [g.inputs[0]!.name]: x }, onednn);
      for (const [k, e] of errs.entries()) assert.ok(e < 1e-4, `${seg.outputs[k]}: relative error ${e}`);
    } finally {
      await onednn.dispose?.();
    }
  });
}
