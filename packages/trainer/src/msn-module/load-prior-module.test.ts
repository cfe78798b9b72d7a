import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { PMSNCustomLoss } from '@msn/loss';
import { useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { loadPriorModule } from './load-prior-module';
import { createMSNCriterion } from '../msn/msn-criterion';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__');
const values = (tensor: tf.Tensor) => Array.from(tensor.dataSync());

beforeAll(async () => {
  await useBackend('cpu');
});

describe('loadPriorModule', () => {
  it('loads a default export, a named `prior` export, a CommonJS export and a TypeScript module', async () => {
    const q = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
    const loaded = await Promise.all(
      ['prior-default.mjs', 'prior-named.mjs', 'prior-commonjs.cjs', 'prior-typescript.ts'].map((file) => loadPriorModule(join(fixtures, file))),
    );
    expect(loaded.map(({ name }) => name)).toEqual([
      'prior-default.mjs#default',
      'prior-named.mjs#prior',
      'prior-commonjs.cjs#prior',
      'prior-typescript.ts#default',
    ]);
    const [sqrt, uniform, commonjs, half] = loaded.map(({ prior }) => tf.tidy(() => values(prior(q))));
    const roots = [0.1, 0.2, 0.3, 0.4].map(Math.sqrt);
    const total = roots.reduce((sum, value) => sum + value, 0);
    sqrt!.forEach((value, index) => expect(value).toBeCloseTo(roots[index]! / total, 6));
    expect(uniform).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(commonjs).toEqual([0.25, 0.25, 0.25, 0.25]);
    half!.forEach((value, index) => expect(value).toBeCloseTo(0.05 * (index + 1) + 0.125, 6));
    expect(loaded[0]!.path).toBe(join(fixtures, 'prior-default.mjs'));
    q.dispose();
  });

  it('resolves relative paths against cwd', async () => {
    const { name } = await loadPriorModule('prior-named.mjs', { cwd: fixtures });
    expect(name).toBe('prior-named.mjs#prior');
  });

  it('names the path and the problem for unreadable modules, missing exports and non-functions', async () => {
    await expect(loadPriorModule(join(fixtures, 'no-such-prior.mjs'))).rejects.toThrow(
      /loadPriorModule: invalid argument 'path' = ".*no-such-prior.mjs"; expected an existing module file \(.* cannot be read: ENOENT\)/,
    );
    await expect(loadPriorModule(fixtures)).rejects.toThrow(/expected a module file \(.* is not a file\)/);
    await expect(loadPriorModule(join(fixtures, 'prior-syntax-error.mjs'))).rejects.toThrow(
      /'path' = ".*prior-syntax-error.mjs"; expected a module that can be imported; importing it failed: /,
    );
    await expect(loadPriorModule(join(fixtures, 'prior-no-export.mjs'))).rejects.toThrow(
      /'path ".*prior-no-export.mjs"' = "exports: exponent"; expected a module exporting a prior function .* as `export default` or `export const prior`/,
    );
    await expect(loadPriorModule(join(fixtures, 'prior-not-function.mjs'))).rejects.toThrow(/= "prior: number"; expected a module exporting a prior function/);
    await expect(loadPriorModule('')).rejects.toThrow(InvalidArgumentError);
    const failure = (await loadPriorModule(join(fixtures, 'prior-syntax-error.mjs')).catch((error: unknown) => error)) as Error;
    expect(failure.cause).toBeInstanceOf(Error);
  });
});

describe('createMSNCriterion', () => {
  it('probes a loaded prior with K and rejects one of the wrong length before training', async () => {
    const { prior, name } = await loadPriorModule(join(fixtures, 'prior-wrong-length.mjs'));
    const before = tf.memory().numTensors;
    expect(() => createMSNCriterion({ numPrototypes: 16, prior, priorName: name })).toThrow(
      /probePrior: invalid argument 'prior prior-wrong-length.mjs#default' = function tenClusters; expected a prior over the 16 prototypes .*returned shape \[10\]; expected \[16\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
    // With K = 10 the same prior fits.
    expect(createMSNCriterion({ numPrototypes: 10, prior, priorName: name })).toBeInstanceOf(PMSNCustomLoss);
  });
});
