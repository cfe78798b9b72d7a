// MSN in miniature: a linear encoder and learnable prototypes trained on synthetic clustered data.
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss } from '@msn/loss';

export interface DemoConfig {
  /** Gaussian clusters the data is drawn from. */
  numClusters: number;
  inputDim: number;
  embedDim: number;
  numPrototypes: number;
  batchSize: number;
  /** Anchor views per image (noisy, randomly masked); the target view is the clean image. */
  numViews: number;
  /** Share of input features zeroed in each anchor view (MSN masks patches; here, features). */
  maskRatio: number;
  steps: number;
  learningRate: number;
  /** EMA momentum of the target encoder, as in MSN. */
  momentum: number;
  seed: number;
}

export interface StepLog {
  step: number;
  loss: number;
  crossEntropy: number;
  regLoss: number;
}

/** A deterministic stream of seeds for tfjs's seeded random ops. */
function seeds(start: number): () => number {
  let state = start;
  return () => (state = (state * 48271) % 2147483647);
}

/**
 * Trains `criterion` for `config.steps` steps and returns one log line per step. Everything it allocates is
 * freed before it returns.
 */
export function trainDemo(criterion: MSNLoss, config: DemoConfig, onStep: (log: StepLog) => void = () => {}): StepLog[] {
  const nextSeed = seeds(config.seed);
  const centers = tf.tidy(() => tf.mul(tf.randomNormal([config.numClusters, config.inputDim], 0, 1, 'float32', nextSeed()), 3));
  // Made inside tidy, which frees the initial values (a variable keeps its own reference to the data).
  const encoder = tf.tidy(() =>
    tf.variable(tf.randomNormal<tf.Rank.R2>([config.inputDim, config.embedDim], 0, 0.3, 'float32', nextSeed()), true, 'encoder'),
  );
  const targetEncoder = tf.tidy(() => tf.variable(encoder.clone(), false, 'target-encoder'));
  const prototypes = tf.tidy(() =>
    tf.variable(tf.randomNormal<tf.Rank.R2>([config.numPrototypes, config.embedDim], 0, 1, 'float32', nextSeed()), true, 'prototypes'),
  );
  const optimizer = tf.train.adam(config.learningRate);
  const logs: StepLog[] = [];

  for (let step = 1; step <= config.steps; step++) {
    const log = tf.tidy(() => {
      const labels = tf.randomUniform([config.batchSize], 0, config.numClusters, 'int32', nextSeed());
      const images = tf.add(tf.gather(centers, labels), tf.randomNormal([config.batchSize, config.inputDim], 0, 1, 'float32', nextSeed()));
      // View-major anchors: V noisy copies with a random share of features masked out.
      const repeated = tf.tile(images, [config.numViews, 1]);
      const shape: [number, number] = [config.numViews * config.batchSize, config.inputDim];
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', nextSeed()), config.maskRatio), 'float32');
      const anchorInputs = tf.mul(tf.add(repeated, tf.randomNormal(shape, 0, 0.5, 'float32', nextSeed())), keep);
      // Targets come from the EMA encoder outside the gradient scope: no gradient reaches it.
      const targets = tf.matMul(images, targetEncoder);
      // The parts, for the log, before the update (a second forward pass is cheap at this size).
      const details = criterion.forwardWithDetails(tf.matMul(anchorInputs, encoder), targets, prototypes);
      const loss = optimizer.minimize(
        () => criterion.forward(tf.matMul(anchorInputs, encoder), targets, prototypes),
        true,
        [encoder, prototypes],
      )!;
      targetEncoder.assign(tf.add(tf.mul(targetEncoder, config.momentum), tf.mul(encoder, 1 - config.momentum)));
      return {
        step,
        loss: loss.dataSync()[0]!,
        crossEntropy: details.crossEntropy.dataSync()[0]!,
        regLoss: details.regLoss.dataSync()[0]!,
      };
    });
    logs.push(log);
    onStep(log);
  }
  optimizer.dispose();
  tf.dispose([centers, encoder, targetEncoder, prototypes]);
  return logs;
}
