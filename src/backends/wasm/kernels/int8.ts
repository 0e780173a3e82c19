/**
 * `wasm` kernels of the integer linear-algebra ops: QLinearMatMul, QLinearConv, MatMulInteger,
 * ConvInteger, all on the int8 GEMM (assembly/kernels/int8-gemm.ts) with requantization fused in
 * its epilogue. MatMul: A [..., M, K] (batch dims folded into M) × B [K, N] (B packed once at
 * `create` when constant). Conv: 2-D NCHW, any group (per group W_g [M/g, C/g·KH·KW] packed once
 * as the GEMM's A, the input im2col'ed straight into packed B; 1×1 stride-1 unpadded reads X
 * directly). Per-channel weight scales/zero points along the output channel.
 * Source: ONNX operator spec (QLinearMatMul, QLinearConv, MatMulInteger, ConvInteger).
 * @module
 */
import type { DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/graph.js';
import type { TensorData } from '../../../ir/tensor-data.js';
import { MatMulInteger, QLinearMatMul } from '../../../ops/cast-quant-integer.js';
import { defineWasmKernel, type AnyWasmKernel } from '../kernel.js';
import type { Scratch, WasmRuntime } from '../runtime.js';
import { shapeError } from './gemm-core.js';
import {
  bytesIn, copyOut, int8Support, packable, f64Table, int32Table, int8Gemm, int8PackA, int8PackB, int8PackedBytes, int8Tile, isSigned, numbersOf,
  OUT_I32, OUT_I8, OUT_U8, requantScales,
} from './int8-core.js';
import { withScratch } from './shape-util.js';
import { INT8_CONV_WASM_KERNELS } from './int8-conv.js';
import { INT8_QUANT_WASM_KERNELS } from './int8-quant.js';

/** Packed B of a matmul (constant or per call). */
interface MatState { b?: { ptr: number; k: number; n: number } }

function packMatB(rt: WasmRuntime, s: Scratch | undefined, node: Node, b: TensorData, bz: TensorData | undefined): { ptr: number; k: number; n: number } {
  if (b.dims.length !== 2) shapeError(node, `B must be 2-D, got [${b.dims.join(',')}]`);
  const [k, n] = [b.dims[0]!, b.dims[1]!];
  const z = numbersOf(bz);
  const raw = bytesIn(rt, s, b.data);
  const zp = z.length > 1 ? int32Table(rt, s, z, n) : 0;
  const bytes = int8PackedBytes(rt, 'b', n, k);
  const ptr = s ? s.alloc(bytes) : rt.alloc(bytes);
  try {
    int8PackB(rt, raw, n, 1, k, n, isSigned(b), zp, z[0] ?? 0, ptr);
  } finally {
    if (!s) { rt.free(raw); if (zp) rt.free(zp); }
  }
  return { ptr, k, n };
}

/** Shared body of QLinearMatMul / MatMulInteger. */
function runMatMul(rt: WasmRuntime, node: Node, st: MatState | undefined, a: TensorData, az: TensorData | undefined,
  b: TensorData, bz: TensorData | undefined, outType: DType, scales: number[] | undefined, zy: number, bias = 0): TensorData {
  return withScratch(rt, (s) => {
    const pb = st?.b ?? packMatB(rt, s, node, b, bz);
    if (a.dims.length < 2) shapeError(node, 'A must have rank >= 2');
    const k = a.dims[a.dims.length - 1]!;
    if (k !== pb.k) shapeError(node, `inner dims differ: A [${a.dims.join(',')}], B [${pb.k},${pb.n}]`);
    const m = a.data.length / Math.max(k, 1);
    const za = numbersOf(az);
    const rowsPer = a.dims[a.dims.length - 2]!;
    const zaRows = za.length > 1 ? int32Table(rt, s, Array.from({ length: m }, (_, i) => za[i % rowsPer]!)) : 0;
    if (za.length > 1 && za.length !== rowsPer) shapeError(node, 'a_zero_point must be scalar or per row');
    const ap = s.alloc(int8PackedBytes(rt, 'a', m, k));
    int8PackA(rt, bytesIn(rt, s, a.data), k, 1, m, k, isSigned(a), zaRows, za[0] ?? 0, ap);
    const esz = outType === 'int32' ? 4 : 1;
    const c = s.alloc(Math.max(4, m * pb.n * esz));
    const mode = outType === 'int32' ? OUT_I32 : outType === 'int8' ? OUT_I8 : OUT_U8;
    const scale = scales ? f64Table(rt, s, scales, pb.n, int8Tile(rt).nr) : 0;
    int8Gemm(rt, ap, pb.ptr, c, pb.n, m, pb.n, k, { mode, bias, scale, byRow: false, zy });
    return { type: outType, dims: [...a.dims.slice(0, -1), pb.n], data: copyOut(rt, outType, c, m * pb.n) };
  });
}

const qLinearMatMul = defineWasmKernel(QLinearMatMul, {
  supports: (q) => {
    const r = int8Support(q, [0, 3, 7], 'matmul');
    if (!r.ok) return r;
    const as = q.inputs[1]?.shape;
    if (as && as.length > 0 && as.some((d) => d !== 1)) return { ok: false, reason: 'wasm QLinearMatMul needs a per-tensor a_scale' };
    return r;
  },
  create: ({ constants, node }, rt): MatState => {
    const [, , , b, , bz] = constants;
    return b && b.dims.length === 2 && packable(node, constants, 3, 5) ? { b: packMatB(rt, undefined, node, b, bz) } : {};
  },
  dispose: (st, rt) => { if (st.b) rt.free(st.b.ptr); },
  run: ({ inputs: [a, as, az, b, bs, bz, ys, yz], outputs: [o], node, state }, rt) => {
    const n = b!.dims[b!.dims.length - 1]!;
    const sa = numbersOf(as); if (sa.length !== 1) shapeError(node, 'a_scale must be per-tensor');
    const scales = requantScales(sa[0]!, numbersOf(bs), numbersOf(ys)[0]!, n);
    return [runMatMul(rt, node, state, a!, az, b!, bz, o?.dtype ?? yz!.type, scales, numbersOf(yz)[0] ?? 0)];
  },
});

const matMulInteger = defineWasmKernel(MatMulInteger, {
  supports: (q) => int8Support(q, [0, 1], 'matmul'),
  create: ({ constants, node }, rt): MatState => {
    const [, b, , bz] = constants;
    return b && b.dims.length === 2 && packable(node, constants, 1, 3) ? { b: packMatB(rt, undefined, node, b, bz) } : {};
  },
  dispose: (st, rt) => { if (st.b) rt.free(st.b.ptr); },
  run: ({ inputs: [a, b, az, bz], node, state }, rt) => [runMatMul(rt, node, state, a!, az, b!, bz, 'int32', undefined, 0)],
});


/** Every int8 `wasm` kernel. */
export const INT8_WASM_KERNELS: readonly AnyWasmKernel[] = [qLinearMatMul, matMulInteger, ...INT8_CONV_WASM_KERNELS, ...INT8_QUANT_WASM_KERNELS];
