// The MSN model's configuration: a plain JSON object (stored in checkpoints), with defaults and validation.
import { resolveViTConfig, type ViTConfig, type ViTConfigInput } from '@msn/vit';
import { InvalidArgumentError, assertInRange, assertInteger, assertKnownKeys, assertPositiveFinite } from '@msn/errors';

/** The projection head's shape (lightly's `MSNProjectionHead`; its input width is the ViT's `hiddenDim`). */
export interface MSNHeadConfig {
  /** Width of the two hidden layers. @default 2048 */
  hiddenDim: number;
  /** Width of the projections (and of the prototypes). @default 256 */
  outputDim: number;
  /** BatchNorm epsilon. @default 1e-5 */
  batchNormEps: number;
  /** Weight of the new batch statistic in BatchNorm's running averages. @default 0.1 */
  batchNormMomentum: number;
}

/**
 * Everything that defines an MSN model's architecture. Plain and JSON-serialisable: `MSNModel.save` stores it in the
 * safetensors metadata and `MSNModel.load` rebuilds the model from it.
 */
export interface MSNConfig {
  /** The backbone (anchor and target share it); see `resolveViTConfig` of `@msn/vit`. */
  vit: ViTConfig;
  /** The projection head after the backbone's class token. */
  head: MSNHeadConfig;
  /** Number K of learnable prototypes. @default 1024 */
  numPrototypes: number;
  /**
   * Share of the patch tokens dropped from anchor and focal views when the training step draws the masks itself
   * (the class token is always kept). @default 0.15
   */
  maskRatio: number;
}

/** What {@link resolveMSNConfig} accepts: a partial config whose `vit` has at least the shape fields. */
export interface MSNConfigInput {
  vit: ViTConfig | ViTConfigInput;
  head?: Partial<MSNHeadConfig> | undefined;
  numPrototypes?: number | undefined;
  maskRatio?: number | undefined;
}

const CONFIG_KEYS = ['vit', 'head', 'numPrototypes', 'maskRatio'] as const;
const HEAD_KEYS = ['hiddenDim', 'outputDim', 'batchNormEps', 'batchNormMomentum'] as const;

/**
 * Fills defaults into a partial MSN configuration and validates it (the ViT part through `resolveViTConfig`).
 *
 * @example
 * const config = resolveMSNConfig({
 *   vit: { imageSize: 32, patchSize: 4, numLayers: 6, numHeads: 3, hiddenDim: 192, mlpDim: 768 },
 *   head: { hiddenDim: 1024, outputDim: 256 },
 * }); // numPrototypes 1024, maskRatio 0.15
 * @throws {InvalidArgumentError} for an unknown key, a non-positive size, a BatchNorm epsilon ≤ 0, a momentum or mask
 *   ratio outside [0, 1), or an invalid ViT config.
 */
export function resolveMSNConfig(input: MSNConfig | MSNConfigInput): MSNConfig {
  const caller = 'resolveMSNConfig';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidArgumentError({ caller, argument: 'config', value: input, expected: 'an object { vit, head?, numPrototypes?, maskRatio? }' });
  }
  assertKnownKeys(caller, input, CONFIG_KEYS);
  if (typeof input.vit !== 'object' || input.vit === null) {
    throw new InvalidArgumentError({ caller, argument: 'vit', value: input.vit, expected: 'a ViT config object' });
  }
  const headInput = input.head ?? {};
  if (typeof headInput !== 'object' || headInput === null || Array.isArray(headInput)) {
    throw new InvalidArgumentError({
      caller,
      argument: 'head',
      value: headInput,
      expected: 'an object { hiddenDim?, outputDim?, batchNormEps?, batchNormMomentum? }',
    });
  }
  assertKnownKeys(`${caller} (head)`, headInput, HEAD_KEYS);
  const head: MSNHeadConfig = { hiddenDim: 2048, outputDim: 256, batchNormEps: 1e-5, batchNormMomentum: 0.1, ...headInput };
  assertInteger(caller, 'head.hiddenDim', head.hiddenDim, 1);
  assertInteger(caller, 'head.outputDim', head.outputDim, 1);
  assertPositiveFinite(caller, 'head.batchNormEps', head.batchNormEps);
  assertInRange(caller, 'head.batchNormMomentum', head.batchNormMomentum, 0, 1);
  const { numPrototypes = 1024, maskRatio = 0.15 } = input;
  assertInteger(caller, 'numPrototypes', numPrototypes, 1);
  assertInRange(caller, 'maskRatio', maskRatio, 0, 1, { highInclusive: false });
  return { vit: resolveViTConfig(input.vit), head, numPrototypes, maskRatio };
}
