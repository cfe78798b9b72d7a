import * as tf from '@tensorflow/tfjs-core';
import {
  FIXTURE_TOLERANCE,
  describeEachBackend,
  embeddedBackends,
  expectClose,
  expectNoLeakedTensors,
  expectTensorClose,
  fixtureBackends,
  fixtureToTensor,
  readFixtures,
  useBackend,
  type FixtureFile,
} from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { weightsFor } from './fixture-weights.test-support';
import { MaskedVisionTransformer } from './masked-vision-transformer';
import { numTokensKept } from './random-token-mask';
import { loadSafetensors } from './safetensors-file';
import type { ViTConfigInput } from './vit-config';

const fixtures = readFixtures<FixtureFile>('vit');

function configFrom(params: Record<string, unknown>): ViTConfigInput {
  return {
    imageSize: params.imageSize as number,
    patchSize: params.patchSize as number,
    numLayers: params.numLayers as number,
    numHeads: params.numHeads as number,
    hiddenDim: params.hiddenDim as number,
    mlpDim: params.mlpDim as number,
    ...(params.layerNormEps === undefined ? {} : { layerNormEps: params.layerNormEps as number }),
    positionEmbedding: 'learned',
  };
}

// Each fixture output and how the model computes it (inputs by name); an unknown output fails the test.
type Computation = (vit: MaskedVisionTransformer, inputs: Record<string, tf.Tensor>) => tf.Tensor;
const sideOf = (images: tf.Tensor): number => images.shape[2]!;
const computations: Record<string, Computation> = {
  cls: (vit, inputs) => vit.forward(inputs.images as tf.Tensor4D),
  tokens: (vit, inputs) => vit.forwardTokens(inputs.images as tf.Tensor4D),
  clsMasked: (vit, inputs) => vit.forward(inputs.images as tf.Tensor4D, { idxKeep: inputs.idxKeep as tf.Tensor2D }),
  tokensMasked: (vit, inputs) => vit.forwardTokens(inputs.images as tf.Tensor4D, { idxKeep: inputs.idxKeep as tf.Tensor2D }),
  clsFocal: (vit, inputs) => vit.forward(inputs.focalImages as tf.Tensor4D),
  tokensFocal: (vit, inputs) => vit.forwardTokens(inputs.focalImages as tf.Tensor4D),
  posEmbedFocal: (vit, inputs) => vit.positionEmbedding(sideOf(inputs.focalImages!)),
  clsFocalMasked: (vit, inputs) => vit.forward(inputs.focalImages as tf.Tensor4D, { idxKeep: inputs.focalIdxKeep as tf.Tensor2D }),
  clsFocal2: (vit, inputs) => vit.forward(inputs.focal2Images as tf.Tensor4D),
  tokensFocal2: (vit, inputs) => vit.forwardTokens(inputs.focal2Images as tf.Tensor4D),
  posEmbedFocal2: (vit, inputs) => vit.positionEmbedding(sideOf(inputs.focal2Images!)),
};

describe('vit fixtures', () => {
  beforeAll(() => useBackend('cpu'));
  it('finds fixture files', () => expect(fixtures.length).toBeGreaterThan(0));

  for (const { path, fixture } of fixtures) {
    it(`${path}: uses the reference interpolation and the idxKeep convention`, () => {
      const { params, inputs } = fixture;
      // The model implements the reference's only mode; a fixture asking for another must fail loudly.
      expect(params.posEmbedInterpolation ?? 'bicubic').toBe('bicubic');
      expect(params.antialias ?? true).toBe(true);
      expect(params.alignCorners ?? false).toBe(false);
      const vit = new MaskedVisionTransformer({ config: configFrom(params), seed: 0 });
      expect(vit.sequenceLength()).toBe(params.sequenceLength);
      for (const [name, imagesName] of [
        ['idxKeep', 'images'],
        ['focalIdxKeep', 'focalImages'],
      ] as const) {
        const mask = inputs[name];
        if (mask === undefined) continue;
        const sequenceLength = vit.sequenceLength(inputs[imagesName]!.shape[2]);
        expect(mask.shape[1]).toBe(numTokensKept(sequenceLength, params.maskRatio as number));
        for (let row = 0; row < mask.shape[0]!; row++) expect(mask.data[row * mask.shape[1]!]).toBe(0);
      }
      vit.dispose();
    });
  }
});

describeEachBackend(fixtureBackends(), 'MaskedVisionTransformer fixtures', () => {
  for (const { path, fixture } of fixtures) {
    it(`matches every output of ${path}`, async () => {
      const { tensors } = await loadSafetensors(weightsFor(path));
      const vit = new MaskedVisionTransformer({ config: configFrom(fixture.params), seed: 0 });
      vit.loadStateDict(tensors);
      const inputs = Object.fromEntries(Object.entries(fixture.inputs).map(([name, value]) => [name, fixtureToTensor(value)]));
      const outputNames = Object.keys(fixture.outputs);
      expect(outputNames.length).toBeGreaterThan(0);
      for (const name of outputNames) {
        const compute = computations[name];
        if (compute === undefined) throw new Error(`${path}: no computation known for output '${name}'`);
        const got = compute(vit, inputs);
        await expectTensorClose(got, fixture.outputs[name]!, { label: `${path} ${name}`, tolerance: FIXTURE_TOLERANCE });
        got.dispose();
      }
      tf.dispose(Object.values(inputs));
      vit.dispose();
    });
  }
});

describeEachBackend(embeddedBackends(), 'MaskedVisionTransformer', () => {
  it('returns the class token row of forwardTokens from forward, with or without a mask', () => {
    const vit = new MaskedVisionTransformer({ config: { imageSize: 8, patchSize: 4, numLayers: 2, numHeads: 2, hiddenDim: 8, mlpDim: 16 }, seed: 1 });
    const images = tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 2) as tf.Tensor4D;
    const idxKeep = tf.tensor2d(
      [
        [0, 3],
        [0, 1],
        [0, 4],
      ],
      [3, 2],
      'int32',
    );
    for (const options of [{}, { idxKeep }]) {
      const cls = vit.forward(images, options);
      const tokens = vit.forwardTokens(images, options);
      expect(cls.shape).toEqual([3, 8]);
      expectClose(cls, tf.reshape(tf.slice(tokens, [0, 0, 0], [3, 1, 8]), [3, 8]), { label: 'class row', tolerance: FIXTURE_TOLERANCE });
      tf.dispose([cls, tokens]);
    }
    tf.dispose([images, idxKeep]);
    vit.dispose();
  });

  it('keeps the tokens in idxKeep order and is invariant to it for the class token', () => {
    const vit = new MaskedVisionTransformer({ config: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 }, seed: 3 });
    const images = tf.randomNormal([1, 3, 8, 8], 0, 1, 'float32', 4) as tf.Tensor4D;
    const forward = tf.tensor2d([[0, 1, 2, 3]], [1, 4], 'int32');
    const reversed = tf.tensor2d([[3, 2, 1, 0]], [1, 4], 'int32');
    const a = vit.forwardTokens(images, { idxKeep: forward });
    const b = vit.forwardTokens(images, { idxKeep: reversed });
    // Attention is permutation-equivariant without a mask: reversing the order reverses the rows.
    expectClose(b, tf.reverse(a, 1), { label: 'reversed order', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([images, forward, reversed, a, b]);
    vit.dispose();
  });

  it('is reproducible from its seed and differs across seeds and recipes', () => {
    const config = { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 };
    const first = new MaskedVisionTransformer({ config, seed: 5 });
    const second = new MaskedVisionTransformer({ config, seed: 5 });
    const other = new MaskedVisionTransformer({ config, seed: 6 });
    for (const [name, variable] of first.namedVariables()) {
      expect(Array.from(second.namedVariables().get(name)!.dataSync())).toEqual(Array.from(variable.dataSync()));
    }
    const weight = (model: MaskedVisionTransformer) => Array.from(model.namedVariables().get('conv_proj.weight')!.dataSync());
    expect(weight(other)).not.toEqual(weight(first));
    first.dispose();
    second.dispose();
    other.dispose();
  });

  it('does not leak tensors in forward, forwardTokens, positionEmbedding and a training step', async () => {
    const vit = new MaskedVisionTransformer({
      config: { imageSize: 8, patchSize: 4, numLayers: 2, numHeads: 2, hiddenDim: 8, mlpDim: 16, positionEmbedding: 'learned', dropPathRate: 0.2 },
      seed: 7,
    });
    const images = tf.randomNormal([2, 3, 8, 8], 0, 1, 'float32', 8) as tf.Tensor4D;
    const focal = tf.randomNormal([2, 3, 4, 4], 0, 1, 'float32', 9) as tf.Tensor4D;
    const idxKeep = tf.tensor2d(
      [
        [0, 2, 4],
        [0, 1, 3],
      ],
      [2, 3],
      'int32',
    );
    await expectNoLeakedTensors(() => tf.dispose(vit.forward(images, { idxKeep })));
    await expectNoLeakedTensors(() => tf.dispose(vit.forwardTokens(focal)));
    await expectNoLeakedTensors(() => tf.dispose(vit.positionEmbedding(4)));
    await expectNoLeakedTensors(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.add(tf.sum(tf.square(vit.forward(images, { idxKeep, training: true }))), tf.sum(vit.forward(focal, { training: true }))),
        vit.trainableVariables(),
      );
      tf.dispose([value, ...Object.values(grads)]);
    }, 5);
    tf.dispose([images, focal, idxKeep]);
    vit.dispose();
  });

  it('frees every tensor it created on dispose', () => {
    const before = tf.memory().numTensors;
    const vit = new MaskedVisionTransformer({ config: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 1, hiddenDim: 4, mlpDim: 8 }, seed: 1 });
    const focal = tf.zeros([1, 3, 4, 4]) as tf.Tensor4D;
    tf.dispose(vit.forward(focal)); // caches an interpolation matrix
    focal.dispose();
    vit.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const images = tf.zeros([1, 3, 8, 8]) as tf.Tensor4D;
    expect(() => vit.forward(images)).toThrow(/disposed/);
    images.dispose();
  });
});

describe('MaskedVisionTransformer validation', () => {
  beforeAll(() => useBackend('cpu'));
  const config = { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 };

  it('rejects images that are not NCHW float32 squares of whole patches, printing the shape', () => {
    const vit = new MaskedVisionTransformer({ config, seed: 0 });
    const nhwc = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    expect(() => vit.forward(nhwc)).toThrow(ShapeError);
    expect(() => vit.forward(nhwc)).toThrow(/forward: 'images' must be \[B ≥ 1, 3, S, S\].*got shape \[1,8,8,3\]/);
    const ragged = tf.zeros([1, 3, 6, 6]) as tf.Tensor4D;
    expect(() => vit.forwardTokens(ragged)).toThrow(/multiple of 4.*\[1,3,6,6\]/);
    const rank3 = tf.zeros([3, 8, 8]);
    expect(() => vit.forward(rank3 as unknown as tf.Tensor4D)).toThrow(/'images' must be a 4-D \[B, C, H, W\] tensor, got shape \[3,8,8\]/);
    const integers = tf.zeros([1, 3, 8, 8], 'int32') as tf.Tensor4D;
    expect(() => vit.forward(integers)).toThrow(InvalidArgumentError);
    tf.dispose([nhwc, ragged, rank3, integers]);
    vit.dispose();
  });

  it('rejects a mask of the wrong dtype, batch or range, naming the entry', () => {
    const vit = new MaskedVisionTransformer({ config, seed: 0 });
    const images = tf.zeros([2, 3, 8, 8]) as tf.Tensor4D;
    const floatMask = tf.zeros([2, 2]) as tf.Tensor2D;
    expect(() => vit.forward(images, { idxKeep: floatMask })).toThrow(/'idxKeep' = "float32 tensor"; expected a int32 tensor/);
    const wrongBatch = tf.zeros([3, 2], 'int32') as tf.Tensor2D;
    expect(() => vit.forward(images, { idxKeep: wrongBatch })).toThrow(/'idxKeep' \[3,2\] must be \[B, K ≥ 1\] with B = 2/);
    const outOfRange = tf.tensor2d(
      [
        [0, 1],
        [0, 5],
      ],
      [2, 2],
      'int32',
    );
    expect(() => vit.forward(images, { idxKeep: outOfRange })).toThrow(/'idxKeep\[1, 1\]' = 5; expected an index in \[0, 5\)/);
    expect(() => vit.forward(images, { training: 'yes' as unknown as boolean })).toThrow(/'training' = "yes"/);
    expect(() => vit.forward(images, { idx: outOfRange } as never)).toThrow(
      /'idx' = int32 tensor \[2,2\]; expected no such option; known options are idxKeep, training/,
    );
    tf.dispose([images, floatMask, wrongBatch, outOfRange]);
    vit.dispose();
  });

  it('rejects a non-integer seed and an invalid config through the constructor', () => {
    expect(() => new MaskedVisionTransformer({ config, seed: 1.5 })).toThrow(/MaskedVisionTransformer: invalid argument 'seed' = 1.5/);
    expect(() => new MaskedVisionTransformer({ config: { ...config, hiddenDim: 9 } })).toThrow(/'hiddenDim' = 9; expected a multiple of numHeads \(2\)/);
  });

  it('rejects image sizes whose patch grid cannot be interpolated', () => {
    const vit = new MaskedVisionTransformer({ config: { ...config, imageSize: 16 }, seed: 0 });
    // 16 → 12 pixels: 3×3 grid from 4×4 at scale 0.75 works; 16 → 20 pixels: 5×5 works; positionEmbedding(6) is not a multiple.
    expect(() => vit.positionEmbedding(6)).toThrow(/imageSize 6 is not a multiple of the patch size 4/);
    tf.dispose(vit.positionEmbedding(12));
    tf.dispose(vit.positionEmbedding(20));
    vit.dispose();
  });
});
