// Builds the `wasm` backend's kernels from AssemblyScript: two variants of one source,
// baseline SIMD128 and relaxed SIMD, into dist/backends/wasm/. Runs from `npm run build`.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'backends', 'wasm');
mkdirSync(outDir, { recursive: true });
const common = [
  join(root, 'assembly', 'index.ts'), '--runtime', 'stub', '-O3', '--noAssert',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--enable', 'simd', '--enable', 'threads', '--enable', 'bulk-memory',
];
for (const [name, extra] of [['optiflow-simd.wasm', []], ['optiflow-relaxed.wasm', ['--enable', 'relaxed-simd']]]) {
  const { error, stderr } = await asc.main([...common, ...extra, '--outFile', join(outDir, name)]);
  if (error) {
    process.stderr.write(stderr.toString());
    throw new Error(`build-wasm: ${name} failed: ${error.message}`);
  }
}
