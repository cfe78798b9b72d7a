// --prior: the built-in priors by name, or a user's prior loaded from a JavaScript module.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Prior } from '@msn/priors';

/** What `--prior` names: a built-in target distribution of `@msn/loss`, or a prior function. */
export type PriorChoice = 'uniform' | 'power_law' | { prior: Prior; name: string };

/**
 * `uniform` and `power_law` are built in; anything else is the path of a module whose default export (or `prior`
 * export) is a prior function `(meanAnchorProbs: Tensor1D) => Tensor1D`.
 * @throws {Error} naming the path when the module cannot be imported or exports no function.
 */
export async function loadPrior(value: string): Promise<PriorChoice> {
  if (value === 'uniform' || value === 'power_law') return value;
  const path = resolve(value);
  let module: { default?: unknown; prior?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as typeof module;
  } catch (error) {
    throw new Error(`--prior: cannot import '${path}' (expected uniform, power_law or a JS module exporting a prior)`, { cause: error });
  }
  const prior = typeof module.default === 'function' ? module.default : module.prior;
  if (typeof prior !== 'function') {
    throw new Error(`--prior: '${path}' exports no prior function (export default (meanAnchorProbs) => prior, or export const prior)`);
  }
  return { prior: prior as Prior, name: path };
}
