// The int8 kernel family of the `wasm` backend, re-exported by the module index as one line:
// GEMM (packing, im2col, requantizing epilogue), direct depthwise convolution (generic and 3×3 on
// row-pair planes), quantize/dequantize.
export * from './int8-gemm';
export * from './int8-depthwise';
export * from './int8-quant';
export * from './int8-dw3';
