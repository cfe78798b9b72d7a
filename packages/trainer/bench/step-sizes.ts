// The MSN step sizes the benches time (bench:msn-step, bench:gpu), under the flag names of torch_msn_step.py (passed to it unchanged; MLP = 4·dim).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MSNModel } from '../src/index';

/** One MSN step size: images `batch` × (1 target + 1 anchor) at `image` px plus `focal-views` per image at `focal-image`. */
export interface StepSizes {
  image: number;
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  'head-hidden': number;
  out: number;
  prototypes: number;
  batch: number;
  'focal-views': number;
  'focal-image': number;
  'mask-ratio': number;
}

export const STEP_SIZES: Record<string, StepSizes> = {
  // The `bench` preset (msnPreset('bench', 32)) at the msn-step bench's batch: torch_msn_step.py's defaults.
  bench: {
    image: 32,
    patch: 4,
    dim: 192,
    depth: 6,
    heads: 3,
    'head-hidden': 1024,
    out: 256,
    prototypes: 1024,
    batch: 32,
    'focal-views': 4,
    'focal-image': 16,
    'mask-ratio': 0.15,
  },
  // ViT-S/16 MSN (B 64, 1 + 1 views at 224, 10 focal at 96; head 2048 → 256, K 1024): the GPU target.
  'vit-s16': {
    image: 224,
    patch: 16,
    dim: 384,
    depth: 12,
    heads: 6,
    'head-hidden': 2048,
    out: 256,
    prototypes: 1024,
    batch: 64,
    'focal-views': 10,
    'focal-image': 96,
    'mask-ratio': 0.15,
  },
  // The main job's model (msnPreset('demo', 16)) at its batch of 64, 2 focal views at 8 px: small enough to time on Mesa.
  demo: {
    image: 16,
    patch: 4,
    dim: 64,
    depth: 2,
    heads: 4,
    'head-hidden': 256,
    out: 64,
    prototypes: 32,
    batch: 64,
    'focal-views': 2,
    'focal-image': 8,
    'mask-ratio': 0.15,
  },
  // A smoke test that finishes in seconds on a software adapter (--tiny).
  tiny: {
    image: 16,
    patch: 8,
    dim: 32,
    depth: 1,
    heads: 2,
    'head-hidden': 64,
    out: 32,
    prototypes: 16,
    batch: 8,
    'focal-views': 2,
    'focal-image': 8,
    'mask-ratio': 0.15,
  },
};

/** The MSN model of one step size, seeded like the reference script's (seed 0). */
export function createBenchModel(sizes: StepSizes): MSNModel {
  return new MSNModel({
    config: {
      vit: { imageSize: sizes.image, patchSize: sizes.patch, numLayers: sizes.depth, numHeads: sizes.heads, hiddenDim: sizes.dim, mlpDim: 4 * sizes.dim },
      head: { hiddenDim: sizes['head-hidden'], outputDim: sizes.out },
      numPrototypes: sizes.prototypes,
      maskRatio: sizes['mask-ratio'],
    },
    seed: 0,
  });
}

/** The folder holding pnpm-workspace.yaml (the reference script lives next to it, in ../shared). */
export function repositoryRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'pnpm-workspace.yaml'))) folder = dirname(folder);
  return folder;
}
