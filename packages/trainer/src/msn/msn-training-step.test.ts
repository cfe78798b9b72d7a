import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss, PMSNLoss } from '@msn/loss';
import { describeEachBackend, embeddedBackends, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import type { NamedGradients } from '../optim/adamw';
import { MSNModel } from './msn-model';
import { msnTrainingStep, type MSNBatch, type MSNStepTensors } from './msn-training-step';

const config = {
  vit: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 },
  head: { hiddenDim: 16, outputDim: 8 },
  numPrototypes: 6,
  maskRatio: 0.3,
};
const batchSize = 4;

function makeBatch(seed: number): MSNBatch & { focal: tf.Tensor4D[] } {
  return {
    targets: tf.randomNormal<tf.Rank.R4>([batchSize, 3, 8, 8], 0, 1, 'float32', seed),
    anchors: tf.randomNormal<tf.Rank.R4>([batchSize, 3, 8, 8], 0, 1, 'float32', seed + 1),
    focal: [0, 1].map((view) => tf.randomNormal<tf.Rank.R4>([batchSize, 3, 4, 4], 0, 1, 'float32', seed + 2 + view)),
  };
}

function disposeBatch(batch: MSNBatch): void {
  tf.dispose([batch.targets, ...[batch.anchors, batch.focal ?? []].flat()]);
}

const values = (tensor: tf.Tensor) => Array.from(tensor.dataSync());

/** An optimiser that only records what it is given (names, global norm without the prototypes, their gradient). */
function recordingOptimizer() {
  const calls: { names: string[]; norm: number; prototypes: number[] }[] = [];
  return {
    calls,
    step(gradients: NamedGradients) {
      const list = [...(gradients as ReadonlyMap<string, tf.Tensor>)];
      const encoder = list.filter(([name]) => name !== 'prototypes');
      const norm = Math.sqrt(encoder.reduce((sum, [, gradient]) => sum + tf.tidy(() => tf.sum(tf.square(gradient)).dataSync()[0]!), 0));
      const prototypes = Array.from(list.find(([name]) => name === 'prototypes')![1].dataSync());
      calls.push({ names: list.map(([name]) => name), norm, prototypes });
    },
  };
}

describeEachBackend(embeddedBackends(), 'msnTrainingStep', () => {
  it('keeps tf.memory().numTensors constant over many steps (masks drawn, focal views joined)', async () => {
    const model = new MSNModel({ config, seed: 1 });
    const optimizer = model.createOptimizer({ learningRate: 1e-3, weightDecay: 0.04 });
    const batch = makeBatch(10);
    try {
      const losses: number[] = [];
      await expectNoLeakedTensors(async () => {
        const result = await msnTrainingStep(model, batch, { optimizer, maxGradNorm: 3 });
        losses.push(result.loss);
      }, 8);
      expect(losses.every(Number.isFinite)).toBe(true);
    } finally {
      disposeBatch(batch);
      optimizer.dispose();
      model.dispose();
    }
  });

  it('reports the loss and its parts, and differentiates only anchor parameters and prototypes', async () => {
    const model = new MSNModel({ config, seed: 2 });
    const optimizer = recordingOptimizer();
    const batch = makeBatch(20);
    const loss = new MSNLoss();
    try {
      let seen: { gradients: string[]; anchorsOut: number[]; targetsOut: number[]; masks: (number[] | undefined)[] } | undefined;
      const result = await msnTrainingStep(model, batch, {
        optimizer,
        loss,
        momentum: 1,
        maskSeed: 5,
        inspect: (tensors: MSNStepTensors) => {
          seen = {
            gradients: [...tensors.gradients.keys()],
            anchorsOut: values(tensors.anchorsOut),
            targetsOut: values(tensors.targetsOut),
            masks: [tensors.idxKeepAnchors, tensors.idxKeepFocal].map((mask) => mask && [...mask.shape]),
          };
          expect(tensors.anchorsOut.shape).toEqual([3 * batchSize, 8]);
          expect(tensors.targetsOut.shape).toEqual([batchSize, 8]);
        },
      });
      expect(seen!.masks).toEqual([
        [batchSize, 3],
        [2 * batchSize, 1],
      ]); // 1 + floor(4·0.7), 1 + floor(0·0.7) of 1 + 1
      expect(result.loss).toBeCloseTo(result.crossEntropy + result.regLoss, 4);
      expect(result.gradNorm).toBeGreaterThan(0);
      // The optimiser got exactly the trainable parameters (every one gets a gradient here but the unused ones).
      const trainable = [...model.trainableParameters().keys()];
      expect(seen!.gradients.every((name) => trainable.includes(name))).toBe(true);
      expect(seen!.gradients).toContain('prototypes');
      expect(seen!.gradients).toContain('anchor.backbone.vit.conv_proj.weight');
      expect(optimizer.calls[0]!.names).toEqual(seen!.gradients);
      expect(optimizer.calls[0]!.norm).toBeCloseTo(result.gradNorm, 3);
      // The loss recomputed from the recorded outputs agrees with the reported one.
      const recomputed = tf.tidy(
        () => loss.forward(tf.tensor2d(seen!.anchorsOut, [3 * batchSize, 8]), tf.tensor2d(seen!.targetsOut, [batchSize, 8]), model.prototypes).dataSync()[0]!,
      );
      expect(recomputed).toBeCloseTo(result.loss, 4);
    } finally {
      disposeBatch(batch);
      model.dispose();
    }
  });

  it("clips the encoder's gradients to maxGradNorm (not the prototypes') and reports their norm before clipping", async () => {
    const results = [];
    const optimizers = [recordingOptimizer(), recordingOptimizer()];
    for (const [index, maxGradNorm] of [undefined, 1e-3].entries()) {
      // Same seeds and masks: the same gradients, once without and once with clipping.
      const model = new MSNModel({ config, seed: 3 });
      const batch = makeBatch(30);
      results.push(await msnTrainingStep(model, batch, { optimizer: optimizers[index]!, maskSeed: 1, ...(maxGradNorm ? { maxGradNorm } : {}) }));
      disposeBatch(batch);
      model.dispose();
    }
    const [unclipped, clipped] = optimizers.map((optimizer) => optimizer.calls[0]!);
    expect(results[0]!.gradNorm).toBeGreaterThan(1e-3);
    expect(results[1]!.gradNorm).toBeCloseTo(results[0]!.gradNorm, 5);
    expect(unclipped!.norm).toBeCloseTo(results[0]!.gradNorm, 4);
    expect(clipped!.norm).toBeCloseTo(1e-3, 6);
    expect(clipped!.prototypes).toEqual(unclipped!.prototypes);
    expect(clipped!.names).toEqual(unclipped!.names);
  });

  it('keeps the prototypes fixed with updatePrototypes false, training everything else and reporting the same step', async () => {
    const model = new MSNModel({ config, seed: 4 });
    const optimizer = model.createOptimizer({ learningRate: 1e-2 });
    const batch = makeBatch(40);
    const before = values(model.prototypes);
    const blockBefore = values(
      model.trainableParameters().get('backbone.encoder.layers.encoder_layer_0.mlp.0.weight') ?? [...model.trainableParameters().values()][0]!,
    );
    const recorder = recordingOptimizer();
    const recorded = await msnTrainingStep(model, batch, {
      optimizer: {
        step: (gradients) => {
          recorder.calls.length = 0;
          optimizer.step(gradients);
          recorder.calls.push({ names: [...(gradients as ReadonlyMap<string, tf.Tensor>).keys()], norm: 0, prototypes: [] });
        },
      },
      maskSeed: 2,
      updatePrototypes: false,
    });
    expect(recorder.calls[0]!.names).not.toContain('prototypes');
    expect(values(model.prototypes)).toEqual(before);
    expect(
      values(model.trainableParameters().get('backbone.encoder.layers.encoder_layer_0.mlp.0.weight') ?? [...model.trainableParameters().values()][0]!),
    ).not.toEqual(blockBefore);
    expect(Number.isFinite(recorded.loss)).toBe(true);
    await expect(msnTrainingStep(model, batch, { optimizer, updatePrototypes: 'no' as unknown as boolean })).rejects.toThrow(
      /'updatePrototypes' = "no"; expected a boolean/,
    );
    disposeBatch(batch);
    optimizer.dispose();
    model.dispose();
  });

  it('draws the same masks for the same maskSeed, and uses the given masks as they are', async () => {
    const batch = makeBatch(40);
    const masksOf = async (options: { maskSeed?: number }, extra: Partial<MSNBatch> = {}) => {
      const model = new MSNModel({ config, seed: 4 });
      let masks: number[][] = [];
      const result = await msnTrainingStep(
        model,
        { ...batch, ...extra },
        {
          optimizer: recordingOptimizer(),
          ...options,
          inspect: (tensors) => {
            masks = [tensors.idxKeepAnchors!, tensors.idxKeepFocal!].map(values);
          },
        },
      );
      model.dispose();
      return { masks, loss: result.loss };
    };
    try {
      const first = await masksOf({ maskSeed: 11 });
      const second = await masksOf({ maskSeed: 11 });
      const third = await masksOf({ maskSeed: 12 });
      expect(second).toEqual(first);
      expect(third.masks).not.toEqual(first.masks);
      // Every anchor mask keeps the class token first.
      for (let row = 0; row < batchSize; row++) expect(first.masks[0]![row * 3]).toBe(0);
      const idxKeepAnchors = tf.tensor2d(
        [
          [0, 4, 1],
          [0, 2, 3],
          [0, 1, 2],
          [0, 3, 4],
        ],
        [4, 3],
        'int32',
      );
      const idxKeepFocal = tf.tensor2d([0, 0, 0, 0, 1, 1, 1, 1], [8, 1], 'int32');
      const given = await masksOf({}, { idxKeepAnchors, idxKeepFocal });
      expect(given.masks).toEqual([values(idxKeepAnchors), values(idxKeepFocal)]);
      tf.dispose([idxKeepAnchors, idxKeepFocal]);
    } finally {
      disposeBatch(batch);
    }
  });

  it('leaves the target parameters to the EMA: momentum 1 keeps them, while their BatchNorm statistics move', async () => {
    const model = new MSNModel({ config, seed: 5 });
    const optimizer = model.createOptimizer({ learningRate: 1e-2 });
    const batch = makeBatch(50);
    try {
      const variables = model.namedVariables();
      const snapshot = new Map([...variables].map(([name, variable]) => [name, values(variable)]));
      await msnTrainingStep(model, batch, { optimizer, momentum: 1, maskSeed: 2 });
      for (const [name, variable] of variables) {
        const changed = values(variable).some((value, index) => value !== snapshot.get(name)![index]);
        const expected = name.startsWith('target.') ? name.includes('running_') : model.trainableParameters().has(name) || name.includes('running_');
        expect(changed, name).toBe(expected);
      }
      // Momentum 0 copies the (updated) anchor into the target at the start of the next step.
      await msnTrainingStep(model, batch, { optimizer, momentum: 0, maskSeed: 3 });
      expect(values(variables.get('target.head.layers.0.weight')!)).not.toEqual(snapshot.get('target.head.layers.0.weight'));
    } finally {
      disposeBatch(batch);
      optimizer.dispose();
      model.dispose();
    }
  });

  it('trains with PMSN and without focal views', async () => {
    const model = new MSNModel({ config, seed: 6 });
    const optimizer = model.createOptimizer();
    const batch = makeBatch(60);
    try {
      const result = await msnTrainingStep(
        model,
        { targets: batch.targets, anchors: [batch.anchors as tf.Tensor4D, batch.targets], focal: [] },
        { optimizer, loss: new PMSNLoss({ powerLawExponent: 0.25 }), maskSeed: 4 },
      );
      expect(Number.isFinite(result.loss)).toBe(true);
      expect(result.loss).toBeCloseTo(result.crossEntropy + result.regLoss, 4);
    } finally {
      disposeBatch(batch);
      optimizer.dispose();
      model.dispose();
    }
  });

  it('rejects bad arguments before changing anything', async () => {
    const model = new MSNModel({ config, seed: 7 });
    const optimizer = recordingOptimizer();
    const batch = makeBatch(70);
    const start = tf.memory().numTensors;
    const prototypes = values(model.prototypes);
    try {
      const step = (changes: Partial<MSNBatch>, options: Record<string, unknown> = {}) =>
        msnTrainingStep(model, { ...batch, ...changes }, { optimizer, ...options } as never);
      await expect(step({}, { momentum: 2 })).rejects.toThrow(InvalidArgumentError);
      await expect(step({}, { momentum: 2 })).rejects.toThrow(/msnTrainingStep: invalid argument 'momentum' = 2/);
      await expect(step({}, { maxGradNorm: 0 })).rejects.toThrow(/'maxGradNorm' = 0; expected a finite number > 0/);
      await expect(step({}, { targetSharpenTemperature: -1 })).rejects.toThrow(/'targetSharpenTemperature' = -1/);
      await expect(step({}, { clip: 1 })).rejects.toThrow(/'clip' = 1; expected no such option/);
      await expect(msnTrainingStep(model, batch, { optimizer: {} } as never)).rejects.toThrow(/'optimizer' = \[object Object\]/);
      const wrongRows = tf.zeros<tf.Rank.R4>([3, 3, 4, 4]);
      await expect(step({ focal: wrongRows })).rejects.toThrow(ShapeError);
      await expect(step({ focal: wrongRows })).rejects.toThrow(/'batch.focal' \[3,3,4,4\] must have a positive multiple of the 4 rows/);
      const wrongMask = tf.zeros<tf.Rank.R2>([3, 2], 'int32');
      await expect(step({ idxKeepAnchors: wrongMask })).rejects.toThrow(/'batch.idxKeepAnchors' \[3,2\] must have one row per view row \(4/);
      const floatMask = tf.zeros<tf.Rank.R2>([4, 2]);
      await expect(step({ idxKeepAnchors: floatMask })).rejects.toThrow(/'batch.idxKeepAnchors' = "float32 tensor \[4,2\]"; expected an int32/);
      await expect(step({ anchors: [] })).rejects.toThrow(/'batch.anchors' = \[\]/);
      await expect(step({ targets: undefined as never })).rejects.toThrow(/'batch.targets' = undefined/);
      tf.dispose([wrongRows, wrongMask, floatMask]);
      expect(tf.memory().numTensors).toBe(start);
      expect(values(model.prototypes)).toEqual(prototypes);
      expect(optimizer.calls).toEqual([]);
    } finally {
      disposeBatch(batch);
      model.dispose();
    }
  });
});

describe('msnTrainingStep without registered gradient functions', () => {
  it('says how to register them', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, '__fixtures__/step-without-gradients.ts')], {
      cwd: resolve(here, '../..'),
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/msnTrainingStep: Cannot compute gradient: gradient function not found for \w+\. .*import '@tensorflow\/tfjs-layers'/);
  });
});
