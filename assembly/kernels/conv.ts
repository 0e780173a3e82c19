// The conv kernel family's exports: im2col into packed GEMM strips, and the direct depthwise conv.
export * from './conv-im2col';
export * from './conv-depthwise';
