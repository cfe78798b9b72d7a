// The step/ checkpoints hold lightly's anchor and target networks under prefixes; both modules must load them strictly.
import * as tf from '@tensorflow/tfjs-core';
import { listFixtures, readFixtures, useBackend, type FixtureFile } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { MaskedVisionTransformer } from './masked-vision-transformer';
import { MSNProjectionHead } from './msn-projection-head';
import { readSafetensors, writeSafetensors } from './safetensors';
import { loadSafetensors } from './safetensors-file';

const runs = readFixtures<FixtureFile>('step');
const checkpoints = listFixtures('step', '.safetensors');

describe('checkpoint interchange', () => {
  beforeAll(() => useBackend('cpu'));

  it('finds step fixtures and checkpoints', () => {
    expect(runs.length).toBeGreaterThan(0);
    expect(checkpoints.length).toBeGreaterThan(0);
  });

  for (const checkpoint of checkpoints) {
    it(`loads every network of ${checkpoint} under its prefix and writes it back unchanged`, async () => {
      const { params } = runs[0]!.fixture;
      const vitParams = params.vit as Record<string, number>;
      const headParams = params.head as Record<string, number>;
      const { tensors } = await loadSafetensors(checkpoint);
      const before = tf.memory().numTensors;
      for (const network of ['target', 'anchor']) {
        const vit = new MaskedVisionTransformer({ config: { ...vitParams, positionEmbedding: 'sincos' } as never, seed: 0 });
        const head = new MSNProjectionHead({ ...headParams, seed: 0 } as never);
        // lightly's wrapper adds `mask_token` next to `vit.`; the prefix leaves it (and the other networks) out.
        vit.loadStateDict(tensors, { prefix: `${network}.backbone.vit.` });
        head.loadStateDict(tensors, { prefix: `${network}.head.` });
        const exported = readSafetensors(
          writeSafetensors(new Map([...vit.stateDict({ prefix: `${network}.backbone.vit.` }), ...head.stateDict({ prefix: `${network}.head.` })])),
        ).tensors;
        for (const [name, entry] of exported) {
          expect(Array.from(entry.data), name).toEqual(Array.from(tensors.get(name)!.data));
        }
        const names = [...tensors.keys()].filter((name) => name.startsWith(`${network}.`) && !name.endsWith('mask_token'));
        expect([...exported.keys()].sort()).toEqual(names.sort());
        vit.dispose();
        head.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
