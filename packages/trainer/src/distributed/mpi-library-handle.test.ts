// koffi is an optional peer: without it, DDP fails with one error that says what to install.
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('loadKoffi', () => {
  afterEach(() => {
    vi.doUnmock('koffi');
    vi.resetModules();
  });

  it('loads koffi when it is installed', async () => {
    const { loadKoffi } = await import('./mpi-library-handle');
    const koffi = await loadKoffi();
    expect(typeof koffi.load).toBe('function');
    expect(typeof koffi.address).toBe('function');
  });

  it('without koffi: a mpi-unavailable DistributedError saying to npm install koffi, with the cause', async () => {
    vi.doMock('koffi', () => {
      throw new Error("Cannot find package 'koffi'");
    });
    const { loadKoffi } = await import('./mpi-library-handle');
    const failure = await loadKoffi().then(
      () => undefined,
      (error: unknown) => error as Error & { code: string },
    );
    expect(failure).toMatchObject({ name: 'DistributedError', code: 'mpi-unavailable' });
    expect(failure!.message).toMatch(
      /calls MPI through the koffi package, which is not installed: npm install koffi \(an optional peer dependency of @msn\/trainer; single-process training does not need it\)/,
    );
    expect(failure!.cause).toBeInstanceOf(Error);
  });
});
