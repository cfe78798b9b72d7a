// Finds and starts the communication worker: built JS next to the bundle, or the TypeScript source under tsx.
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { DistributedError } from './distributed-error';

function currentModuleFile(): string {
  // CommonJS bundles define __filename; ES modules (built or source) know their URL.
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/**
 * Starts `comm-worker` from the directory of this module: `dist/comm-worker.js` (ESM) or `.cjs` (CommonJS)
 * in the published package, `src/distributed/comm-worker.ts` in a source checkout run through tsx (worker
 * threads do not inherit tsx's loader, so the worker registers it first).
 */
export function startCommunicationWorker(workerData: unknown, transferList: TransferListItem[]): Worker {
  const moduleFile = currentModuleFile();
  const directory = dirname(moduleFile);
  const names = [`comm-worker${extname(moduleFile)}`, 'comm-worker.js', 'comm-worker.cjs', 'comm-worker.ts'];
  const file = names.map((name) => join(directory, name)).find((path) => existsSync(path));
  if (!file) {
    throw new DistributedError({
      code: 'internal',
      message: `the communication worker (comm-worker.js) is missing from ${directory}: reinstall @msn/trainer`,
    });
  }
  if (!file.endsWith('.ts')) return new Worker(file, { workerData, transferList });
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch (error) {
    throw new DistributedError(
      {
        code: 'internal',
        message: 'running @msn/trainer from its TypeScript sources needs tsx (npm i -D tsx) for the communication worker',
      },
      { cause: error },
    );
  }
  const bootstrap =
    `import { register } from ${JSON.stringify(tsxApi)}; register();` +
    `await import(${JSON.stringify(pathToFileURL(file).href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData, transferList });
}
