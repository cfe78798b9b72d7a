// The published entries, as a user's `import` and `require` load them: each holds its names, and a class is one class
// across entries in each format (a model from `@msn/trainer` is the model `@msn/trainer/lightning` trains).
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_MSN_CONFIG } from './msn-module/__fixtures__/tiny-msn-config';

const ENTRIES = ['index', 'lightning', 'ddp', 'evaluation', 'report'] as const;
// One name each entry must hold, so a wrong split or a missing build fails here.
const SAMPLE_NAME = { index: 'MSNModel', lightning: 'MSNModule', ddp: 'initProcessGroup', evaluation: 'knnClassify', report: 'writeRunReport' };
type Entry = Record<string, unknown>;

const load = {
  esm: async (entry: string) => (await import(`../dist/${entry}.js`)) as Entry,
  cjs: async (entry: string) => createRequire(import.meta.url)(`../dist/${entry}.cjs`) as Entry,
};

describe('package entries', () => {
  beforeAll(() => useBackend('cpu'));

  for (const format of ['esm', 'cjs'] as const) {
    it(`load in ${format}, each with its own names, and share classes`, async () => {
      const entries = Object.fromEntries(await Promise.all(ENTRIES.map(async (entry) => [entry, await load[format](entry)] as const)));
      for (const entry of ENTRIES) expect(entries[entry]![SAMPLE_NAME[entry]], `${entry} exports ${SAMPLE_NAME[entry]}`).toBeDefined();
      expect(entries.index!.MSNModule).toBeUndefined();
      expect(entries.lightning!.MSNModel).toBeUndefined();
      const { MSNModule } = entries.lightning as { MSNModule: new (options: object) => { model: object; dispose(): void } };
      const { MSNModel } = entries.index as { MSNModel: abstract new (...args: never[]) => object };
      const before = tf.memory().numTensors;
      const module = new MSNModule({ config: TINY_MSN_CONFIG, seed: 1 });
      expect(module.model).toBeInstanceOf(MSNModel);
      module.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
