/**
 * Getting a WebGPU device in Node (the npm package `webgpu`, Dawn) or in a browser (`navigator.gpu`),
 * the reason when there is none, and the adapter's features and limits.
 *
 * Node without a GPU: Debian's `chromium` ships SwiftShader, a software Vulkan driver. With
 * `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json` and `XDG_RUNTIME_DIR` set to a private
 * (0700) directory, Dawn finds an adapter; {@link useSwiftShaderWhenNoGpu} sets both when they are
 * unset, and must run before the first `create` (the environment is read when Dawn loads its
 * Vulkan instance, so assigning `process.env` in the same process first works).
 *
 * dawn.node does not keep Node's event loop alive while a GPU promise is pending (a script awaiting
 * `getCompilationInfo` alone exits with status 0); {@link gpuAwait} holds a timer during the wait.
 * @module
 */
/// <reference types="@webgpu/types" />
import { OptiflowError } from '../../ir/errors.js';

/** SwiftShader's Vulkan ICD as installed by Debian's `chromium` package. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Limits the backend asks for (the adapter's own values, so big models fit). */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
  'maxUniformBuffersPerShaderStage', 'maxBindingsPerBindGroup', 'maxUniformBufferBindingSize',
] as const;

/** A device with what was learned about its adapter. */
export interface GpuDeviceHandle {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  /** Features enabled on the device (`shader-f16`, `timestamp-query` when the adapter has them). */
  readonly features: ReadonlySet<string>;
  /** The device's limits (equal to the adapter's for {@link WANTED_LIMITS}). */
  readonly limits: GPUSupportedLimits;
  /** Whether WGSL `enable f16;` may be used. */
  readonly hasF16: boolean;
  /** A file-name-safe adapter identity (vendor-architecture-device), for per-adapter caches. */
  readonly adapterKey: string;
  /** Human-readable adapter description. */
  readonly description: string;
  /**
   * A software adapter (SwiftShader, or one the browser marks as fallback): correct but slower
   * than the CPU backends, so a default provider list should not prefer it.
   */
  readonly isSoftware: boolean;
}

/** Options of {@link acquireGpuDevice}. */
export interface AcquireOptions {
  readonly powerPreference?: GPUPowerPreference;
  /** Ask for `shader-f16` when the adapter has it (default true). */
  readonly f16?: boolean;
  /** Ask for `timestamp-query` when the adapter has it (default true; used by tuning). */
  readonly timestamps?: boolean;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * In Node, points Vulkan at SwiftShader when `VK_ICD_FILENAMES` is unset and the ICD file exists, and
 * sets `XDG_RUNTIME_DIR` to a private 0700 directory under the OS temp dir when unset. Call before
 * the first adapter request (done by {@link acquireGpuDevice} unless `OPTIFLOW_WEBGPU_NO_SWIFTSHADER`
 * is set). Does nothing in browsers.
 * @returns whether SwiftShader was selected by this call
 */
export async function useSwiftShaderWhenNoGpu(): Promise<boolean> {
  if (!isNode()) return false;
  const env = process.env;
  if (env.OPTIFLOW_WEBGPU_NO_SWIFTSHADER) return false;
  const fs = await import('node:fs');
  let chose = false;
  if (!env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER_ICD) && !fs.existsSync('/dev/dri') && !fs.existsSync('/dev/nvidia0')) {
    env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    chose = true;
  }
  if (!env.XDG_RUNTIME_DIR) {
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = path.join(os.tmpdir(), `optiflow-xdg-${process.getuid?.() ?? 'user'}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    env.XDG_RUNTIME_DIR = dir;
  }
  return chose;
}

/**
 * Awaits a GPU promise while keeping Node's event loop alive (dawn.node's pending promises hold no
 * libuv handle). Plain `await` in browsers.
 */
export async function gpuAwait<T>(p: Promise<T>): Promise<T> {
  if (!isNode()) return p;
  const timer = setInterval(() => undefined, 50);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

let gpuPromise: Promise<GPU | string> | undefined;

/** The process's `GPU` object, or why there is none. Cached: Dawn's instance is created once. */
async function getGpu(): Promise<GPU | string> {
  gpuPromise ??= (async (): Promise<GPU | string> => {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (nav?.gpu) return nav.gpu;
    if (!isNode()) return 'this browser has no navigator.gpu (WebGPU disabled or unsupported)';
    await useSwiftShaderWhenNoGpu();
    try {
      const name = 'webgpu'; // not a literal: bundlers for the browser leave it alone
      const mod = await import(name) as { create(o: string[]): GPU; globals: object };
      Object.assign(globalThis, mod.globals);
      return mod.create([]);
    } catch (e) {
      return `the npm package 'webgpu' (Dawn for Node) did not load: ${(e as Error).message}`;
    }
  })();
  return gpuPromise;
}

let adapterPromise: Promise<GPUAdapter | string> | undefined;

/**
 * An adapter, or why there is none. An adapter creates one device only ("consumed" afterwards), so
 * devices take a fresh one (`fresh`); the answer for {@link gpuUnavailableReason} is cached.
 */
async function getAdapter(powerPreference: GPUPowerPreference | undefined, freshOne = false): Promise<GPUAdapter | string> {
  const fresh = async (): Promise<GPUAdapter | string> => {
    const gpu = await getGpu();
    if (typeof gpu === 'string') return gpu;
    try {
      const a = await gpuAwait(gpu.requestAdapter(powerPreference ? { powerPreference } : {}));
      if (!a) {
        return 'no WebGPU adapter (no GPU driver; in Node set VK_ICD_FILENAMES=' + SWIFTSHADER_ICD
          + ' and XDG_RUNTIME_DIR to use SwiftShader)';
      }
      return a;
    } catch (e) {
      return `requestAdapter failed: ${(e as Error).message}`;
    }
  };
  if (powerPreference || freshOne) return fresh();
  adapterPromise ??= fresh();
  return adapterPromise;
}

/**
 * Why no WebGPU device can be had here, or `undefined` when an adapter exists.
 * Never throws.
 */
export async function gpuUnavailableReason(): Promise<string | undefined> {
  const a = await getAdapter(undefined);
  return typeof a === 'string' ? a : undefined;
}

function adapterIdentity(info: GPUAdapterInfo | undefined): { key: string; description: string } {
  const parts = [info?.vendor, info?.architecture, info?.device].filter((x): x is string => !!x);
  const raw = parts.length ? parts.join('-') : 'unknown-adapter';
  return {
    key: raw.toLowerCase().replace(/[^a-z0-9._-]+/g, '_').slice(0, 80),
    description: info?.description || raw,
  };
}

/**
 * A new device on a new adapter, with the adapter's limits from
 * {@link WANTED_LIMITS} required (so `maxStorageBufferBindingSize` is the adapter's, not the 128 MiB
 * default) and `shader-f16` / `timestamp-query` enabled where offered.
 * @throws OptiflowError `runtime_error` with the reason when there is no adapter or the
 *   device request fails
 */
export async function acquireGpuDevice(options: AcquireOptions = {}): Promise<GpuDeviceHandle> {
  const adapter = await getAdapter(options.powerPreference, true);
  if (typeof adapter === 'string') throw new OptiflowError('runtime_error', `webgpu: ${adapter}`, ['backend webgpu']);
  const requiredFeatures: GPUFeatureName[] = [];
  if (options.f16 !== false && adapter.features.has('shader-f16')) requiredFeatures.push('shader-f16');
  if (options.timestamps !== false && adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  let device: GPUDevice;
  try {
    device = await gpuAwait(adapter.requestDevice({ requiredFeatures, requiredLimits }));
  } catch (e) {
    throw new OptiflowError('runtime_error', `webgpu: requestDevice failed: ${(e as Error).message}`, ['backend webgpu']);
  }
  const { key, description } = adapterIdentity(adapter.info);
  return {
    device, adapter, features: new Set(device.features), limits: device.limits,
    hasF16: device.features.has('shader-f16'), adapterKey: key, description,
    isSoftware: /swiftshader|llvmpipe|lavapipe|warp/i.test(`${adapter.info?.architecture} ${adapter.info?.device} ${adapter.info?.description}`)
      || (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true
      || (adapter.info as unknown as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true,
  };
}

/**
 * Reads a limit by name (for limits newer than `@webgpu/types`).
 * @returns the value, or `undefined` when the implementation does not report it
 */
export function gpuLimit(limits: GPUSupportedLimits, name: string): number | undefined {
  const v = (limits as unknown as Record<string, unknown>)[name];
  return typeof v === 'number' ? v : undefined;
}
