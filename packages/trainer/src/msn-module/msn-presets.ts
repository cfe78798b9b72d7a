// @file Named MSN model sizes used by the example apps and benchmarks (architecture only; training settings are separate).
import { InvalidArgumentError } from '@msn/errors';
import type { MSNConfigInput } from '../msn/msn-config';

/** Names of {@link msnPreset}. */
export const MSN_PRESET_NAMES = ['demo', 'fmnist-tiny', 'bench', 'vit-tiny', 'vit-small'] as const;

/** One of {@link MSN_PRESET_NAMES}. */
export type MSNPresetName = (typeof MSN_PRESET_NAMES)[number];

const PRESETS: Record<MSNPresetName, (imageSize: number) => MSNConfigInput> = {
  // The main job: small enough for a few minutes of single-threaded wasm.
  demo: (imageSize) => ({
    vit: { imageSize, patchSize: 4, numLayers: 2, numHeads: 4, hiddenDim: 64, mlpDim: 256 },
    head: { hiddenDim: 256, outputDim: 64 },
    numPrototypes: 32,
  }),
  // The fmnist-tiny protocol of the quality benchmark.
  'fmnist-tiny': (imageSize) => ({
    vit: { imageSize, patchSize: 4, numLayers: 4, numHeads: 4, hiddenDim: 128, mlpDim: 512 },
    head: { hiddenDim: 512, outputDim: 128 },
    numPrototypes: 256,
  }),
  // The speed benchmark's configuration (msn-step bench, torch_msn_step.py defaults).
  bench: (imageSize) => ({
    vit: { imageSize, patchSize: 4, numLayers: 6, numHeads: 3, hiddenDim: 192, mlpDim: 768 },
    head: { hiddenDim: 1024, outputDim: 256 },
    numPrototypes: 1024,
  }),
  // MSN's architectures at any resolution (patch 16, the reference head 2048 → 256, K 1024).
  'vit-tiny': (imageSize) => ({ vit: { imageSize, patchSize: 16, numLayers: 12, numHeads: 3, hiddenDim: 192, mlpDim: 768 }, numPrototypes: 1024 }),
  'vit-small': (imageSize) => ({ vit: { imageSize, patchSize: 16, numLayers: 12, numHeads: 6, hiddenDim: 384, mlpDim: 1536 }, numPrototypes: 1024 }),
};

/**
 * An MSN architecture by name, for images of side `imageSize` (a multiple of its patch size):
 * - `demo`: ViT patch 4, D 64, depth 2, 4 heads, MLP 256; head 256 → 64; K 32 (the main job, at 16 px);
 * - `fmnist-tiny`: patch 4, D 128, depth 4, 4 heads, MLP 512; head 512 → 128; K 256 (the quality benchmark);
 * - `bench`: patch 4, D 192, depth 6, 3 heads, MLP 768; head 1024 → 256; K 1024 (the speed benchmark);
 * - `vit-tiny`, `vit-small`: DeiT-Ti/16 and DeiT-S/16 with MSN's head (2048 → 256) and K 1024.
 * The mask ratio is the default 0.15. Override any field by spreading the result.
 *
 * @example const config = { ...msnPreset('fmnist-tiny', 28), numPrototypes: 512 };
 * @throws {InvalidArgumentError} for an unknown name.
 */
export function msnPreset(name: MSNPresetName, imageSize: number): MSNConfigInput {
  const preset = PRESETS[name];
  if (preset === undefined)
    throw new InvalidArgumentError({ caller: 'msnPreset', argument: 'name', value: name, expected: `one of ${MSN_PRESET_NAMES.join(', ')}` });
  return preset(imageSize);
}
