// The MSN model: anchor and target encoders (ViT + projection head) and learnable prototypes, under lightly's names.
import * as tf from '@tensorflow/tfjs-core';
import {
  MaskedVisionTransformer,
  MSNProjectionHead,
  createRandom,
  loadSafetensors,
  randomTokenMask,
  saveSafetensors,
  type Random,
  type StateDict,
} from '@msn/vit';
import { CheckpointError, InvalidArgumentError, ShapeError, assertInRange, assertInteger, assertKnownKeys, assertOptions } from '@msn/errors';
import { AdamW, type AdamWOptions } from '../optim/adamw';
import { updateEma, type EmaPair } from '../optim/ema';
import { loadNamedVariables } from './load-named-variables';
import { resolveMSNConfig, type MSNConfig, type MSNConfigInput } from './msn-config';
import { msnWeightDecayFilter } from './msn-weight-decay';

/** Options of the {@link MSNModel} constructor. */
export interface MSNModelOptions {
  /** The architecture; a partial config is completed and validated by `resolveMSNConfig`. */
  config: MSNConfig | MSNConfigInput;
  /**
   * Seeds the initial weights (backbone, head, prototypes) and the model's default mask stream. Without a seed,
   * every run differs.
   * @default a random seed
   */
  seed?: number;
  /**
   * Prefix of the tfjs variable names, unique per process.
   * @default `msn_${counter}`
   */
  name?: string;
}

/** Which encoder {@link MSNModel.embed} uses. */
export type MSNEncoder = 'target' | 'anchor';

/** Options of {@link MSNModel.embed}. */
export interface MSNEmbedOptions {
  /** @default 'target' (the EMA encoder, the one MSN evaluates) */
  encoder?: MSNEncoder;
  /** Return the projection head's output instead of the backbone's class token. @default false */
  projection?: boolean;
}

/** Metadata key under which {@link MSNModel.save} stores the config (JSON). */
export const MSN_CONFIG_METADATA_KEY = 'msn_config';

let instanceCounter = 0;

// Why a mask token at all: lightly's MaskedVisionTransformerTorchvision owns one ([1, 1, D], unused by MSN); keeping
// it makes our files load into lightly's model with strict=True and lightly's checkpoints load into ours.
const MASK_TOKEN = 'mask_token';
const BACKBONE_VIT = 'backbone.vit.';

/**
 * The model of lightly's MSN example: an anchor encoder (masked ViT + `MSNProjectionHead`, trained), a target
 * encoder of the same architecture (an exact copy at construction, never given gradients, moved towards the anchor by
 * an exponential moving average of every parameter; BatchNorm running statistics are buffers and are not averaged),
 * and learnable prototypes `[K, outputDim]` initialised uniform in ±1/√outputDim (the MSN reference's init).
 *
 * Variable names are lightly's `state_dict` keys: `{target,anchor}.backbone.mask_token`,
 * `{target,anchor}.backbone.vit.<torchvision ViT key>`, `{target,anchor}.head.<MSNProjectionHead key>`, `prototypes`.
 *
 * @example
 * const model = new MSNModel({ config: { vit: vitTiny({ imageSize: 32, patchSize: 4 }), numPrototypes: 1024 }, seed: 0 });
 * const optimizer = model.createOptimizer({ learningRate: 1e-3, weightDecay: 0.04 });
 * const { loss } = await msnTrainingStep(model, batch, { optimizer, momentum: 0.996 });
 * await model.save('msn.safetensors');
 * model.dispose(); optimizer.dispose();
 */
export class MSNModel {
  /** The resolved configuration (JSON). */
  readonly config: MSNConfig;
  /** Prefix of the tfjs variable names. */
  readonly name: string;
  /** The trained backbone. */
  readonly anchorBackbone: MaskedVisionTransformer;
  /** The trained projection head. */
  readonly anchorHead: MSNProjectionHead;
  /** The EMA backbone (evaluate this one). */
  readonly targetBackbone: MaskedVisionTransformer;
  /** The EMA projection head. */
  readonly targetHead: MSNProjectionHead;
  /** Learnable prototypes `[K, outputDim]`. */
  readonly prototypes: tf.Variable<tf.Rank.R2>;
  /** The stream masks are drawn from when a training step gets neither masks nor a mask seed. */
  readonly maskRandom: Random;
  private readonly anchorMaskToken: tf.Variable;
  private readonly targetMaskToken: tf.Variable;
  private readonly variables: Map<string, tf.Variable>;
  private disposed = false;

  /**
   * @throws {InvalidArgumentError} for an invalid config (see `resolveMSNConfig`), seed or name.
   */
  constructor(options: MSNModelOptions) {
    const caller = 'MSNModel';
    assertOptions(caller, options, ['config', 'seed', 'name'], '{ config, seed?, name? }');
    const config = resolveMSNConfig(options.config);
    if (options.seed !== undefined) assertInteger(caller, 'seed', options.seed, Number.MIN_SAFE_INTEGER);
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
      throw new InvalidArgumentError({ caller, argument: 'name', value: options.name, expected: 'a non-empty string' });
    }
    const random = createRandom(options.seed ?? Math.floor(Math.random() * Number.MAX_SAFE_INTEGER));
    this.config = config;
    this.name = options.name ?? `msn_${instanceCounter++}`;
    const { vit, head } = config;
    const headOptions = {
      inputDim: vit.hiddenDim,
      hiddenDim: head.hiddenDim,
      outputDim: head.outputDim,
      batchNormEps: head.batchNormEps,
      batchNormMomentum: head.batchNormMomentum,
    };
    const backboneSeed = random.nextUint32();
    const headSeed = random.nextUint32();
    this.anchorBackbone = new MaskedVisionTransformer({ config: vit, seed: backboneSeed, name: `${this.name}.anchor.backbone.vit` });
    this.anchorHead = new MSNProjectionHead({ ...headOptions, seed: headSeed, name: `${this.name}.anchor.head` });
    // Same seeds, and the values are copied below too, so the target starts as an exact copy of the anchor.
    this.targetBackbone = new MaskedVisionTransformer({ config: vit, seed: backboneSeed, name: `${this.name}.target.backbone.vit` });
    this.targetHead = new MSNProjectionHead({ ...headOptions, seed: headSeed, name: `${this.name}.target.head` });
    const maskToken = (prefix: string) => tf.tidy(() => tf.variable(tf.zeros([1, 1, vit.hiddenDim]), false, `${this.name}.${prefix}.backbone/${MASK_TOKEN}`));
    this.targetMaskToken = maskToken('target');
    this.anchorMaskToken = maskToken('anchor');
    this.prototypes = tf.tidy(() => tf.variable(initialPrototypes(config.numPrototypes, head.outputDim, random.fork()), true, `${this.name}/prototypes`));
    this.maskRandom = random.fork();

    this.variables = new Map<string, tf.Variable>();
    for (const encoder of ['target', 'anchor'] as const) {
      this.variables.set(`${encoder}.backbone.${MASK_TOKEN}`, encoder === 'target' ? this.targetMaskToken : this.anchorMaskToken);
      for (const [key, variable] of this.backbone(encoder).stateDict({ prefix: `${encoder}.${BACKBONE_VIT}` })) this.variables.set(key, variable);
      for (const [key, variable] of this.head(encoder).stateDict({ prefix: `${encoder}.head.` })) this.variables.set(key, variable);
    }
    this.variables.set('prototypes', this.prototypes);
    this.copyAnchorToTarget();
  }

  /**
   * Every variable by lightly's `state_dict` key (target networks, anchor networks, prototypes), in that order: the
   * live variables, not copies (read or save them, do not dispose them).
   */
  namedVariables(): Map<string, tf.Variable> {
    this.assertAlive('MSNModel.namedVariables');
    return new Map(this.variables);
  }

  /** The same map as {@link MSNModel.namedVariables}: what a checkpoint stores. */
  stateDict(): Map<string, tf.Variable> {
    this.assertAlive('MSNModel.stateDict');
    return new Map(this.variables);
  }

  /**
   * The parameters the optimiser updates: every anchor parameter that receives a gradient (all but the mask token, a
   * sin-cos position table and the BatchNorm running statistics) and the prototypes, by name.
   */
  trainableParameters(): Map<string, tf.Variable> {
    this.assertAlive('MSNModel.trainableParameters');
    const trainable = new Set([...this.anchorBackbone.trainableVariables(), ...this.anchorHead.trainableVariables(), this.prototypes]);
    return new Map([...this.variables].filter(([, variable]) => trainable.has(variable)));
  }

  /**
   * The (target, anchor) pairs the EMA moves: every parameter of the backbone and head (the mask token and the
   * position table included, as PyTorch's `parameters()` lists them), but no BatchNorm running statistic.
   */
  emaPairs(): EmaPair[] {
    this.assertAlive('MSNModel.emaPairs');
    const buffers = new Set(
      (['target', 'anchor'] as const).flatMap((encoder) => {
        const head = this.head(encoder);
        const trainable = new Set(head.trainableVariables());
        return [...head.namedVariables().values()].filter((variable) => !trainable.has(variable));
      }),
    );
    const pairs: EmaPair[] = [];
    for (const [name, variable] of this.variables) {
      if (!name.startsWith('target.') || buffers.has(variable)) continue;
      pairs.push([variable, this.variables.get(`anchor.${name.slice('target.'.length)}`)!]);
    }
    return pairs;
  }

  /**
   * AdamW over {@link MSNModel.trainableParameters}, by default with the MSN recipe's weight-decay groups
   * ({@link msnWeightDecayFilter}: no decay on biases, 1-D parameters and prototypes). Pass
   * `weightDecayFilter: decayEverything` for lightly's single parameter group. The caller disposes it.
   *
   * @throws {InvalidArgumentError} for invalid AdamW options.
   */
  createOptimizer(options: AdamWOptions = {}): AdamW {
    return new AdamW(this.trainableParameters(), { weightDecayFilter: msnWeightDecayFilter, ...options });
  }

  /**
   * target ← momentum·target + (1 − momentum)·anchor for every pair of {@link MSNModel.emaPairs}.
   * @throws {InvalidArgumentError} when `momentum` is outside [0, 1].
   */
  updateTarget(momentum: number): void {
    this.assertAlive('MSNModel.updateTarget');
    assertInRange('MSNModel.updateTarget', 'momentum', momentum, 0, 1);
    updateEma(this.emaPairs(), momentum);
  }

  /**
   * The target branch of a training step: targetHead(targetBackbone(images)) `[B, outputDim]` on full (unmasked)
   * images, with training-mode BatchNorm (batch statistics; the target head's running statistics are updated).
   * Call it outside any gradient scope so nothing is taped (tfjs has no `no_grad`).
   *
   * @throws {ShapeError} / {InvalidArgumentError} for images that do not fit the backbone (see `@msn/vit`).
   */
  forwardTarget(images: tf.Tensor4D): tf.Tensor2D {
    this.assertAlive('MSNModel.forwardTarget');
    return tf.tidy(() => this.targetHead.forward(this.targetBackbone.forward(images, { training: true }), { training: true }));
  }

  /**
   * The anchor branch: anchorHead(anchorBackbone(images, idxKeep)) `[B, outputDim]`, training mode (the anchor head's
   * running statistics are updated once per call). Differentiable with respect to the anchor parameters.
   *
   * @throws {ShapeError} / {InvalidArgumentError} for images or masks that do not fit (see `@msn/vit`).
   */
  forwardAnchor(images: tf.Tensor4D, idxKeep?: tf.Tensor2D): tf.Tensor2D {
    this.assertAlive('MSNModel.forwardAnchor');
    return tf.tidy(() =>
      this.anchorHead.forward(this.anchorBackbone.forward(images, idxKeep === undefined ? { training: true } : { idxKeep, training: true }), {
        training: true,
      }),
    );
  }

  /**
   * Features for evaluation, in inference mode (BatchNorm uses its running statistics; nothing is updated): the
   * backbone's class token `[B, hiddenDim]`, or with `projection: true` the head's output `[B, outputDim]`.
   *
   * @example const features = model.embed(images); // target backbone class tokens, as MSN evaluates
   * @throws {InvalidArgumentError} for an unknown encoder or option.
   */
  embed(images: tf.Tensor4D, options: MSNEmbedOptions = {}): tf.Tensor2D {
    const caller = 'MSNModel.embed';
    this.assertAlive(caller);
    assertKnownKeys(caller, options, ['encoder', 'projection']);
    const { encoder = 'target', projection = false } = options;
    if (encoder !== 'target' && encoder !== 'anchor') {
      throw new InvalidArgumentError({ caller, argument: 'encoder', value: encoder, expected: "'target' or 'anchor'" });
    }
    if (typeof projection !== 'boolean') {
      throw new InvalidArgumentError({ caller, argument: 'projection', value: projection, expected: 'a boolean' });
    }
    return tf.tidy(() => {
      const features = this.backbone(encoder).forward(images);
      return projection ? this.head(encoder).forward(features) : features;
    });
  }

  /**
   * Draws the kept-token indices `[batchSize, numTokensKept]` (int32) for views of side `imageSize` with the model's
   * mask ratio: class token first, then a uniform random subset of the patches (`randomTokenMask` of `@msn/vit` over
   * the sequence length 1 + (imageSize/P)², so every patch can be kept). Returns `undefined` when the mask ratio
   * keeps every token (no masking needed).
   *
   * @throws {InvalidArgumentError} for a non-integer size or an image side that is not a multiple of the patch size.
   */
  drawMask(batchSize: number, imageSize: number, random: Random = this.maskRandom): tf.Tensor2D | undefined {
    const caller = 'MSNModel.drawMask';
    this.assertAlive(caller);
    assertInteger(caller, 'batchSize', batchSize, 1);
    assertInteger(caller, 'imageSize', imageSize, 1);
    if (imageSize % this.config.vit.patchSize !== 0) {
      throw new ShapeError(`${caller}: imageSize ${imageSize} is not a multiple of the patch size ${this.config.vit.patchSize}`);
    }
    const sequenceLength = this.anchorBackbone.sequenceLength(imageSize);
    if (Math.floor((sequenceLength - 1) * (1 - this.config.maskRatio)) === sequenceLength - 1) return undefined;
    return randomTokenMask({ batchSize, sequenceLength, maskRatio: this.config.maskRatio, random });
  }

  /**
   * Loads weights named like {@link MSNModel.namedVariables} (e.g. `loadSafetensors(path).tensors`, a lightly
   * checkpoint, or a Trainer checkpoint's weights). `*.num_batches_tracked` entries are ignored. Everything is checked
   * before anything is assigned, so a failed load changes nothing.
   *
   * @throws {StateDictError} (from `@msn/vit`) listing every missing (strict), unexpected (strict) and mis-shaped name.
   */
  loadStateDict(tensors: StateDict, options: { strict?: boolean } = {}): void {
    const caller = 'MSNModel.loadStateDict';
    this.assertAlive(caller);
    assertKnownKeys(caller, options, ['strict']);
    loadNamedVariables(caller, this.variables, tensors, {
      strict: options.strict ?? true,
      ignore: (name) => name.endsWith('.num_batches_tracked'),
    });
  }

  /** String metadata that identifies the model in a weights file: the config as JSON under {@link MSN_CONFIG_METADATA_KEY}. */
  checkpointMetadata(): Record<string, string> {
    return { [MSN_CONFIG_METADATA_KEY]: JSON.stringify(this.config) };
  }

  /**
   * Writes every variable to a safetensors file (atomically), with the config as JSON under
   * {@link MSN_CONFIG_METADATA_KEY} plus any extra string metadata.
   *
   * @throws {SafetensorsError} when the file cannot be written.
   */
  async save(path: string, metadata: Record<string, string> = {}): Promise<void> {
    this.assertAlive('MSNModel.save');
    await saveSafetensors(path, this.variables, { ...metadata, ...this.checkpointMetadata() });
  }

  /**
   * Rebuilds a model from a file written by {@link MSNModel.save} (config from its metadata), or from any file with
   * these names when `config` is given (e.g. a lightly checkpoint converted to safetensors).
   *
   * @throws {CheckpointError} when the file has no config and none is given, or its config is not valid JSON.
   * @throws {SafetensorsError} / {StateDictError} for unreadable files or weights that do not fit.
   */
  static async load(path: string, options: { config?: MSNConfig | MSNConfigInput; name?: string } = {}): Promise<MSNModel> {
    assertKnownKeys('MSNModel.load', options, ['config', 'name']);
    const { tensors, metadata } = await loadSafetensors(path);
    let config = options.config;
    if (config === undefined) {
      const stored = metadata[MSN_CONFIG_METADATA_KEY];
      if (stored === undefined) {
        throw new CheckpointError(`MSNModel.load: '${path}' has no '${MSN_CONFIG_METADATA_KEY}' metadata; pass options.config`);
      }
      try {
        config = JSON.parse(stored) as MSNConfig;
      } catch (error) {
        throw new CheckpointError(`MSNModel.load: the '${MSN_CONFIG_METADATA_KEY}' metadata of '${path}' is not valid JSON`, { cause: error });
      }
    }
    const model = new MSNModel({ config, seed: 0, ...(options.name === undefined ? {} : { name: options.name }) });
    try {
      model.loadStateDict(tensors);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /** Frees every variable (both encoders, mask tokens, prototypes). The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.anchorBackbone.dispose();
    this.anchorHead.dispose();
    this.targetBackbone.dispose();
    this.targetHead.dispose();
    this.anchorMaskToken.dispose();
    this.targetMaskToken.dispose();
    this.prototypes.dispose();
    this.variables.clear();
  }

  private backbone(encoder: MSNEncoder): MaskedVisionTransformer {
    return encoder === 'target' ? this.targetBackbone : this.anchorBackbone;
  }

  private head(encoder: MSNEncoder): MSNProjectionHead {
    return encoder === 'target' ? this.targetHead : this.anchorHead;
  }

  private copyAnchorToTarget(): void {
    for (const [name, variable] of this.variables) {
      if (name.startsWith('target.')) variable.assign(this.variables.get(`anchor.${name.slice('target.'.length)}`)!);
    }
  }

  private assertAlive(caller: string): void {
    if (this.disposed) {
      throw new InvalidArgumentError({ caller, argument: 'this', value: 'disposed model', expected: 'a model that was not disposed' });
    }
  }
}

/** U(−1/√dim, 1/√dim) values `[count, dim]`, as the MSN reference initialises its prototypes. */
function initialPrototypes(count: number, dim: number, random: Random): tf.Tensor2D {
  const bound = 1 / Math.sqrt(dim);
  const values = new Float32Array(count * dim);
  for (let index = 0; index < values.length; index++) values[index] = (2 * random.nextFloat() - 1) * bound;
  return tf.tensor2d(values, [count, dim]);
}
