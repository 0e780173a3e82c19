/**
 * The {@link GpuEncoder} of one run: kernels record dispatches; at {@link RunEncoder.finish} the
 * uniforms of all dispatches are packed into one uniform buffer (each binding at a
 * `minUniformBufferOffsetAlignment` offset, its size padded to 16 bytes), bind groups are created and
 * everything is recorded into one command encoder and one compute pass (WebGPU orders the
 * dispatches of a pass and makes each one's writes visible to the next).
 * @module
 */
/// <reference types="@webgpu/types" />
import { OptiflowError } from '../../ir/errors.js';
import type { Node } from '../../ir/graph.js';
import { GpuBufferPool, tensorBytes } from './buffers.js';
import type { GpuBinding, GpuDType, GpuEncoder, GpuTensor } from './kernel.js';

interface Recorded {
  readonly pipeline: GPUComputePipeline;
  readonly bindings: readonly GpuBinding[];
  readonly workgroups: readonly [number, number, number];
  readonly node: Node | undefined;
}

function isUniform(b: GpuBinding): b is { readonly uniform: Uint32Array | Int32Array | Float32Array } {
  return 'uniform' in b;
}

/** Where a node's error is reported. */
export function nodePath(n: Node | undefined): string[] {
  return n ? [`node ${n.name} (${n.opType})`] : [];
}

/**
 * Records the dispatches of one run. Not reusable: create one per run.
 */
export class RunEncoder implements GpuEncoder {
  private readonly recorded: Recorded[] = [];
  private readonly scratches: GPUBuffer[] = [];
  private uniformBuffer: GPUBuffer | undefined;
  /** The node whose `encode` is running (set by the runner, for error paths). */
  node: Node | undefined;

  /**
   * @param pool storage buffers for scratch tensors
   * @param uniforms pool of `UNIFORM | COPY_DST` buffers
   */
  constructor(readonly device: GPUDevice, private readonly pool: GpuBufferPool, private readonly uniforms: GpuBufferPool) {}

  /**
   * Records a dispatch.
   * @throws OptiflowError `runtime_error` naming the node when a workgroup count exceeds
   *   `maxComputeWorkgroupsPerDimension` or is not a non-negative integer
   */
  dispatch(pipeline: GPUComputePipeline, bindings: readonly GpuBinding[], workgroups: readonly [number, number, number]): void {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    for (const w of workgroups) {
      if (!Number.isInteger(w) || w < 0 || w > max) {
        throw new OptiflowError('runtime_error',
          `webgpu: dispatch of [${workgroups.join(', ')}] workgroups; each must be an integer in 0..${max}`, nodePath(this.node));
      }
    }
    this.recorded.push({ pipeline, bindings: [...bindings], workgroups: [...workgroups] as [number, number, number], node: this.node });
  }

  /** A temporary tensor, returned to the pool by {@link RunEncoder.release}. */
  scratch(dims: readonly number[], dtype: GpuDType): GpuTensor {
    const buffer = this.pool.acquire(tensorBytes(dims, dtype));
    this.scratches.push(buffer);
    return { buffer, offset: 0, dims: [...dims], dtype };
  }

  /** Hands `buffer` (from the storage pool) to this run: released with the scratch tensors. */
  adopt(buffer: GPUBuffer): void {
    this.scratches.push(buffer);
  }

  /** Number of dispatches recorded. */
  get dispatchCount(): number {
    return this.recorded.length;
  }

  /**
   * Packs uniforms, creates bind groups, and records every dispatch into one command encoder (plus
   * `after`, e.g. copies for readback).
   * @returns the command buffer to submit
   */
  finish(after?: (enc: GPUCommandEncoder) => void): GPUCommandBuffer {
    const align = this.device.limits.minUniformBufferOffsetAlignment;
    const offsets: number[][] = [];
    let total = 0;
    for (const r of this.recorded) {
      offsets.push(r.bindings.map((b) => {
        if (!isUniform(b)) return -1;
        const at = total;
        total += Math.ceil(Math.max(16, b.uniform.byteLength) / align) * align;
        return at;
      }));
    }
    let staging: Uint8Array<ArrayBuffer> | undefined;
    if (total > 0) {
      this.uniformBuffer = this.uniforms.acquire(total);
      staging = new Uint8Array(total);
    }
    const enc = this.device.createCommandEncoder({ label: 'optiflow-run' });
    if (this.recorded.length) {
      const pass = enc.beginComputePass({ label: 'optiflow-segment' });
      this.recorded.forEach((r, k) => {
        const entries: GPUBindGroupEntry[] = r.bindings.map((b, i) => {
          if (isUniform(b)) {
            const at = offsets[k]![i]!;
            staging!.set(new Uint8Array(b.uniform.buffer, b.uniform.byteOffset, b.uniform.byteLength), at);
            return { binding: i, resource: { buffer: this.uniformBuffer!, offset: at, size: Math.ceil(Math.max(16, b.uniform.byteLength) / 16) * 16 } };
          }
          return { binding: i, resource: { buffer: b.buffer, offset: b.offset, size: tensorBytes(b.dims, b.dtype) } };
        });
        const group = this.device.createBindGroup({ layout: r.pipeline.getBindGroupLayout(0), entries, label: r.node?.name });
        pass.setPipeline(r.pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(r.workgroups[0], r.workgroups[1], r.workgroups[2]);
      });
      pass.end();
    }
    if (staging) this.device.queue.writeBuffer(this.uniformBuffer!, 0, staging);
    after?.(enc);
    return enc.finish();
  }

  /** Returns scratch and uniform buffers to their pools (after the command buffer was submitted). */
  release(): void {
    for (const b of this.scratches) this.pool.release(b);
    this.scratches.length = 0;
    if (this.uniformBuffer) this.uniforms.release(this.uniformBuffer);
    this.uniformBuffer = undefined;
  }
}
