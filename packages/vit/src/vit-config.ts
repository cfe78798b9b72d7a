// The ViT configuration: a plain JSON object kept apart from the model, with defaults, validation and presets.
import { InvalidArgumentError, assertInRange, assertInteger, assertKnownKeys, assertOneOf, assertPositiveFinite } from '@msn/errors';

/** `'learned'`: a trained table (MSN); `'sincos'`: a fixed 2-D sine-cosine table that is never trained (lightly). */
export type PositionEmbeddingKind = 'learned' | 'sincos';

/**
 * `'msn'`: the MSN/DeiT recipe (truncated normal std 0.02 for linears, class token and learned position table,
 * Kaiming-normal patch projection, zero biases, unit LayerNorm scales).
 * `'lightly'`: lightly's masked ViT (Xavier-uniform linears, attention input projection and patch projection,
 * zero biases, class token normal std 0.02, learned position table normal std 0.02).
 */
export type ViTInitialization = 'msn' | 'lightly';

/**
 * A Vision Transformer's shape and recipe. Plain and JSON-serialisable, so checkpoints can store it.
 * Field names follow torchvision's `VisionTransformer` arguments in camelCase.
 */
export interface ViTConfig {
  /** Side of the square training images in pixels; the stored position table has (imageSize/patchSize)² rows. */
  imageSize: number;
  /** Side of the square patches in pixels (kernel and stride of the patch projection). */
  patchSize: number;
  /** Number of encoder blocks. */
  numLayers: number;
  /** Number of attention heads; must divide `hiddenDim`. */
  numHeads: number;
  /** Token width D. */
  hiddenDim: number;
  /** Hidden width of each block's MLP. */
  mlpDim: number;
  /** Image channels. @default 3 */
  inChannels: number;
  /** LayerNorm epsilon. @default 1e-6 */
  layerNormEps: number;
  /** @default 'sincos' (lightly's masked ViT, the reference library) */
  positionEmbedding: PositionEmbeddingKind;
  /** @default 'lightly' */
  initialization: ViTInitialization;
  /** Stochastic-depth rate of the last block; block i uses rate·i/(numLayers−1) (DeiT's rule). @default 0 */
  dropPathRate: number;
}

/** The fields `resolveViTConfig` requires; the others have defaults. */
export type ViTConfigInput = Pick<ViTConfig, 'imageSize' | 'patchSize' | 'numLayers' | 'numHeads' | 'hiddenDim' | 'mlpDim'> & Partial<ViTConfig>;

const CONFIG_KEYS: readonly (keyof ViTConfig)[] = [
  'imageSize',
  'patchSize',
  'numLayers',
  'numHeads',
  'hiddenDim',
  'mlpDim',
  'inChannels',
  'layerNormEps',
  'positionEmbedding',
  'initialization',
  'dropPathRate',
];

/**
 * Fills defaults into a partial ViT configuration and validates it.
 *
 * @example
 * const config = resolveViTConfig({ imageSize: 32, patchSize: 4, numLayers: 6, numHeads: 3, hiddenDim: 192, mlpDim: 768 });
 * @throws {InvalidArgumentError} for an unknown key, a non-integer or non-positive size, `hiddenDim` not divisible by
 *   `numHeads`, `imageSize` not divisible by `patchSize`, a sin-cos table with `hiddenDim` not divisible by 4, an
 *   unknown `positionEmbedding`/`initialization`, a `layerNormEps` ≤ 0 or a `dropPathRate` outside [0, 1).
 */
export function resolveViTConfig(partial: ViTConfigInput): ViTConfig {
  const caller = 'resolveViTConfig';
  if (typeof partial !== 'object' || partial === null) {
    throw new InvalidArgumentError({ caller, argument: 'config', value: partial, expected: 'a ViTConfig object' });
  }
  assertKnownKeys(caller, partial, CONFIG_KEYS, 'config');
  const config: ViTConfig = {
    inChannels: 3,
    layerNormEps: 1e-6,
    positionEmbedding: 'sincos',
    initialization: 'lightly',
    dropPathRate: 0,
    ...partial,
  };
  for (const key of ['imageSize', 'patchSize', 'numLayers', 'numHeads', 'hiddenDim', 'mlpDim', 'inChannels'] as const) {
    assertInteger(caller, key, config[key], 1);
  }
  if (config.imageSize % config.patchSize !== 0) {
    throw new InvalidArgumentError({
      caller,
      argument: 'imageSize',
      value: config.imageSize,
      expected: `a multiple of patchSize (${config.patchSize})`,
    });
  }
  if (config.hiddenDim % config.numHeads !== 0) {
    throw new InvalidArgumentError({
      caller,
      argument: 'hiddenDim',
      value: config.hiddenDim,
      expected: `a multiple of numHeads (${config.numHeads})`,
    });
  }
  assertPositiveFinite(caller, 'layerNormEps', config.layerNormEps);
  assertOneOf(caller, 'positionEmbedding', config.positionEmbedding, ['learned', 'sincos'] as const);
  assertOneOf(caller, 'initialization', config.initialization, ['msn', 'lightly'] as const);
  if (config.positionEmbedding === 'sincos' && config.hiddenDim % 4 !== 0) {
    throw new InvalidArgumentError({
      caller,
      argument: 'hiddenDim',
      value: config.hiddenDim,
      expected: "a multiple of 4 for positionEmbedding 'sincos' (two axes × sine and cosine)",
    });
  }
  assertInRange(caller, 'dropPathRate', config.dropPathRate, 0, 1, { highInclusive: false });
  return config;
}

/** Overrides accepted by the presets: any field, including the shape ones. */
export type ViTPresetOverrides = Partial<ViTConfig>;

/**
 * ViT-Ti/16 (DeiT-Tiny): D 192, depth 12, 3 heads, MLP 768, 224-pixel images.
 * @example const config = vitTiny({ imageSize: 32, patchSize: 4 });
 * @throws {InvalidArgumentError} when the overrides make an invalid configuration.
 */
export function vitTiny(overrides: ViTPresetOverrides = {}): ViTConfig {
  return resolveViTConfig({ imageSize: 224, patchSize: 16, numLayers: 12, numHeads: 3, hiddenDim: 192, mlpDim: 768, ...overrides });
}

/**
 * ViT-S/16 (DeiT-Small, MSN's smallest model): D 384, depth 12, 6 heads, MLP 1536, 224-pixel images.
 * @example const config = vitSmall({ positionEmbedding: 'learned', initialization: 'msn' });
 * @throws {InvalidArgumentError} when the overrides make an invalid configuration.
 */
export function vitSmall(overrides: ViTPresetOverrides = {}): ViTConfig {
  return resolveViTConfig({ imageSize: 224, patchSize: 16, numLayers: 12, numHeads: 6, hiddenDim: 384, mlpDim: 1536, ...overrides });
}

/**
 * ViT-B/16: D 768, depth 12, 12 heads, MLP 3072, 224-pixel images.
 * @example const config = vitBase({ patchSize: 32 });
 * @throws {InvalidArgumentError} when the overrides make an invalid configuration.
 */
export function vitBase(overrides: ViTPresetOverrides = {}): ViTConfig {
  return resolveViTConfig({ imageSize: 224, patchSize: 16, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072, ...overrides });
}
