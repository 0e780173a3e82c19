/**
 * The compute pipeline cache: one pipeline per key, created with `createComputePipelineAsync` (never
 * blocks a page), layout `'auto'` (so every binding a shader declares must be statically used by
 * `main`, or bind group creation fails). A shader that does not compile rejects with the compiler's
 * messages (from `getCompilationInfo`, with line:column) and the shader text's offending lines.
 *
 * Source: onnxruntime-web WebGPU EP program cache.
 * @module
 */
/// <reference types="@webgpu/types" />
import { gpuAwait } from './device.js';
import type { PipelineCache } from './kernel.js';

/** A {@link PipelineCache} that also counts what it did (for tests and the profile). */
export interface CountingPipelineCache extends PipelineCache {
  /** Pipelines created (cache misses that succeeded). */
  readonly created: number;
  /** Requests answered from the cache. */
  readonly hits: number;
  /** Keys currently cached. */
  keys(): string[];
}

/** Error thrown when a WGSL shader does not compile or its pipeline cannot be created. */
export class ShaderCompileError extends Error {
  /** The pipeline key. */
  readonly key: string;
  /** The WGSL source. */
  readonly wgsl: string;
  /** @param message the compiler's messages, located */
  constructor(key: string, wgsl: string, message: string) {
    super(message);
    this.name = 'ShaderCompileError';
    this.key = key;
    this.wgsl = wgsl;
  }
}

function describeMessages(info: GPUCompilationInfo, code: string): string {
  const lines = code.split('\n');
  return info.messages.map((m) => {
    const src = m.lineNum > 0 ? `\n    ${lines[m.lineNum - 1] ?? ''}` : '';
    return `  ${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}${src}`;
  }).join('\n');
}

/**
 * A pipeline cache on `device`. Concurrent requests for one key share one creation; a failed
 * creation is not cached (the next request retries and fails the same way).
 */
export function createPipelineCache(device: GPUDevice): CountingPipelineCache {
  const pending = new Map<string, Promise<GPUComputePipeline>>();
  const ready = new Map<string, GPUComputePipeline>();
  let created = 0;
  let hits = 0;
  const make = async (key: string, code: string): Promise<GPUComputePipeline> => {
    // The error scope brackets synchronous calls only (see segment.ts).
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code, label: key });
    const infoP = module.getCompilationInfo();
    const pipelineP = device.createComputePipelineAsync({ label: key, layout: 'auto', compute: { module, entryPoint: 'main' } });
    const scopeP = device.popErrorScope();
    let pipeline: GPUComputePipeline | undefined;
    let failure: string | undefined;
    try {
      pipeline = await gpuAwait(pipelineP);
    } catch (e) {
      failure = (e as Error).message;
    }
    const scopeErr = await gpuAwait(scopeP);
    const info = await gpuAwait(infoP);
    const errors = info.messages.filter((m) => m.type === 'error');
    if (!pipeline || errors.length || scopeErr) {
      const detail = errors.length || info.messages.length ? describeMessages(info, code) : (failure ?? scopeErr?.message ?? 'unknown error');
      throw new ShaderCompileError(key, code, `webgpu: shader '${key}' does not compile:\n${detail}`);
    }
    created++;
    ready.set(key, pipeline);
    return pipeline;
  };
  return {
    get(key, wgsl) {
      const hit = ready.get(key);
      if (hit) { hits++; return Promise.resolve(hit); }
      let p = pending.get(key);
      if (p) { hits++; return p; }
      p = make(key, wgsl());
      pending.set(key, p);
      p.catch(() => undefined).finally(() => pending.delete(key));
      return p;
    },
    peek: (key) => ready.get(key),
    get created() { return created; },
    get hits() { return hits; },
    keys: () => [...ready.keys()],
  };
}
