// torchvision's VisionTransformer with lightly's token masking (idxKeep), trainable on the wasm backend.
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderBlockWeights } from './encoder-block';
import { encoderBlock } from './encoder-block';
import { InvalidArgumentError, ShapeError, assertBoolean, assertDtype, assertInteger, assertOptions, assertRank, checkTensorValues } from '@msn/errors';
import { gatherTokens } from './gather-tokens';
import { layerNorm } from './layer-norm';
import { linear } from './linear';
import { patchify } from './patch-embedding';
import { positionInterpolationMatrix, resampleWithMatrix } from './position-embedding-interpolation';
import { createRandom, unseededRandom, type Random } from '@msn/random';
import { loadIntoVariables, prefixedVariables, type LoadStateDictOptions, type StateDict } from './state-dict';
import { resolveViTConfig, type ViTConfig, type ViTConfigInput } from './vit-config';
import { initialParameterValues, vitParameterSpecs } from './vit-initialization';

export interface MaskedVisionTransformerOptions {
  /** The architecture; a partial config is completed and validated by `resolveViTConfig`. */
  config: ViTConfig | ViTConfigInput;
  /**
   * Seeds the initial weights and the drop-path stream. Without a seed, weights differ from run to run.
   * @default a random seed
   */
  seed?: number;
  /**
   * Prefix of the tfjs variable names (`${name}/${stateDictKey}`), which must be unique per process.
   * @default `vit_${counter}`
   */
  name?: string;
}

export interface ViTForwardOptions {
  /**
   * Indices `[B, K]` (int32) of the tokens to encode, per sample, in the order they are encoded. Index 0 is the class
   * token, 1 + p is patch p (row-major). Selection happens after the position embedding is added (lightly's
   * `get_at_index`). See `randomTokenMask` and `focalTokenMask`.
   */
  idxKeep?: tf.Tensor2D;
  /**
   * Training mode: enables drop path (stochastic depth) when `dropPathRate` > 0. No other layer depends on it.
   * @default false
   */
  training?: boolean;
}

let instanceCounter = 0;

/**
 * A Vision Transformer numerically identical to torchvision's `VisionTransformer` wrapped by lightly's
 * `MaskedVisionTransformerTorchvision`: patch embedding, class token, position embedding (interpolated for other
 * image sizes), optional token selection (`idxKeep`), pre-norm encoder blocks, final LayerNorm.
 *
 * Parameters are tfjs variables named by torchvision state-dict keys (`class_token`, `conv_proj.weight`,
 * `encoder.pos_embedding`, `encoder.layers.encoder_layer_{i}.…`, `encoder.ln.…`), so weights move to and from
 * PyTorch through safetensors. Images are NCHW float32 (PyTorch layout). Every operation in the forward and backward
 * pass exists on the cpu and wasm backends (no conv2d, no gather gradient, no einsum).
 *
 * @example
 * const vit = new MaskedVisionTransformer({ config: vitSmall(), seed: 0 });
 * const idxKeep = randomTokenMask({ batchSize: 8, sequenceLength: vit.sequenceLength(), maskRatio: 0.15, seed: 1 });
 * const cls = vit.forward(images, { idxKeep, training: true }); // [8, 384]
 * vit.dispose();
 */
export class MaskedVisionTransformer {
  /** The resolved configuration the model was built from. */
  readonly config: ViTConfig;
  /** Prefix of the tfjs variable names. */
  readonly name: string;
  private readonly variables = new Map<string, tf.Variable>();
  private readonly interpolationMatrices = new Map<number, tf.Tensor2D>();
  private readonly dropPathRandom: Random;
  private disposed = false;

  /**
   * @throws {InvalidArgumentError} for an invalid config (see `resolveViTConfig`) or a seed that is not a safe integer.
   */
  constructor(options: MaskedVisionTransformerOptions) {
    const caller = 'MaskedVisionTransformer';
    assertOptions(caller, options, ['config', 'seed', 'name'], '{ config, seed? }');
    this.config = resolveViTConfig(options.config);
    const random = options.seed === undefined ? unseededRandom() : createRandomFor(caller, options.seed);
    this.dropPathRandom = random.fork();
    this.name = options.name ?? `vit_${instanceCounter++}`;
    for (const spec of vitParameterSpecs(this.config)) {
      const values = initialParameterValues(spec, this.config, random);
      const trainable = !(spec.role === 'positionEmbedding' && this.config.positionEmbedding === 'sincos');
      this.variables.set(
        spec.name,
        tf.tidy(() => tf.variable(tf.tensor(values, spec.shape, 'float32'), trainable, `${this.name}/${spec.name}`)),
      );
    }
  }

  /** Number of tokens (class token included) for square images of side `imageSize`: 1 + (imageSize/P)². */
  sequenceLength(imageSize: number = this.config.imageSize): number {
    assertInteger('MaskedVisionTransformer.sequenceLength', 'imageSize', imageSize, 1);
    return 1 + Math.floor(imageSize / this.config.patchSize) ** 2;
  }

  /**
   * Encodes images `[B, C, H, W]` and returns the class token after the final LayerNorm, `[B, D]`.
   *
   * @throws {ShapeError} when the images are not `[B, inChannels, S, S]` with S a multiple of the patch size, when the
   *   patch grid cannot be interpolated from the stored one, or when `idxKeep` is not `[B, K]`.
   * @throws {InvalidArgumentError} when `idxKeep` is not int32 or holds an index outside [0, L).
   */
  forward(images: tf.Tensor4D, options: ViTForwardOptions = {}): tf.Tensor2D {
    this.validate('MaskedVisionTransformer.forward', images, options);
    // Only the class token (the first encoded token) is returned, so the last block computes only its row (keys and
    // values still from every token) and only that row goes through the final LayerNorm.
    return tf.tidy(() => this.finalNorm(this.encodeRows(images, options, true)));
  }

  /**
   * Encodes images `[B, C, H, W]` and returns every encoded token after the final LayerNorm, `[B, L, D]`
   * (L = K when `idxKeep` is given, rows in `idxKeep` order).
   *
   * @throws {ShapeError} / {InvalidArgumentError} as {@link MaskedVisionTransformer.forward}.
   */
  forwardTokens(images: tf.Tensor4D, options: ViTForwardOptions = {}): tf.Tensor3D {
    this.validate('MaskedVisionTransformer.forwardTokens', images, options);
    return tf.tidy(() => {
      const rows = this.encodeRows(images, options);
      const [batchSize] = images.shape;
      return tf.reshape(this.finalNorm(rows), [batchSize, rows.shape[0] / batchSize, this.config.hiddenDim]) as tf.Tensor3D;
    });
  }

  /**
   * The position table `[1, 1 + n, D]` used for square images of side `imageSize` (n = (imageSize/P)²): the stored
   * table, or its antialiased-bicubic interpolation (see `interpolatePositionEmbedding`). The caller owns the result.
   *
   * @throws {ShapeError} when the grid cannot be interpolated.
   */
  positionEmbedding(imageSize: number = this.config.imageSize): tf.Tensor3D {
    this.assertAlive('MaskedVisionTransformer.positionEmbedding');
    assertInteger('MaskedVisionTransformer.positionEmbedding', 'imageSize', imageSize, 1);
    if (imageSize % this.config.patchSize !== 0) {
      throw new ShapeError(`MaskedVisionTransformer.positionEmbedding: imageSize ${imageSize} is not a multiple of the patch size ${this.config.patchSize}`);
    }
    return tf.tidy(() => tf.clone(this.positionTable((imageSize / this.config.patchSize) ** 2)));
  }

  /** Every variable by torchvision state-dict key, in state-dict order (the variables themselves). */
  namedVariables(): Map<string, tf.Variable> {
    this.assertAlive('MaskedVisionTransformer.namedVariables');
    return new Map(this.variables);
  }

  /** The variables that receive gradients: all but a `'sincos'` position table. */
  trainableVariables(): tf.Variable[] {
    this.assertAlive('MaskedVisionTransformer.trainableVariables');
    return [...this.variables.values()].filter((variable) => variable.trainable);
  }

  /**
   * The state dict under torchvision names, optionally prefixed (e.g. `'backbone.vit.'`). Values are the live
   * variables: read or save them, but do not dispose them.
   */
  stateDict(options: { prefix?: string } = {}): Map<string, tf.Variable> {
    this.assertAlive('MaskedVisionTransformer.stateDict');
    return prefixedVariables(this.variables, options.prefix);
  }

  /**
   * Loads tensors named by torchvision state-dict keys (e.g. from `loadSafetensors`). Checks everything first, so a
   * failed load changes nothing. A `'sincos'` table is overwritten too (it stays non-trainable).
   *
   * @example vit.loadStateDict((await loadSafetensors('vit.safetensors')).tensors, { prefix: 'backbone.vit.' });
   * @throws {StateDictError} listing every missing, unexpected and mis-shaped name.
   */
  loadStateDict(tensors: StateDict, options: LoadStateDictOptions = {}): void {
    this.assertAlive('MaskedVisionTransformer.loadStateDict');
    loadIntoVariables('MaskedVisionTransformer.loadStateDict', this.variables, tensors, options);
  }

  /** Frees every variable and cached tensor. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const variable of this.variables.values()) variable.dispose();
    for (const matrix of this.interpolationMatrices.values()) matrix.dispose();
    this.variables.clear();
    this.interpolationMatrices.clear();
  }

  private variable(name: string): tf.Variable {
    return this.variables.get(name)!;
  }

  private assertAlive(caller: string): void {
    if (this.disposed) throw new InvalidArgumentError({ caller, argument: 'this', value: 'disposed model', expected: 'a model that was not disposed' });
  }

  private validate(caller: string, images: tf.Tensor4D, options: ViTForwardOptions): void {
    this.assertAlive(caller);
    assertOptions(caller, options, ['idxKeep', 'training'], '{ idxKeep?, training? }');
    if (!(images instanceof tf.Tensor)) {
      throw new InvalidArgumentError({ caller, argument: 'images', value: images, expected: 'a tf.Tensor4D [B, C, H, W]' });
    }
    assertRank(caller, 'images', images, 4, '[B, C, H, W]');
    assertDtype(caller, 'images', images, 'float32');
    const [batchSize, channels, height, width] = images.shape;
    const { inChannels, patchSize } = this.config;
    if (batchSize < 1 || channels !== inChannels || height !== width || height % patchSize !== 0 || height === 0) {
      throw new ShapeError(`${caller}: 'images' must be [B ≥ 1, ${inChannels}, S, S] with S a multiple of ${patchSize} (NCHW), got shape [${images.shape}]`);
    }
    if (options.training !== undefined) assertBoolean(caller, 'training', options.training);
    const { idxKeep } = options;
    if (idxKeep === undefined) return;
    if (!(idxKeep instanceof tf.Tensor)) {
      throw new InvalidArgumentError({ caller, argument: 'idxKeep', value: idxKeep, expected: 'an int32 tf.Tensor2D [B, K]' });
    }
    assertRank(caller, 'idxKeep', idxKeep, 2, '[B, K]');
    assertDtype(caller, 'idxKeep', idxKeep, 'int32');
    if (idxKeep.shape[0] !== batchSize || idxKeep.shape[1] < 1) {
      throw new ShapeError(`${caller}: 'idxKeep' [${idxKeep.shape}] must be [B, K ≥ 1] with B = ${batchSize} (images [${images.shape}])`);
    }
    const sequenceLength = 1 + (height / patchSize) ** 2;
    const kept = idxKeep.shape[1];
    // At once on cpu/wasm; on a GPU backend read back asynchronously, a failure thrown by the next check (device-check.ts).
    checkTensorValues(tf.clone(idxKeep), (values) => {
      const index = Array.prototype.findIndex.call(values, (value: number) => value < 0 || value >= sequenceLength);
      if (index < 0) return undefined;
      return new InvalidArgumentError({
        caller,
        argument: `idxKeep[${Math.floor(index / kept)}, ${index % kept}]`,
        value: values[index],
        expected: `an index in [0, ${sequenceLength}) (0 = class token, 1 + p = patch p)`,
      });
    });
  }

  // The position table for n patches; interpolation matrices are cached per n (they depend only on the sizes).
  private positionTable(numPatches: number): tf.Tensor3D {
    const table = this.variable('encoder.pos_embedding') as tf.Tensor as tf.Tensor3D;
    const storedPatches = table.shape[1] - 1;
    if (numPatches === storedPatches) return table;
    let matrix = this.interpolationMatrices.get(numPatches);
    if (matrix === undefined) {
      const values = positionInterpolationMatrix(storedPatches, numPatches);
      matrix = tf.keep(tf.tensor2d(values, [numPatches, storedPatches]));
      this.interpolationMatrices.set(numPatches, matrix);
    }
    return resampleWithMatrix(table, matrix, this.config.hiddenDim);
  }

  // Patch embedding, class token, position table, token selection and the encoder blocks; returns [B·L, D], or the
  // first token of each sample [B, D] when `firstTokenOnly`.
  private encodeRows(images: tf.Tensor4D, options: ViTForwardOptions, firstTokenOnly = false): tf.Tensor2D {
    const { patchSize, hiddenDim, inChannels, numLayers, numHeads, layerNormEps, dropPathRate } = this.config;
    const [batchSize, , height] = images.shape;
    const numPatches = (height / patchSize) ** 2;
    const patchWeight = tf.reshape(this.variable('conv_proj.weight'), [hiddenDim, inChannels * patchSize * patchSize]) as tf.Tensor2D;
    const patchTokens = linear(patchify(images, patchSize), patchWeight, this.variable('conv_proj.bias') as tf.Tensor as tf.Tensor1D, {
      inputGradient: false,
    });
    const classTokens = tf.add(tf.zeros([batchSize, 1, hiddenDim]), this.variable('class_token'));
    const sequence = tf.add(
      tf.concat([classTokens, tf.reshape(patchTokens, [batchSize, numPatches, hiddenDim])], 1),
      this.positionTable(numPatches),
    ) as tf.Tensor3D;
    const selected = options.idxKeep === undefined ? sequence : gatherTokens(sequence, options.idxKeep);
    let rows = tf.reshape(selected, [batchSize * selected.shape[1], hiddenDim]) as tf.Tensor2D;
    const training = options.training === true && dropPathRate > 0;
    for (let layer = 0; layer < numLayers; layer++) {
      const rate = numLayers === 1 ? 0 : (dropPathRate * layer) / (numLayers - 1);
      rows = encoderBlock(rows, this.blockWeights(layer), {
        batchSize,
        numHeads,
        layerNormEps,
        dropPathRate: rate,
        random: training && rate > 0 ? this.dropPathRandom : undefined,
        firstTokenOnly: firstTokenOnly && layer === numLayers - 1,
      });
    }
    return rows;
  }

  private finalNorm(rows: tf.Tensor2D): tf.Tensor2D {
    return layerNorm(
      rows,
      this.variable('encoder.ln.weight') as tf.Tensor as tf.Tensor1D,
      this.variable('encoder.ln.bias') as tf.Tensor as tf.Tensor1D,
      this.config.layerNormEps,
    );
  }

  private blockWeights(layer: number): EncoderBlockWeights {
    const base = `encoder.layers.encoder_layer_${layer}.`;
    const get = <T extends tf.Tensor>(name: string): T => this.variable(base + name) as tf.Tensor as T;
    return {
      ln1Weight: get('ln_1.weight'),
      ln1Bias: get('ln_1.bias'),
      inProjWeight: get('self_attention.in_proj_weight'),
      inProjBias: get('self_attention.in_proj_bias'),
      outProjWeight: get('self_attention.out_proj.weight'),
      outProjBias: get('self_attention.out_proj.bias'),
      ln2Weight: get('ln_2.weight'),
      ln2Bias: get('ln_2.bias'),
      mlp0Weight: get('mlp.0.weight'),
      mlp0Bias: get('mlp.0.bias'),
      mlp3Weight: get('mlp.3.weight'),
      mlp3Bias: get('mlp.3.bias'),
    };
  }
}

function createRandomFor(caller: string, seed: unknown): Random {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError({ caller, argument: 'seed', value: seed, expected: 'a safe integer' });
  }
  return createRandom(seed);
}
