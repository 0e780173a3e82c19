/**
 * Loads the `wasm` backend's module: two builds of one AssemblyScript source, relaxed SIMD
 * (`f32x4.relaxed_madd`) and baseline SIMD128, chosen at load time with `WebAssembly.validate`.
 * In Node 20 relaxed SIMD sits behind a V8 flag, set here before the first compile (it cannot be
 * passed through NODE_OPTIONS); worker threads inherit it.
 * @module
 */
import { OptiflowError } from '../../ir/errors.js';

/** The compiled module and which build it is. */
export interface LoadedModule {
  readonly module: WebAssembly.Module;
  /** `relaxed` (relaxed SIMD FMA) or `simd` (baseline SIMD128). */
  readonly variant: 'relaxed' | 'simd';
}

let cached: Promise<LoadedModule> | undefined;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function readBytes(file: string): Promise<Uint8Array<ArrayBuffer>> {
  const url = new URL(`./${file}`, import.meta.url);
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    return new Uint8Array(await readFile(fileURLToPath(url)));
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`HTTP ${r.status} for ${url.href}`);
  return new Uint8Array(await r.arrayBuffer());
}

/**
 * Compiles the best module this engine validates (once per process).
 * @param prefer force a build (`simd` to compare against relaxed); default the best available
 * @throws OptiflowError `unsupported_op` when the engine lacks WebAssembly SIMD or the files are missing.
 */
export function loadWasmModule(prefer?: 'relaxed' | 'simd'): Promise<LoadedModule> {
  if (prefer) return compile(prefer);
  cached ??= compile();
  return cached;
}

async function compile(prefer?: 'relaxed' | 'simd'): Promise<LoadedModule> {
  if (isNode) {
    try {
      const v8 = await import('node:v8');
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch { /* not V8, or flag unknown: validation decides */ }
  }
  const order: ('relaxed' | 'simd')[] = prefer ? [prefer] : ['relaxed', 'simd'];
  const reasons: string[] = [];
  for (const variant of order) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readBytes(`optiflow-${variant}.wasm`);
    } catch (e) {
      reasons.push(`${variant}: ${(e as Error).message}`);
      continue;
    }
    if (!WebAssembly.validate(bytes)) { reasons.push(`${variant}: this engine does not validate the module`); continue; }
    return { module: await WebAssembly.compile(bytes), variant };
  }
  throw new OptiflowError('unsupported_op', `the wasm backend cannot load its kernels (${reasons.join('; ')}); run 'npm run build'`);
}
