// The one WebAssembly module of the `wasm` backend: every kernel family re-exported here.
// Conventions: pointers are byte offsets (usize) into the shared memory; kernels that can run in
// parallel take the range [start, end) of their outermost parallel loop as the last two arguments.
export { heap_base, relaxed_build } from './simd';
export * from './kernels/copy';
export * from './kernels/eltwise';
export * from './kernels/pool';
export * from './kernels/reduce';
export * from './kernels/softmax';
export * from './kernels/norm';
export * from './kernels/transpose';
export * from './kernels/concat';
export * from './kernels/gather';
export * from './kernels/gemm';
export * from './kernels/conv';
export * from './kernels/attention';
export * from './kernels/fused-eltwise';
export * from './kernels/int8';
