/**
 * `wasm` kernels of per-tensor QuantizeLinear (float32 → uint8/int8) and DequantizeLinear
 * (uint8/int8 → float32, written straight into wasm memory for the next kernel), on
 * assembly/kernels/int8-quant.ts. Per-axis and blocked scales, `output_dtype` and `precision`
 * are declined (the `js` kernels run them).
 * Source: ONNX operator spec (QuantizeLinear, DequantizeLinear).
 * @module
 */
import { sizeOf } from '../../../ir/tensor-data.js';
import { DequantizeLinear, QuantizeLinear } from '../../../ops/cast-quant-linear.js';
import type { Support, SupportQuery } from '../../backend.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import { isSigned, numbersOf } from './int8-core.js';
import { withScratch } from './shape-util.js';

const BLOCK = 1024;

/** Per-tensor scale of float32, zero point 8-bit, no output_dtype / precision / block_size. */
function supportQuant(q: SupportQuery, x: readonly string[]): Support {
  const [xi, si, zi] = q.inputs;
  const why = (r: string): Support => ({ ok: false, reason: `wasm ${q.node.opType}: ${r}` });
  if (!xi || !x.includes(xi.dtype)) return why(`input must be ${x.join(' or ')}`);
  if (!si || si.dtype !== 'float32' || !si.shape || si.shape.some((d) => d !== 1)) return why('runs per-tensor float32 scales only');
  if (zi && zi.dtype !== 'uint8' && zi.dtype !== 'int8') return why('zero point must be uint8 or int8');
  for (const a of ['output_dtype', 'precision', 'block_size']) {
    const v = q.node.attributes.get(a)?.value;
    if (typeof v === 'number' && v !== 0) return why(`attribute ${a} is not supported`);
  }
  return { ok: true };
}

const quantizeLinear = defineWasmKernel(QuantizeLinear, {
  supports: (q) => supportQuant(q, ['float32']),
  run: ({ inputs: [x, s, z] }, rt) => withScratch(rt, (sc) => {
    const n = sizeOf(x!.dims);
    const type = z?.type === 'int8' ? 'int8' : 'uint8';
    const xp = rt.input(x!, sc);
    const { ptr, tensor } = rt.output(x!.dims, type);
    rt.parallelFor('int8_quantize', [xp, n, numbersOf(s)[0]!, numbersOf(z)[0] ?? 0, type === 'int8' ? 1 : 0, ptr], Math.ceil(n / BLOCK), n);
    return [tensor];
  }),
});

const dequantizeLinear = defineWasmKernel(DequantizeLinear, {
  supports: (q) => supportQuant(q, ['uint8', 'int8']),
  run: ({ inputs: [x, s, z] }, rt) => withScratch(rt, (sc) => {
    const n = sizeOf(x!.dims);
    const xp = rt.inputBytes(x!, sc);
    const { ptr, tensor } = rt.output(x!.dims);
    rt.parallelFor('int8_dequantize', [xp, n, numbersOf(s)[0]!, numbersOf(z)[0] ?? 0, isSigned(x!) ? 1 : 0, ptr], Math.ceil(n / BLOCK), n);
    return [tensor];
  }),
});

/** The per-tensor quantize / dequantize `wasm` kernels. */
export const INT8_QUANT_WASM_KERNELS: readonly AnyWasmKernel[] = [quantizeLinear, dequantizeLinear];
