// Child process for msn-training-step.test.ts: one step with tfjs-core alone, i.e. without registered gradients.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { MSNModel } from '../msn-model';
import { msnTrainingStep } from '../msn-training-step';

await tf.setBackend('cpu');
const model = new MSNModel({
  config: { vit: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 }, head: { hiddenDim: 16, outputDim: 8 }, numPrototypes: 6 },
  seed: 0,
});
try {
  await msnTrainingStep(model, { targets: tf.randomNormal([4, 3, 8, 8]), anchors: tf.randomNormal([4, 3, 8, 8]) }, { optimizer: model.createOptimizer() });
  console.log('no error');
} catch (error) {
  console.log((error as Error).message);
}
