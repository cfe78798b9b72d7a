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
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { sinkhorn } from './sinkhorn';

// The folder holds sinkhorn and sharpen cases; which is which comes from the parameters, not the file name.
const fixtureCases = readFixtureCases('sinkhorn', (fixture) => 'iterations' in fixture.params);

describeEachBackend(embeddedBackends(), 'sinkhorn', () => {
  it('finds fixture cases', () => expect(fixtureCases.length).toBeGreaterThan(0));

  for (const { path, fixture } of fixtureCases) {
    it(`matches ${fixture.name}`, () => {
      const iterations = fixture.params.iterations as number;
      const probabilities = fixtureToTensor(fixture.inputs.probabilities!) as tf.Tensor2D;
      const output = sinkhorn(probabilities, { iterations });
      if (iterations === 0) {
        // Exact: the input comes back unchanged, not even normalised.
        expect(Array.from(output.dataSync())).toEqual(Array.from(probabilities.dataSync()));
      }
      expectClose(output, fixture.outputs.output!, { label: `${path} ${fixture.name}`, tolerance: FIXTURE_TOLERANCE });
      tf.dispose([probabilities, output]);
    });
  }

  it('returns rows summing to 1 and balanced prototype columns', () => {
    const [batch, prototypes] = [16, 8];
    const probabilities = tf.softmax(tf.randomNormal([batch, prototypes], 0, 3, 'float32', 7)) as tf.Tensor2D;
    const output = sinkhorn(probabilities, { iterations: 50 });
    expectClose(tf.sum(output, 1), new Array(batch).fill(1), { label: 'row sums', tolerance: FIXTURE_TOLERANCE });
    expectClose(tf.sum(output, 0), new Array(prototypes).fill(batch / prototypes), {
      label: 'column sums after many iterations',
      tolerance: { relative: 1e-3, absoluteOfMax: 0 },
    });
    tf.dispose([probabilities, output]);
  });

  it('with a summing allReduce over identical halves equals the single-process result on the whole', () => {
    const half = tf.softmax(tf.randomNormal([4, 6], 0, 2, 'float32', 3)) as tf.Tensor2D;
    const whole = tf.concat([half, half]) as tf.Tensor2D;
    // Two processes holding the same rows: every all-reduced total is twice the local one.
    const doubled = sinkhorn(half, { iterations: 3, allReduce: (tensor) => tf.mul(tensor, 2) });
    const reference = sinkhorn(whole, { iterations: 3 });
    expectClose(doubled, tf.slice(reference, [0, 0], [4, 6]), {
      label: 'distributed halves',
      tolerance: FIXTURE_TOLERANCE,
    });
    tf.dispose([half, whole, doubled, reference]);
  });

  it('does not leak tensors', async () => {
    const probabilities = tf.softmax(tf.randomNormal([8, 10], 0, 1, 'float32', 1)) as tf.Tensor2D;
    await expectNoLeakedTensors(() => tf.dispose(sinkhorn(probabilities)));
    await expectNoLeakedTensors(() => tf.dispose(sinkhorn(probabilities, { iterations: 0 })));
    probabilities.dispose();
  });
});

describe('sinkhorn validation', () => {
  it('rejects a negative or fractional iteration count, naming it', () => {
    const probabilities = tf.ones([2, 3]) as tf.Tensor2D;
    expect(() => sinkhorn(probabilities, { iterations: -1 })).toThrow(InvalidArgumentError);
    expect(() => sinkhorn(probabilities, { iterations: -1 })).toThrow(/'iterations' = -1; expected an integer >= 0/);
    expect(() => sinkhorn(probabilities, { iterations: 1.5 })).toThrow(/'iterations' = 1.5/);
    probabilities.dispose();
  });

  it('rejects a tensor that is not 2-D, printing its shape', () => {
    const vector = tf.ones([3]);
    expect(() => sinkhorn(vector as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => sinkhorn(vector as tf.Tensor2D)).toThrow(/probabilities.*\[3\]/);
    vector.dispose();
  });
});
