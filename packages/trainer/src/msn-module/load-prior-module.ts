// @file Loads a user's PMSN prior from a JavaScript or TypeScript module (the `--prior <path>` of the apps).
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Prior } from '@msn/priors';
import { InvalidArgumentError } from '@msn/errors';

/** A prior read from a module, with the name errors and logs use. */
export interface LoadedPrior {
  prior: Prior;
  /** `<file name>#<export>`, e.g. `my-prior.mjs#default`. */
  name: string;
  /** The module's absolute path. */
  path: string;
}

const EXPECTED_EXPORT = 'a module exporting a prior function (meanAnchorProbs: Tensor1D) => Tensor1D as `export default` or `export const prior`';

/**
 * Imports the module at `path` (relative to `cwd`) and returns the prior it exports: `export const prior = …`, or
 * `export default …` (for a CommonJS module, `module.exports = prior` or `module.exports.prior`). TypeScript
 * modules load when the program runs under a TypeScript loader such as tsx (the example apps do). The module
 * should import `@tensorflow/tfjs-core` from the same installation as the program, so both share one engine.
 * The prior's output is not checked here; pass it to `createMSNCriterion` (or `MSNModule`), which probes it with
 * the number of prototypes.
 *
 * @example
 * // my-prior.mjs: export default (q) => tf.tidy(() => { const p = tf.sqrt(q); return tf.div(p, tf.sum(p)); });
 * const { prior, name } = await loadPriorModule('my-prior.mjs');
 * @throws {InvalidArgumentError} naming the path when the file does not exist or is not a file, when importing
 *   it fails (syntax error, missing import, an exception at load; the original error is the `cause`), when it
 *   exports neither `prior` nor a default, or when the export is not a function.
 */
export async function loadPriorModule(path: string, options: { cwd?: string } = {}): Promise<LoadedPrior> {
  const caller = 'loadPriorModule';
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError({ caller, argument: 'path', value: path, expected: 'the path of a JavaScript or TypeScript module' });
  }
  const absolute = resolve(options.cwd ?? process.cwd(), path);
  let isFile: boolean;
  try {
    isFile = (await stat(absolute)).isFile();
  } catch (error) {
    throw new InvalidArgumentError(
      {
        caller,
        argument: 'path',
        value: path,
        expected: `an existing module file (${absolute} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      },
      { cause: error },
    );
  }
  if (!isFile) throw new InvalidArgumentError({ caller, argument: 'path', value: path, expected: `a module file (${absolute} is not a file)` });

  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const hint =
      /\.(c|m)?ts$/.test(absolute) && /Unknown file extension/.test(String(reason))
        ? ' (TypeScript modules need a loader: run with tsx, or compile the prior to JavaScript)'
        : '';
    throw new InvalidArgumentError(
      { caller, argument: 'path', value: path, expected: `a module that can be imported; importing it failed: ${reason}${hint}` },
      { cause: error },
    );
  }
  const defaultExport = module.default;
  const nested = typeof defaultExport === 'object' && defaultExport !== null ? (defaultExport as Record<string, unknown>) : undefined;
  const candidates: [string, unknown][] = [
    ['prior', module.prior],
    ['default', defaultExport],
    ['default.prior', nested?.prior],
  ];
  const found = candidates.find(([, value]) => typeof value === 'function');
  if (found === undefined) {
    const present = candidates.filter(([, value]) => value !== undefined);
    const value =
      present.length === 0
        ? `exports: ${Object.keys(module).join(', ') || '(none)'}`
        : present.map(([name, exported]) => `${name}: ${exported === null ? 'null' : typeof exported}`).join(', ');
    throw new InvalidArgumentError({ caller, argument: `path ${JSON.stringify(path)}`, value, expected: EXPECTED_EXPORT });
  }
  return { prior: found[1] as Prior, name: `${basename(absolute)}#${found[0]}`, path: absolute };
}
