import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, embeddedBackends, expectNoLeakedTensors } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { healthStatistics, readStepHealth } from './health-statistics';

const K = 4;
const uniform = (rows: number) => tf.fill([rows, K], 1 / K) as tf.Tensor2D;
const oneHot = (winners: number[]) => tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(winners, 'int32'), K), 'float32')) as tf.Tensor2D;

async function statistics(inputs: Parameters<typeof healthStatistics>[0]) {
  const vector = healthStatistics(inputs);
  const health = readStepHealth((await vector.data()) as Float32Array);
  vector.dispose();
  return health;
}

describeEachBackend(embeddedBackends(), 'healthStatistics', () => {
  it('reads 1 for uniform predictions and 0 for one-hot ones, relative to ln K', async () => {
    const embeddings = tf.tensor2d([
      [1, 0],
      [0, 1],
      [-1, 0],
    ]);
    const crossEntropy = tf.scalar(Math.log(K));
    const collapsed = await statistics({ anchorProbs: uniform(6), targetProbs: uniform(3), targetEmbeddings: embeddings, crossEntropy });
    expect(collapsed.anchorEntropy).toBeCloseTo(1, 5);
    expect(collapsed.targetEntropy).toBeCloseTo(1, 5);
    expect(collapsed.meanAnchorEntropy).toBeCloseTo(1, 5);
    expect(collapsed.lossRatio).toBeCloseTo(1, 5);
    // One-hot on distinct prototypes: confident images (entropy 0), balanced on average (mean entropy log 3 / log 4).
    const confident = await statistics({ anchorProbs: oneHot([0, 1, 2]), targetProbs: oneHot([0, 1, 2]), targetEmbeddings: embeddings, crossEntropy });
    expect(confident.anchorEntropy).toBeCloseTo(0, 5);
    expect(confident.meanAnchorEntropy).toBeCloseTo(Math.log(3) / Math.log(K), 5);
    expect([...confident.prototypeWins]).toEqual([1, 1, 1, 0]);
    // Everyone on prototype 2: the mean prediction is one-hot too.
    const single = await statistics({ anchorProbs: oneHot([2, 2, 2]), targetProbs: oneHot([2, 2, 2]), targetEmbeddings: embeddings, crossEntropy });
    expect(single.meanTargetEntropy).toBeCloseTo(0, 5);
    expect([...single.prototypeWins]).toEqual([0, 0, 3, 0]);
    tf.dispose([embeddings, crossEntropy]);
  });

  it('measures the mean cosine between different images (1 when all coincide, 0 for orthogonal)', async () => {
    const probs = uniform(3);
    const crossEntropy = tf.scalar(1);
    const same = tf.tensor2d([
      [2, 1],
      [4, 2],
      [1, 0.5],
    ]);
    const orthogonal = tf.tensor2d([
      [3, 0, 0],
      [0, 0.5, 0],
      [0, 0, 2],
    ]);
    const pair = tf.tensor2d([
      [1, 0],
      [-1, 0],
      [0, 1],
    ]); // cosines −1, 0, 0: mean −1/3
    expect((await statistics({ anchorProbs: probs, targetProbs: probs, targetEmbeddings: same, crossEntropy })).featureCosine).toBeCloseTo(1, 5);
    expect((await statistics({ anchorProbs: probs, targetProbs: probs, targetEmbeddings: orthogonal, crossEntropy })).featureCosine).toBeCloseTo(0, 5);
    expect((await statistics({ anchorProbs: probs, targetProbs: probs, targetEmbeddings: pair, crossEntropy })).featureCosine).toBeCloseTo(-1 / 3, 5);
    tf.dispose([probs, crossEntropy, same, orthogonal, pair]);
  });

  it('frees everything but its result', async () => {
    const probs = uniform(3);
    const embeddings = tf.randomNormal([3, 5]) as tf.Tensor2D;
    const crossEntropy = tf.scalar(1);
    await expectNoLeakedTensors(() => {
      healthStatistics({ anchorProbs: probs, targetProbs: probs, targetEmbeddings: embeddings, crossEntropy }).dispose();
    }, 5);
    tf.dispose([probs, embeddings, crossEntropy]);
  });
});
