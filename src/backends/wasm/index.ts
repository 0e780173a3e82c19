/**
 * The `wasm` backend: WebAssembly SIMD kernels (AssemblyScript, relaxed-SIMD and SIMD128 builds)
 * over one shared memory, with weights packed once at session creation and tensors passed between
 * wasm kernels without copies. Nodes it declines fall back to the next backend (`js`).
 * @module
 */
import type { Backend, CompiledNode, Support } from '../backend.js';
import { isTensorValue, type RuntimeValue, type TensorData } from '../../ir/tensor-data.js';
import { resolveAttrs, type AttrSpecs, type OpSchema } from '../../ops/schema.js';
import type { AnyWasmKernel } from './kernel.js';
import { loadWasmModule } from './loader.js';
import { WasmRuntime } from './runtime.js';
import { defaultThreadCount, MAX_THREADS, ThreadPool } from './thread-pool.js';
import { WASM_KERNELS } from './manifest.js';

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /** Threads inside one op, the calling thread included (0 = one per core). */
  intraOpNumThreads: number;
  /** Force a build (`simd` or `relaxed`); default the best the engine validates. */
  variant?: 'relaxed' | 'simd';
}

/**
 * Creates the `wasm` backend (compiles the module once per process).
 * @throws OptiflowError `unsupported_op` when this engine has no WebAssembly SIMD.
 */
export async function createWasmBackend(options: WasmBackendOptions = { intraOpNumThreads: 1 }): Promise<Backend> {
  const { module, variant } = await loadWasmModule(options.variant);
  const rt = WasmRuntime.create(module, variant);
  const backend = wasmBackend(rt, WASM_KERNELS);
  const threads = Math.min(MAX_THREADS, options.intraOpNumThreads || await defaultThreadCount());
  if (threads > 1) {
    // Workers start on the first kernel call worth splitting; dispose() stops them.
    const pool = await ThreadPool.create({ module, memory: rt.memory, exports: rt.exports, threads });
    rt.parallelFor = pool.parallelFor;
    backend.beginRun = () => pool.beginRun();
    backend.endRun = () => pool.endRun();
    const disposeKernels = backend.dispose!;
    backend.dispose = async () => { await disposeKernels(); await pool.dispose(); };
  }
  return backend;
}

/** Binds a kernel manifest to a runtime: the backend object the session uses. */
export function wasmBackend(rt: WasmRuntime, manifest: readonly AnyWasmKernel[]): Backend & { runtime: WasmRuntime } {
  const bySchema = new Map<OpSchema<AttrSpecs>, AnyWasmKernel>();
  for (const k of manifest) {
    if (bySchema.has(k.schema)) throw new Error(`wasm: duplicate kernel for ${k.schema.domain}::${k.schema.opType}`);
    bySchema.set(k.schema, k);
  }
  const states = new Set<{ k: AnyWasmKernel; state: unknown }>();
  return {
    name: 'wasm',
    runtime: rt,
    supports(q): Support {
      const k = bySchema.get(q.schema);
      if (!k) return { ok: false, reason: `wasm has no kernel for ${q.node.opType}` };
      if (!k.supports) {
        const bad = q.inputs.find((i) => i && i.dtype !== 'float32');
        if (bad) return { ok: false, reason: `wasm ${q.node.opType} runs float32 only, got ${bad.dtype}` };
        return { ok: true };
      }
      return k.supports(q);
    },
    compile(node, schema, opset, constants = []): CompiledNode {
      const k = bySchema.get(schema);
      if (!k) throw new Error(`wasm: no kernel for ${node.opType}`);
      const attrs = resolveAttrs(schema, node);
      const state = k.create ? k.create({ attrs, opset, node, constants }, rt) : undefined;
      const entry = { k, state };
      if (k.dispose) states.add(entry);
      return {
        run: (inputs, outputs, runSubgraph) => {
          // Outputs a kernel allocated before it threw go back to the heap.
          const made = rt.trackOutputs();
          try {
            return k.run({ attrs, opset, inputs: inputs as readonly (TensorData | undefined)[], outputs, node, runSubgraph, state }, rt);
          } catch (e) {
            for (const t of made) rt.release(t);
            throw e;
          } finally {
            rt.stopTracking(made);
          }
        },
        dispose: () => { if (states.delete(entry)) k.dispose!(state, rt); },
      };
    },
    release(v: RuntimeValue) {
      if (isTensorValue(v)) rt.release(v);
    },
    exportValue(v: RuntimeValue): RuntimeValue {
      return isTensorValue(v) ? rt.exportTensor(v) : v;
    },
    dispose() {
      for (const { k, state } of states) k.dispose!(state, rt);
      states.clear();
    },
  };
}
