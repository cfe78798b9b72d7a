// torchvision's RandomResizedCrop.get_params: 10 attempts at a random area/aspect ratio, then a central fallback.
import type { CounterRandom } from '@msn/random';
import { roundHalfEven } from './round-half-even';
import type { CropBox } from './resize';

/**
 * Draws a crop of `height × width` the way torchvision's `RandomResizedCrop.get_params` does:
 * up to 10 times, area = H·W·U(scale) and aspect = exp(U(log ratio)), w = round(√(area·aspect)),
 * h = round(√(area/aspect)) (Python rounding); the first that fits gets a uniform position.
 * Otherwise the central crop of the whole image clamped to the ratio range.
 */
export function randomResizedCropBox(
  height: number,
  width: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  random: CounterRandom,
): CropBox {
  const area = height * width;
  const logLow = Math.log(ratio[0]);
  const logHigh = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * random.uniform(scale[0], scale[1]);
    const aspect = Math.exp(random.uniform(logLow, logHigh));
    const cropWidth = roundHalfEven(Math.sqrt(targetArea * aspect));
    const cropHeight = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (cropWidth > 0 && cropWidth <= width && cropHeight > 0 && cropHeight <= height) {
      const top = random.integer(height - cropHeight + 1);
      const left = random.integer(width - cropWidth + 1);
      return { top, left, height: cropHeight, width: cropWidth };
    }
  }
  const inputRatio = width / height;
  let cropWidth = width;
  let cropHeight = height;
  if (inputRatio < ratio[0]) {
    cropHeight = roundHalfEven(cropWidth / ratio[0]);
  } else if (inputRatio > ratio[1]) {
    cropWidth = roundHalfEven(cropHeight * ratio[1]);
  }
  return {
    top: Math.floor((height - cropHeight) / 2),
    left: Math.floor((width - cropWidth) / 2),
    height: cropHeight,
    width: cropWidth,
  };
}
