// @file Installs Dawn (the `webgpu` npm package) as `navigator.gpu` for tfjs-backend-webgpu, and describes its adapter.

/** The adapter Dawn found, as printed by the backend choice. */
export interface DawnAdapterInfo {
  description: string;
  /** True for CPU renderers (llvmpipe, lavapipe, SwiftShader): never chosen automatically. */
  software: boolean;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|software/i;

/**
 * Creates a Dawn GPU and exposes it as `navigator.gpu`. `DAWN_BACKEND=opengles` selects Dawn's OpenGL ES backend
 * (Mesa without Vulkan; needs `EGL_PLATFORM=surfaceless`); adapters are then requested at the `compatibility`
 * feature level, which is all GL ES offers. Returns undefined when there is no adapter.
 */
export async function installDawnGpu(importModule: (specifier: string) => Promise<unknown>): Promise<DawnAdapterInfo | undefined> {
  const dawn = (await importModule('webgpu')) as { create: (flags: string[]) => GPUish; globals: Record<string, unknown> };
  const backend = process.env.DAWN_BACKEND;
  if (backend === 'opengles') process.env.EGL_PLATFORM ??= 'surfaceless';
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(backend ? [`backend=${backend}`] : []);
  // tfjs asks for an adapter without a feature level; GL ES only has compatibility-level adapters.
  const request = gpu.requestAdapter.bind(gpu);
  if (backend === 'opengles') gpu.requestAdapter = (options = {}) => request({ ...options, featureLevel: 'compatibility' });
  const host = globalThis as { navigator?: object };
  host.navigator ??= {};
  Object.defineProperty(host.navigator, 'gpu', { value: gpu, configurable: true });
  const adapter = await gpu.requestAdapter();
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.description].filter((part) => part).join(' ') || 'unknown adapter';
  return { description, software: info.type === 'CPU' || SOFTWARE.test(description) || (/Mesa/.test(description) && backend === 'opengles') };
}

interface GPUish {
  requestAdapter: (
    options?: Record<string, unknown>,
  ) => Promise<{ info?: { vendor?: string; architecture?: string; description?: string; type?: string } } | null>;
}
