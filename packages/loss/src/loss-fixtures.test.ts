// Every file of the fixtures' loss/ folder, forward parts and gradients, on every embedded backend (and webgpu).
import * as tf from '@tensorflow/tfjs-core';
import { uniformPrior, powerLawPrior, type Prior } from '@msn/priors';
import { FIXTURE_TOLERANCE, describeEachBackend, expectTensorClose, fixtureBackends, fixtureToTensor, readFixtures, type FixtureFile } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { MSNLoss, type MSNLossDetails } from './msn-loss';
import { PMSNCustomLoss } from './pmsn-custom-loss';
import { PMSNLoss } from './pmsn-loss';

const fixtures = readFixtures<FixtureFile>('loss');

function priorNamed(name: unknown, params: Record<string, unknown>): Prior {
  if (name === 'uniform') return uniformPrior();
  if (name === 'power_law') return powerLawPrior(params.powerLawExponent as number);
  throw new Error(`loss fixture: unknown prior ${JSON.stringify(name)}`);
}

/** The loss class and every parameter come from the fixture. */
function lossFor(params: Record<string, unknown>): MSNLoss {
  const common = {
    temperature: params.temperature as number | undefined,
    sinkhornIterations: params.sinkhornIterations as number | undefined,
    regularizationWeight: params.regularizationWeight as number | undefined,
  };
  switch (params.lossClass) {
    case 'MSNLoss':
      return new MSNLoss(common);
    case 'PMSNLoss':
      return new PMSNLoss({ ...common, powerLawExponent: params.powerLawExponent as number | undefined });
    case 'PMSNCustomLoss':
      return new PMSNCustomLoss({ ...common, targetDistribution: priorNamed(params.prior, params) });
    default:
      throw new Error(`loss fixture: unknown lossClass ${JSON.stringify(params.lossClass)}`);
  }
}

const forwardOutputs = ['loss', 'crossEntropy', 'regLoss', 'anchorProbs', 'meanAnchorProbs', 'targetProbs', 'prior'];
const gradientOutputs = ['gradAnchors', 'gradPrototypes'];

describeEachBackend(fixtureBackends(), 'loss fixtures', () => {
  it('finds fixture files', () => expect(fixtures.length).toBeGreaterThan(0));

  for (const { path, fixture } of fixtures) {
    const name = path.split('/').pop();
    it(`matches ${name}: every forward part and the gradients`, async () => {
      const { params, inputs, outputs } = fixture;
      // Every output in the file must be checked here; an unknown one means this test is out of date.
      const unknown = Object.keys(outputs).filter((key) => !forwardOutputs.includes(key) && !gradientOutputs.includes(key));
      expect(unknown, `${path}: outputs this test does not check`).toEqual([]);
      const criterion = lossFor(params);
      const sharpenTemperature = params.targetSharpenTemperature as number;
      const [anchors, targets, prototypes] = ['anchors', 'targets', 'prototypes'].map((key) => fixtureToTensor(inputs[key]!) as tf.Tensor2D) as [
        tf.Tensor2D,
        tf.Tensor2D,
        tf.Tensor2D,
      ];
      expect(anchors.shape).toEqual([(params.batchSize as number) * (params.numViews as number), params.dim]);

      const details = criterion.forwardWithDetails(anchors, targets, prototypes, sharpenTemperature);
      expect(details.prior !== undefined, `${path}: prior reported`).toBe('prior' in outputs);
      for (const key of forwardOutputs) {
        if (!(key in outputs)) continue;
        await expectTensorClose(details[key as keyof MSNLossDetails]!, outputs[key]!, {
          label: `${path} ${key}`,
          tolerance: FIXTURE_TOLERANCE,
        });
      }

      const loss = criterion.forward(anchors, targets, prototypes, sharpenTemperature);
      await expectTensorClose(loss, outputs.loss!, { label: `${path} forward`, tolerance: FIXTURE_TOLERANCE });
      const [gradAnchors, gradPrototypes] = tf.grads((a, p) => criterion.forward(a as tf.Tensor2D, targets, p as tf.Tensor2D, sharpenTemperature))([
        anchors,
        prototypes,
      ]);
      await expectTensorClose(gradAnchors!, outputs.gradAnchors!, { label: `${path} gradAnchors`, tolerance: FIXTURE_TOLERANCE });
      await expectTensorClose(gradPrototypes!, outputs.gradPrototypes!, { label: `${path} gradPrototypes`, tolerance: FIXTURE_TOLERANCE });
      tf.dispose([anchors, targets, prototypes, loss, gradAnchors!, gradPrototypes!, ...Object.values(details)]);
    });
  }
});
