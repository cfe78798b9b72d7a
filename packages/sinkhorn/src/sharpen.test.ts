import * as tf from '@tensorflow/tfjs-core';
import {
  FIXTURE_TOLERANCE,
  describeEachBackend,
  embeddedBackends,
  expectClose,
  expectNoLeakedTensors,
  fixtureToTensor,
  readFixtureCases,
} from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { sharpen } from './sharpen';

// The folder holds sinkhorn and sharpen cases; which is which comes from the parameters, not the file name.
const fixtureCases = readFixtureCases('sinkhorn', (fixture) => 'temperature' in fixture.params);

describeEachBackend(embeddedBackends(), 'sharpen', () => {
  it('finds fixture cases', () => expect(fixtureCases.length).toBeGreaterThan(0));

  for (const { path, fixture } of fixtureCases) {
    it(`matches ${fixture.name}`, () => {
      const probabilities = fixtureToTensor(fixture.inputs.probabilities!) as tf.Tensor2D;
      const output = sharpen(probabilities, fixture.params.temperature as number);
      expectClose(output, fixture.outputs.output!, { label: `${path} ${fixture.name}`, tolerance: FIXTURE_TOLERANCE });
      tf.dispose([probabilities, output]);
    });
  }

  it('keeps rows summing to 1 and is the identity at temperature 1', () => {
    const probabilities = tf.softmax(tf.randomNormal([5, 7], 0, 1, 'float32', 11)) as tf.Tensor2D;
    const same = sharpen(probabilities, 1);
    expectClose(same, probabilities.dataSync(), { label: 'temperature 1', tolerance: FIXTURE_TOLERANCE });
    const sharp = sharpen(probabilities, 0.25);
    expectClose(tf.sum(sharp, 1), new Array(5).fill(1), { label: 'row sums', tolerance: FIXTURE_TOLERANCE });
    // Sharpening raises every row's maximum.
    const before = tf.max(probabilities, 1).dataSync();
    const after = tf.max(sharp, 1).dataSync();
    for (let row = 0; row < 5; row++) expect(after[row]).toBeGreaterThan(before[row]!);
    tf.dispose([probabilities, same, sharp]);
  });

  it('does not leak tensors', async () => {
    const probabilities = tf.softmax(tf.randomNormal([8, 10], 0, 1, 'float32', 1)) as tf.Tensor2D;
    await expectNoLeakedTensors(() => tf.dispose(sharpen(probabilities, 0.25)));
    probabilities.dispose();
  });
});

describe('sharpen validation', () => {
  it('rejects a temperature that is not > 0, naming it', () => {
    const probabilities = tf.ones([2, 3]) as tf.Tensor2D;
    expect(() => sharpen(probabilities, 0)).toThrow(InvalidArgumentError);
    expect(() => sharpen(probabilities, -2)).toThrow(/sharpen: invalid argument 'temperature' = -2/);
    expect(() => sharpen(probabilities, Number.NaN)).toThrow(/'temperature' = NaN/);
    probabilities.dispose();
  });
});
