import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, embeddedBackends, expectNoLeakedTensors, useBackend } from '@msn/test-utils';
import { loadSafetensors, saveSafetensors } from '@msn/vit';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, InvalidArgumentError } from '@msn/errors';
import { decayEverything } from '../optim/adamw';
import { MSN_CONFIG_METADATA_KEY, MSNModel } from './msn-model';
import { msnWeightDecayFilter } from './msn-weight-decay';

const config = {
  vit: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 },
  head: { hiddenDim: 16, outputDim: 8 },
  numPrototypes: 6,
};

const values = (tensor: tf.Tensor) => Array.from(tensor.dataSync());

describe('MSNModel structure', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('names every variable like lightly (target, anchor, prototypes) and starts the target as an exact copy', () => {
    const model = new MSNModel({ config, seed: 1 });
    try {
      const names = [...model.namedVariables().keys()];
      expect(names[0]).toBe('target.backbone.mask_token');
      expect(names).toContain('target.backbone.vit.conv_proj.weight');
      expect(names).toContain('anchor.backbone.vit.encoder.layers.encoder_layer_0.self_attention.in_proj_weight');
      expect(names).toContain('anchor.head.layers.4.running_var');
      expect(names.at(-1)).toBe('prototypes');
      const targetNames = names.filter((name) => name.startsWith('target.'));
      expect(names.filter((name) => name.startsWith('anchor.'))).toEqual(targetNames.map((name) => name.replace('target.', 'anchor.')));
      expect(names.length).toBe(2 * targetNames.length + 1);
      const variables = model.namedVariables();
      for (const name of targetNames) {
        expect(values(variables.get(name)!), name).toEqual(values(variables.get(name.replace('target.', 'anchor.'))!));
      }
      expect(model.stateDict()).toEqual(model.namedVariables());
    } finally {
      model.dispose();
    }
  });

  it('initialises the prototypes uniformly in ±1/√outputDim, reproducibly from the seed', () => {
    const first = new MSNModel({ config, seed: 7 });
    const second = new MSNModel({ config, seed: 7 });
    const third = new MSNModel({ config, seed: 8 });
    try {
      const prototypes = values(first.prototypes);
      expect(first.prototypes.shape).toEqual([6, 8]);
      const bound = 1 / Math.sqrt(8);
      expect(Math.max(...prototypes.map(Math.abs))).toBeLessThanOrEqual(bound);
      // Spread over the interval, not a constant (48 uniform draws: the extremes are near ±bound).
      expect(Math.max(...prototypes)).toBeGreaterThan(bound / 2);
      expect(Math.min(...prototypes)).toBeLessThan(-bound / 2);
      expect(values(second.prototypes)).toEqual(prototypes);
      expect(values(third.prototypes)).not.toEqual(prototypes);
      const weight = 'anchor.backbone.vit.conv_proj.weight';
      expect(values(second.namedVariables().get(weight)!)).toEqual(values(first.namedVariables().get(weight)!));
      expect(values(third.namedVariables().get(weight)!)).not.toEqual(values(first.namedVariables().get(weight)!));
    } finally {
      for (const model of [first, second, third]) model.dispose();
    }
  });

  it('trains anchor parameters and prototypes only; the EMA covers parameters but not BatchNorm statistics', () => {
    const model = new MSNModel({ config, seed: 2 });
    try {
      const trainable = [...model.trainableParameters().keys()];
      expect(trainable).toContain('prototypes');
      expect(trainable).toContain('anchor.backbone.vit.class_token');
      expect(trainable).toContain('anchor.head.layers.1.weight');
      expect(trainable.some((name) => name.startsWith('target.'))).toBe(false);
      for (const frozen of ['anchor.backbone.mask_token', 'anchor.backbone.vit.encoder.pos_embedding', 'anchor.head.layers.1.running_mean']) {
        expect(trainable).not.toContain(frozen);
      }
      const pairs = model.emaPairs();
      const variables = model.namedVariables();
      const nameOf = new Map<tf.Tensor, string>([...variables].map(([name, variable]) => [variable, name]));
      const targets = pairs.map(([target]) => nameOf.get(target)!);
      expect(targets).toContain('target.backbone.mask_token');
      expect(targets).toContain('target.backbone.vit.encoder.pos_embedding');
      expect(targets.some((name) => name.includes('running_'))).toBe(false);
      expect(targets.length).toBe([...variables.keys()].filter((name) => name.startsWith('target.') && !name.includes('running_')).length);
      for (const [target, anchor] of pairs) expect(nameOf.get(anchor)).toBe(nameOf.get(target)!.replace('target.', 'anchor.'));
    } finally {
      model.dispose();
    }
  });

  it('updateTarget moves every target parameter towards the anchor and leaves running statistics alone', () => {
    const model = new MSNModel({ config, seed: 3 });
    try {
      const variables = model.namedVariables();
      const anchorWeight = variables.get('anchor.head.layers.0.weight')!;
      const anchorMean = variables.get('anchor.head.layers.1.running_mean')!;
      const before = values(anchorWeight);
      anchorWeight.assign(tf.onesLike(anchorWeight));
      anchorMean.assign(tf.onesLike(anchorMean));
      model.updateTarget(0.75);
      const target = values(variables.get('target.head.layers.0.weight')!);
      target.forEach((value, index) => expect(value).toBeCloseTo(0.75 * before[index]! + 0.25, 6));
      expect(values(variables.get('target.head.layers.1.running_mean')!)).toEqual(new Array(16).fill(0));
      model.updateTarget(0);
      expect(values(variables.get('target.head.layers.0.weight')!)).toEqual(values(anchorWeight));
      expect(() => model.updateTarget(1.5)).toThrow(/MSNModel.updateTarget: invalid argument 'momentum' = 1.5/);
    } finally {
      model.dispose();
    }
  });

  it('creates AdamW with the MSN weight-decay groups by default', () => {
    const model = new MSNModel({ config, seed: 4 });
    const optimizer = model.createOptimizer({ learningRate: 1e-3, weightDecay: 0.04 });
    const everything = model.createOptimizer({ weightDecayFilter: decayEverything });
    try {
      expect(optimizer.parameterNames).toEqual([...model.trainableParameters().keys()]);
      expect(optimizer.decays('anchor.backbone.vit.conv_proj.weight')).toBe(true);
      expect(optimizer.decays('anchor.backbone.vit.class_token')).toBe(true);
      expect(optimizer.decays('anchor.backbone.vit.conv_proj.bias')).toBe(false);
      expect(optimizer.decays('anchor.backbone.vit.encoder.layers.encoder_layer_0.self_attention.in_proj_bias')).toBe(false);
      expect(optimizer.decays('anchor.head.layers.1.weight')).toBe(false);
      expect(optimizer.decays('prototypes')).toBe(false);
      expect(everything.decays('prototypes')).toBe(true);
      expect(everything.decays('anchor.head.layers.1.weight')).toBe(true);
      expect(msnWeightDecayFilter('anchor.head.layers.6.weight', model.namedVariables().get('anchor.head.layers.6.weight')!)).toBe(true);
    } finally {
      optimizer.dispose();
      everything.dispose();
      model.dispose();
    }
  });

  it('validates its options', () => {
    expect(() => new MSNModel({ config, seed: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new MSNModel({ config, seed: 1.5 })).toThrow(/MSNModel: invalid argument 'seed' = 1.5/);
    expect(() => new MSNModel({ config, seeds: 1 } as never)).toThrow(/'seeds' = 1; expected no such option/);
    expect(() => new MSNModel({ config: { ...config, numPrototypes: -1 } })).toThrow(/'numPrototypes' = -1/);
    expect(() => new MSNModel(undefined as never)).toThrow(/'options' = undefined/);
  });

  it('rejects use after dispose', () => {
    const model = new MSNModel({ config, seed: 1 });
    model.dispose();
    expect(() => model.namedVariables()).toThrow(/MSNModel.namedVariables: invalid argument 'this' = "disposed model"/);
    model.dispose();
  });
});

describe('MSNModel weights on disk', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('saves and loads every variable with its config; strict loads list what does not fit and change nothing', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'msn-model-'));
    const model = new MSNModel({ config, seed: 5 });
    try {
      // Make anchor and target differ so the round trip is not satisfied by a copy.
      model.updateTarget(1);
      const classToken = model.namedVariables().get('anchor.backbone.vit.class_token')!;
      classToken.assign(tf.fill(classToken.shape, 0.5));
      const path = join(folder, 'model.safetensors');
      await model.save(path, { note: 'test' });
      const { metadata, tensors } = await loadSafetensors(path);
      expect(metadata.note).toBe('test');
      expect(JSON.parse(metadata[MSN_CONFIG_METADATA_KEY]!)).toEqual(model.config);
      expect(model.checkpointMetadata()).toEqual({ [MSN_CONFIG_METADATA_KEY]: metadata[MSN_CONFIG_METADATA_KEY] });
      expect([...tensors.keys()]).toEqual([...model.namedVariables().keys()]);

      const loaded = await MSNModel.load(path);
      try {
        expect(loaded.config).toEqual(model.config);
        for (const [name, variable] of model.namedVariables()) expect(values(loaded.namedVariables().get(name)!), name).toEqual(values(variable));
      } finally {
        loaded.dispose();
      }

      const other = new MSNModel({ config, seed: 6 });
      try {
        const before = values(other.prototypes);
        const broken = new Map(tensors);
        broken.delete('anchor.head.layers.6.bias');
        broken.set('extra.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
        broken.set('prototypes', { dtype: 'F32', shape: [5, 8], data: new Float32Array(40) });
        const attempt = () => other.loadStateDict(broken);
        expect(attempt).toThrow(
          /MSNModel.loadStateDict: the state dict does not fit: missing anchor.head.layers.6.bias; unexpected extra.weight; mis-shaped prototypes \(expected \[6,8\], got \[5,8\]\)/,
        );
        expect(values(other.prototypes)).toEqual(before);
        // Non-strict: loads what is present, ignores the rest; PyTorch's num_batches_tracked is always ignored.
        const partial = new Map([
          ['prototypes', tensors.get('prototypes')!],
          ['anchor.head.layers.1.num_batches_tracked', { dtype: 'F32' as const, shape: [], data: new Float32Array(1) }],
        ]);
        other.loadStateDict(partial, { strict: false });
        expect(values(other.prototypes)).toEqual(values(model.prototypes));
      } finally {
        other.dispose();
      }

      const bare = join(folder, 'bare.safetensors');
      await saveSafetensors(bare, model.namedVariables());
      await expect(MSNModel.load(bare)).rejects.toThrow(CheckpointError);
      await expect(MSNModel.load(bare)).rejects.toThrow(/has no 'msn_config' metadata; pass options.config/);
      const withConfig = await MSNModel.load(bare, { config });
      withConfig.dispose();
    } finally {
      model.dispose();
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describeEachBackend(embeddedBackends(), 'MSNModel forward passes', () => {
  it('encodes targets and masked anchors in training mode and embeds in inference mode', () => {
    const model = new MSNModel({ config, seed: 9 });
    const images = tf.randomNormal<tf.Rank.R4>([4, 3, 8, 8], 0, 1, 'float32', 1);
    try {
      const runningMean = model.namedVariables().get('target.head.layers.1.running_mean')!;
      const anchorMean = model.namedVariables().get('anchor.head.layers.1.running_mean')!;
      const idxKeep = model.drawMask(4, 8)!;
      expect(idxKeep.shape).toEqual([4, 4]); // floor(4·0.85) + 1 of 1 + 4 tokens
      const targets = model.forwardTarget(images);
      const anchors = model.forwardAnchor(images, idxKeep);
      expect(targets.shape).toEqual([4, 8]);
      expect(anchors.shape).toEqual([4, 8]);
      expect(values(runningMean).some((value) => value !== 0)).toBe(true);
      expect(values(anchorMean).some((value) => value !== 0)).toBe(true);
      // Same weights, all tokens kept in both branches: same outputs.
      const full = model.forwardAnchor(images);
      values(full).forEach((value, index) => expect(value).toBeCloseTo(values(targets)[index]!, 4));
      const before = values(runningMean);
      const features = model.embed(images);
      const projections = model.embed(images, { encoder: 'anchor', projection: true });
      expect(features.shape).toEqual([4, 8]);
      expect(projections.shape).toEqual([4, 8]);
      expect(values(runningMean)).toEqual(before);
      expect(() => model.embed(images, { encoder: 'student' as never })).toThrow(/'encoder' = "student"/);
      tf.dispose([idxKeep, targets, anchors, full, features, projections]);
    } finally {
      images.dispose();
      model.dispose();
    }
  });

  it('skips masking when the mask ratio keeps every token', () => {
    const model = new MSNModel({ config: { ...config, maskRatio: 0.1 }, seed: 1 });
    try {
      // 4 patches: floor(4·0.9) = 3 < 4, so a mask is drawn; with 0 nothing is masked.
      const mask = model.drawMask(2, 8);
      expect(mask?.shape).toEqual([2, 4]);
      mask?.dispose();
    } finally {
      model.dispose();
    }
    const unmasked = new MSNModel({ config: { ...config, maskRatio: 0 }, seed: 1 });
    try {
      expect(unmasked.drawMask(2, 8)).toBeUndefined();
      expect(() => unmasked.drawMask(2, 6)).toThrow(/imageSize 6 is not a multiple of the patch size 4/);
    } finally {
      unmasked.dispose();
    }
  });

  it('frees everything it created on dispose and leaks nothing in its forward passes', async () => {
    const start = tf.memory().numTensors;
    const model = new MSNModel({ config, seed: 10 });
    const images = tf.randomNormal<tf.Rank.R4>([4, 3, 8, 8]);
    await expectNoLeakedTensors(() => {
      const mask = model.drawMask(4, 8);
      tf.dispose([model.forwardTarget(images), model.forwardAnchor(images, mask), model.embed(images), mask]);
    });
    images.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
