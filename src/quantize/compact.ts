/**
 * The last step of int8 quantization (`dynamic` and `static` modes): a compact encoding of the
 * quantized graph, without changing any value it computes. On a small model the graph's structure
 * weighs as much as its int8 weights (mnist-8: 5,960 weights, so 6 KB of int8 data next to ~2 KB of
 * names, nodes and attributes), so the file is kept lean:
 *
 * 1. Constants get short names. Every initializer that the quantizer did not name itself (the
 *    float model's own constants that stay float, such as biases and Reshape shapes, and those the
 *    rewrites before quantization made, such as a folded Conv bias `<conv>_Add_B`) is renamed to
 *    a short generated name (`c0`, `c1`, ...; see `names.ts`). Constants are the one kind of original
 *    name that is renamed: nothing outside the file refers to them (`--exclude` and reports name
 *    nodes; `compareLayers` and calibration caches name activations). Graph inputs and outputs,
 *    every activation tensor and every node keep their names.
 * 2. Attributes equal to their ONNX default are left out on the convolution and pooling ops
 *    ({@link DEFAULT_ATTRIBUTES}): a default-valued attribute means the same as an absent one.
 *
 * Sources: ONNX IR spec (names, optional attributes); ONNX operator spec (attribute defaults).
 * @module
 */
import type { Attribute, Graph } from '../ir/graph.js';
import { generatedNames, Namer, shortenInitializerNames } from './names.js';

/** A test for an attribute value equal to its default. */
type IsDefault = (a: Attribute) => boolean;
const allInts = (v: number): IsDefault => (a) => a.type === 'ints' && a.value.every((x) => x === v);
const int = (v: number): IsDefault => (a) => a.type === 'int' && a.value === v;
const notSet: IsDefault = (a) => a.type === 'string' && a.value === 'NOTSET';
const WINDOW: Readonly<Record<string, IsDefault>> = { strides: allInts(1), dilations: allInts(1), pads: allInts(0), auto_pad: notSet };

/**
 * Per ai.onnx op type, the attributes whose default is the same in every opset that has them and
 * whose default-valued form is left out: strides and dilations all 1, pads all 0, auto_pad
 * `NOTSET`, group 1, ceil_mode 0, storage_order 0, count_include_pad 0.
 */
export const DEFAULT_ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, IsDefault>>>> = {
  Conv: { ...WINDOW, group: int(1) },
  ConvInteger: { ...WINDOW, group: int(1) },
  QLinearConv: { ...WINDOW, group: int(1) },
  MaxPool: { ...WINDOW, ceil_mode: int(0), storage_order: int(0) },
  AveragePool: { ...WINDOW, ceil_mode: int(0), count_include_pad: int(0) },
};

/**
 * Removes the attributes of {@link DEFAULT_ATTRIBUTES} that hold their default, on the top-level
 * ai.onnx nodes of `g` (in place).
 * @returns the number of attributes removed
 */
export function dropDefaultAttributes(g: Graph): number {
  let removed = 0;
  for (const n of g.nodes) {
    const table = n.domain === '' || n.domain === 'ai.onnx' ? DEFAULT_ATTRIBUTES[n.opType] : undefined;
    if (!table) continue;
    for (const [k, a] of [...n.attributes]) {
      if (table[k]?.(a)) { n.attributes.delete(k); removed++; }
    }
  }
  return removed;
}

/**
 * The compact encoding of an int8-quantized graph (see the module comment), in place: short names
 * for constants not named by the quantizer, default-valued attributes left out.
 */
export function compactQuantized(g: Graph): void {
  shortenInitializerNames(g, generatedNames(g), new Namer(g));
  dropDefaultAttributes(g);
}
