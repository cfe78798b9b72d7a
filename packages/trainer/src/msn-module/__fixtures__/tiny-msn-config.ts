// The smallest MSN model the tests train: 8×8 images, 2×2 patches of 4 px, one block of width 8.
import type { MSNConfigInput } from '../../msn/msn-config';

export const TINY_MSN_CONFIG: MSNConfigInput = {
  vit: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 },
  head: { hiddenDim: 16, outputDim: 8 },
  numPrototypes: 6,
  maskRatio: 0.3,
};
