// @file The one module that chooses the TensorFlow.js backend: an ordered list, native ones loaded on demand.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, InvalidArgumentError } from '@msn/errors';
import { enableBlas, type BlasChoice } from './blas/enable-blas';
import { installDawnGpu } from './dawn-gpu';
import { watchDeviceErrors } from './webgpu-errors';
import { type WebgpuKernelOptions, registerWebgpuKernels } from './webgpu-kernels/register-webgpu-kernels';
import { tiledMatMulKernelsRegistered } from './webgpu-kernels/tiled-mat-mul-kernels';

/** Backends the trainer can run on, by the name `tf.setBackend` knows them. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** The backend names, in preference order when none is requested (see {@link selectBackend} for the exact order). */
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

// Each backend is provided by one of these packages, tried in order. tfjs-node(-gpu) are optional peers: their
// install downloads libtensorflow, so they are never installed for the user.
const PROVIDERS: Record<BackendName, readonly string[]> = {
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

// Without a request: a GPU before a CPU, native before WebAssembly. tfjs-node-gpu and tfjs-node both provide
// 'tensorflow', so they are tried separately, with webgpu (hardware adapters only) between them.
const AUTOMATIC_ORDER: readonly { name: BackendName; packages: readonly string[] }[] = [
  { name: 'tensorflow', packages: ['@tensorflow/tfjs-node-gpu'] },
  { name: 'webgpu', packages: PROVIDERS.webgpu },
  { name: 'tensorflow', packages: ['@tensorflow/tfjs-node'] },
  { name: 'wasm', packages: PROVIDERS.wasm },
  { name: 'cpu', packages: PROVIDERS.cpu },
];

/** The backend in use and where it came from. */
export interface BackendChoice {
  name: BackendName;
  /** The npm package that provides it, e.g. `@tensorflow/tfjs-backend-wasm`. */
  packageName: string;
  /** That package's version, or `unknown` when it does not export one. */
  version: string;
  /**
   * One line for the user, e.g. `backend: wasm (tfjs-backend-wasm 4.22.0, BLAS OpenBLAS 0.3.21 on 2 threads
   * (libopenblas.so.0))` or `backend: wasm (tfjs-backend-wasm 4.22.0, no BLAS found)`.
   */
  description: string;
  /** The native BLAS that runs the wasm backend's matrix products, or null (stock wasm kernels, other backends). */
  blas: BlasChoice | null;
  /** Why preferred backends were passed over (not installed, failed to load or to initialise). */
  skipped: string[];
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** A backend name (e.g. from `--backend`); without it the first usable one of {@link BACKEND_PREFERENCE} wins. */
  backend?: string;
  /**
   * Where the choice is reported; `false` keeps quiet.
   * @default writes the description line to stderr
   */
  log?: ((line: string) => void) | false;
  /** Loads a package (for tests and bundlers). @default (specifier) => import(specifier) */
  importModule?: (specifier: string) => Promise<unknown>;
  /**
   * The BLAS for the wasm backend's matrix products (needs the optional peer `koffi`): `auto` (search the usual
   * libraries, silently none when absent), `none`, or a library path or file name, which must then load.
   * @default process.env.MSN_BLAS_LIBRARY, else `auto`
   */
  blas?: string;
  /**
   * Which of our WGSL kernels replace tfjs' own on webgpu (the fused ones by default; the tiled products opt-in).
   * @default `{ fused: true, tiledMatMul: process.env.MSN_WEBGPU_TILED_MATMUL === '1' }`
   */
  webgpuKernels?: WebgpuKernelOptions;
}

function isNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)|Could not resolve/.test(message)) &&
    message.includes(specifier)
  );
}

function versionOf(module: unknown, specifier: string): string {
  // tfjs backends export their version: version_wasm, version_cpu, or tfjs-node's version['tfjs-node'].
  const exports = (module as Record<string, unknown> | null) ?? {};
  const candidates = [
    exports.version_wasm,
    exports.version_webgpu,
    exports.version_cpu,
    (exports.version as Record<string, unknown> | undefined)?.[specifier.replace('@tensorflow/', '')],
  ];
  const found = candidates.find((value): value is string => typeof value === 'string');
  return found ?? 'unknown';
}

// tfjs-backend-webgpu 4.22 exports no version: read it from its package.json (it has no exports map to forbid that).
function packageVersion(specifier: string): string {
  try {
    const manifest = createRequire(import.meta.url)(`${specifier}/package.json`) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

type Attempt = { ok: true; choice: Omit<BackendChoice, 'skipped' | 'blas'> } | { ok: false; reason: string; notInstalled: boolean; cause?: unknown };

async function attempt(
  name: BackendName,
  importModule: (specifier: string) => Promise<unknown>,
  automatic: boolean,
  packages: readonly string[],
): Promise<Attempt> {
  const reasons: string[] = [];
  let adapter = '';
  if (name === 'webgpu') {
    // Dawn must be navigator.gpu before tfjs-backend-webgpu registers; a software adapter is only used on request.
    let info: Awaited<ReturnType<typeof installDawnGpu>>;
    try {
      info = await installDawnGpu(importModule);
    } catch (error) {
      return {
        ok: false,
        reason: isNotFound(error, 'webgpu')
          ? 'webgpu is not installed (install webgpu and @tensorflow/tfjs-backend-webgpu)'
          : `webgpu failed to load: ${String(error)}`,
        notInstalled: isNotFound(error, 'webgpu'),
        cause: error,
      };
    }
    // No adapter is as normal as an absent package (a machine without a GPU): skipped silently when automatic.
    if (!info) return { ok: false, reason: 'no WebGPU adapter (set DAWN_BACKEND=opengles for Mesa GL ES)', notInstalled: true };
    // Passed over silently too: a CPU renderer (Mesa on a machine without a GPU) is normal, not a failure.
    if (automatic && info.software) return { ok: false, reason: `software adapter ${info.description} is not chosen automatically`, notInstalled: true };
    adapter = `, adapter ${info.description}`;
  }
  let allMissing = true;
  let lastCause: unknown;
  for (const specifier of packages) {
    let module: unknown;
    try {
      module = await importModule(specifier);
    } catch (error) {
      if (isNotFound(error, specifier)) {
        reasons.push(`${specifier} is not installed`);
      } else {
        allMissing = false;
        lastCause = error;
        reasons.push(`${specifier} failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
      continue;
    }
    allMissing = false;
    let initialised = false;
    try {
      initialised = await tf.setBackend(name);
    } catch (error) {
      lastCause = error;
    }
    if (!initialised) {
      reasons.push(`${specifier} loaded but backend '${name}' failed to initialise`);
      continue;
    }
    await tf.ready();
    if (name === 'webgpu') {
      watchDeviceErrors((tf.backend() as unknown as { device: Parameters<typeof watchDeviceErrors>[0] }).device);
    }
    const version = versionOf(module, specifier) === 'unknown' ? packageVersion(specifier) : versionOf(module, specifier);
    const shortName = specifier.replace('@tensorflow/', '');
    return { ok: true, choice: { name, packageName: specifier, version, description: `backend: ${name} (${shortName} ${version}${adapter})` } };
  }
  return { ok: false, reason: reasons.join('; '), notInstalled: allMissing, cause: lastCause };
}

/**
 * Chooses, loads and activates the TensorFlow.js backend, and reports the choice. Without `backend`, tries
 * `tensorflow` from `@tensorflow/tfjs-node-gpu`, then `webgpu` on a hardware adapter (Dawn; a software adapter is
 * used only when `webgpu` is requested), then `tensorflow` from `@tensorflow/tfjs-node`, then `wasm`, then `cpu`; a backend
 * that is not installed is skipped silently, one that fails to load or initialise is skipped with its reason in
 * `skipped`. With `backend`, only that one is tried and any failure is an error.
 *
 * The wasm backend runs single-threaded: its multi-threaded build cannot start in Node as shipped (it spawns its
 * workers from blob URLs, and sizes its thread pool as half the logical cores, i.e. one thread on 2 cores); run
 * `pnpm --filter @msn/trainer bench` for the measurement behind this choice (see the README). On wasm, its matrix
 * products run on a native BLAS when one is found (`blas`, `MSN_BLAS_LIBRARY`), on all cores.
 *
 * @example
 * const choice = await selectBackend({ backend: args.backend }); // "backend: wasm (tfjs-backend-wasm 4.22.0, no BLAS found)"
 * @throws {InvalidArgumentError} for an unknown backend name (the message lists the valid ones).
 * @throws {BackendUnavailableError} when the requested backend is not installed or fails to start, (without a
 *   request) when none can be used, or when a BLAS named by `blas` / `MSN_BLAS_LIBRARY` cannot be loaded.
 */
function tiledMatMulFromEnvironment(): boolean {
  const value = process.env.MSN_WEBGPU_TILED_MATMUL;
  if (value !== undefined && value !== '' && value !== '0' && value !== '1') {
    throw new InvalidArgumentError({ caller: 'selectBackend', argument: 'MSN_WEBGPU_TILED_MATMUL', value, expected: "'1' (tiled products) or '0'" });
  }
  return value === '1';
}

export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const { backend, log = (line: string) => process.stderr.write(`${line}\n`), importModule = (specifier: string) => import(specifier), blas } = options;
  const { webgpuKernels = { tiledMatMul: tiledMatMulFromEnvironment() } } = options;
  if (backend !== undefined && !(BACKEND_PREFERENCE as readonly string[]).includes(backend)) {
    throw new InvalidArgumentError({ caller: 'selectBackend', argument: 'backend', value: backend, expected: `one of ${BACKEND_PREFERENCE.join(', ')}` });
  }
  const candidates = backend === undefined ? AUTOMATIC_ORDER : [{ name: backend as BackendName, packages: PROVIDERS[backend as BackendName] }];
  const skipped: string[] = [];
  for (const { name, packages } of candidates) {
    const result = await attempt(name, importModule, backend === undefined, packages);
    if (result.ok) {
      let choice: BackendChoice = { ...result.choice, skipped, blas: null };
      if (name === 'wasm') {
        const outcome = await enableBlas(blas === undefined ? {} : { library: blas });
        choice = { ...choice, blas: outcome.blas, description: choice.description.replace(/\)$/, `, ${outcome.summary})`) };
      }
      // Our WGSL kernels replace op chains and stock kernels once webgpu is active; registered here, never on import.
      if (name === 'webgpu') {
        registerWebgpuKernels(webgpuKernels);
        if (tiledMatMulKernelsRegistered()) choice = { ...choice, description: choice.description.replace(/\)$/, ', tiled matrix products)') };
      }
      if (log) log(choice.description);
      return choice;
    }
    if (backend !== undefined) {
      const hint = result.notInstalled && name !== 'webgpu' ? ` (install ${PROVIDERS[name].join(' or ')})` : '';
      throw new BackendUnavailableError(
        `selectBackend: backend '${name}' is unavailable: ${result.reason}${hint}`,
        result.cause === undefined ? undefined : { cause: result.cause },
      );
    }
    if (!result.notInstalled) skipped.push(`${name}: ${result.reason}`);
  }
  throw new BackendUnavailableError(
    `selectBackend: no usable backend among ${BACKEND_PREFERENCE.join(', ')}${skipped.length > 0 ? ` (${skipped.join('; ')})` : ''}`,
  );
}
