// Finding a BLAS: a named library must load (clear error), the automatic search falls back to pure wasm silently.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '@msn/errors';
import { selectBackend } from '../select-backend';
import { installedBlasLibrary, uninstallBlasKernels } from './blas-kernels';
import { enableBlas } from './enable-blas';
import { findBlasLibrary } from './find-blas-library';

const available = (await findBlasLibrary({ library: 'auto' }).catch(() => ({ library: null }))).library;

describe('enableBlas and selectBackend with a BLAS', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterEach(() => {
    uninstallBlasKernels();
    delete process.env.MSN_BLAS_LIBRARY;
    delete process.env.LOCAL_WORLD_SIZE;
    delete process.env.MSN_BLAS_THREADS;
  });

  it('rejects a named library that does not exist, naming its path', async () => {
    const attempt = enableBlas({ library: '/nonexistent/libopenblas.so.0' });
    await expect(attempt).rejects.toThrow(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(/cannot load the BLAS library '\/nonexistent\/libopenblas\.so\.0'/);
  });

  it('rejects MSN_BLAS_LIBRARY pointing nowhere when selecting the backend', async () => {
    process.env.MSN_BLAS_LIBRARY = '/nonexistent/libblas.so';
    await expect(selectBackend({ backend: 'wasm', log: false })).rejects.toThrow(/'\/nonexistent\/libblas\.so'/);
  });

  it('rejects a library without cblas_sgemm', async () => {
    await expect(enableBlas({ library: 'libc.so.6' })).rejects.toThrow(/'libc\.so\.6' has no cblas_sgemm; expected a CBLAS library/);
  });

  it('falls back silently to the stock wasm kernels when the search finds nothing, and they still compute', async () => {
    const outcome = await enableBlas({ library: 'auto', candidates: ['libno-such-blas.so.9'] });
    expect(outcome).toEqual({ blas: null, summary: 'no BLAS found' });
    expect(installedBlasLibrary()).toBeNull();
    const product = tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]));
    expect([...product.dataSync()]).toEqual([4, 5, 10, 11]);
    product.dispose();
  });

  it("says 'BLAS disabled' for blas: 'none'", async () => {
    const choice = await selectBackend({ backend: 'wasm', blas: 'none', log: false });
    expect(choice.blas).toBeNull();
    expect(choice.description).toMatch(/^backend: wasm \(tfjs-backend-wasm 4\.\d+\.\d+, BLAS disabled\)$/);
    expect(installedBlasLibrary()).toBeNull();
  });

  it.skipIf(available === null)('uses the BLAS found on all cores and says so in the backend line', async () => {
    const lines: string[] = [];
    const choice = await selectBackend({ backend: 'wasm', log: (line) => lines.push(line) });
    expect(choice.blas).toEqual({ name: available!.name, path: available!.path, threads: availableParallelism() });
    expect(lines).toEqual([
      `backend: wasm (tfjs-backend-wasm ${choice.version}, BLAS ${available!.name} on ${availableParallelism()} thread${availableParallelism() === 1 ? '' : 's'} (${available!.path}))`,
    ]);
    expect(installedBlasLibrary()?.path).toBe(available!.path);
  });

  it.skipIf(available === null)('shares the cores among the processes of a job on this machine, unless MSN_BLAS_THREADS says', async () => {
    process.env.LOCAL_WORLD_SIZE = String(availableParallelism() * 2);
    expect((await enableBlas({ library: available!.path })).blas?.threads).toBe(1);
    process.env.MSN_BLAS_THREADS = '3';
    expect((await enableBlas({ library: available!.path })).blas?.threads).toBe(3);
    // Back to the default for the tests after this one.
    delete process.env.LOCAL_WORLD_SIZE;
    delete process.env.MSN_BLAS_THREADS;
    expect((await enableBlas({ library: available!.path })).blas?.threads).toBe(availableParallelism());
  });
});
