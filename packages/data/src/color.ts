// In-place colour adjustments on one planar RGB image inside a buffer (torchvision's tensor definitions).
// Each works on data[offset … offset + 3·plane): red plane, green plane, blue plane.

/** ITU-R 601-2 luma with torchvision's tensor coefficients. */
const RED_WEIGHT = 0.2989;
const GREEN_WEIGHT = 0.587;
const BLUE_WEIGHT = 0.114;

function clamp01(value: number): number {
  return Math.min(Math.max(value, 0), 1);
}

/** `adjust_brightness`: clamp(f·x, 0, 1). */
export function brightnessInPlace(data: Float32Array, offset: number, plane: number, factor: number): void {
  const end = offset + 3 * plane;
  for (let index = offset; index < end; index++) data[index] = clamp01(factor * data[index]!);
}

/** Mean of gray(x) over all pixels (the single scalar `adjust_contrast` blends towards). */
export function meanGray(data: Float32Array, offset: number, plane: number): number {
  let total = 0;
  const green = offset + plane;
  const blue = offset + 2 * plane;
  for (let pixel = 0; pixel < plane; pixel++) {
    total += RED_WEIGHT * data[offset + pixel]! + GREEN_WEIGHT * data[green + pixel]! + BLUE_WEIGHT * data[blue + pixel]!;
  }
  return total / plane;
}

/** `adjust_contrast`: clamp(f·x + (1 − f)·mean(gray(x)), 0, 1). */
export function contrastInPlace(data: Float32Array, offset: number, plane: number, factor: number): void {
  const shift = (1 - factor) * meanGray(data, offset, plane);
  const end = offset + 3 * plane;
  for (let index = offset; index < end; index++) data[index] = clamp01(factor * data[index]! + shift);
}

/** `adjust_saturation`: clamp(f·x + (1 − f)·gray(x), 0, 1), per pixel. */
export function saturationInPlace(data: Float32Array, offset: number, plane: number, factor: number): void {
  const rest = 1 - factor;
  const greenBase = offset + plane;
  const blueBase = offset + 2 * plane;
  for (let pixel = 0; pixel < plane; pixel++) {
    const red = data[offset + pixel]!;
    const green = data[greenBase + pixel]!;
    const blue = data[blueBase + pixel]!;
    const gray = rest * (RED_WEIGHT * red + GREEN_WEIGHT * green + BLUE_WEIGHT * blue);
    data[offset + pixel] = clamp01(factor * red + gray);
    data[greenBase + pixel] = clamp01(factor * green + gray);
    data[blueBase + pixel] = clamp01(factor * blue + gray);
  }
}

/**
 * `adjust_hue`: RGB → HSV (hexcone: V = max, S = (max − min)/max, H in [0, 1)), H ← (H + h) mod 1, HSV → RGB,
 * following torchvision's `_rgb2hsv`/`_hsv2rgb` branch for branch (including their clamps of p, q, t).
 */
export function hueInPlace(data: Float32Array, offset: number, plane: number, hueFactor: number): void {
  const greenBase = offset + plane;
  const blueBase = offset + 2 * plane;
  for (let pixel = 0; pixel < plane; pixel++) {
    const red = data[offset + pixel]!;
    const green = data[greenBase + pixel]!;
    const blue = data[blueBase + pixel]!;
    const maximum = Math.max(red, green, blue);
    const minimum = Math.min(red, green, blue);
    const equal = maximum === minimum;
    const chroma = maximum - minimum;
    const saturation = chroma / (equal ? 1 : maximum);
    const divisor = equal ? 1 : chroma;
    const redDistance = (maximum - red) / divisor;
    const greenDistance = (maximum - green) / divisor;
    const blueDistance = (maximum - blue) / divisor;
    let hue: number;
    if (maximum === red) hue = blueDistance - greenDistance;
    else if (maximum === green) hue = 2 + redDistance - blueDistance;
    else hue = 4 + greenDistance - redDistance;
    // fmod(h/6 + 1, 1) then torch's floored remainder (h + factor) mod 1, both as x − floor(x): exact for
    // these magnitudes and far cheaper than JS's `%` on doubles.
    hue = hue / 6 + 1;
    hue -= Math.floor(hue);
    hue += hueFactor;
    hue -= Math.floor(hue);

    const value = maximum;
    const scaled = hue * 6;
    const sector = Math.floor(scaled);
    const fraction = scaled - sector;
    const p = clamp01(value * (1 - saturation));
    const q = clamp01(value * (1 - saturation * fraction));
    const t = clamp01(value * (1 - saturation * (1 - fraction)));
    let outRed: number;
    let outGreen: number;
    let outBlue: number;
    // sector is 6 only when the shifted hue rounds to 1.0; torch's `i % 6` maps it to 0.
    switch (sector === 6 ? 0 : sector) {
      case 0:
        outRed = value;
        outGreen = t;
        outBlue = p;
        break;
      case 1:
        outRed = q;
        outGreen = value;
        outBlue = p;
        break;
      case 2:
        outRed = p;
        outGreen = value;
        outBlue = t;
        break;
      case 3:
        outRed = p;
        outGreen = q;
        outBlue = value;
        break;
      case 4:
        outRed = t;
        outGreen = p;
        outBlue = value;
        break;
      default:
        outRed = value;
        outGreen = p;
        outBlue = q;
    }
    data[offset + pixel] = outRed;
    data[greenBase + pixel] = outGreen;
    data[blueBase + pixel] = outBlue;
  }
}

/** `rgb_to_grayscale` with 3 output channels: gray(x) written to all three planes. */
export function grayscaleInPlace(data: Float32Array, offset: number, plane: number): void {
  const greenBase = offset + plane;
  const blueBase = offset + 2 * plane;
  for (let pixel = 0; pixel < plane; pixel++) {
    const gray = RED_WEIGHT * data[offset + pixel]! + GREEN_WEIGHT * data[greenBase + pixel]! + BLUE_WEIGHT * data[blueBase + pixel]!;
    data[offset + pixel] = gray;
    data[greenBase + pixel] = gray;
    data[blueBase + pixel] = gray;
  }
}

/** gray(x) into a separate single plane (`rgb_to_grayscale` with 1 output channel). */
export function grayscalePlane(data: Float32Array, offset: number, plane: number, output: Float32Array): void {
  const greenBase = offset + plane;
  const blueBase = offset + 2 * plane;
  for (let pixel = 0; pixel < plane; pixel++) {
    output[pixel] = RED_WEIGHT * data[offset + pixel]! + GREEN_WEIGHT * data[greenBase + pixel]! + BLUE_WEIGHT * data[blueBase + pixel]!;
  }
}

/** `normalize`: (x − mean_c) / std_c per channel. */
export function normalizeInPlace(data: Float32Array, offset: number, plane: number, mean: readonly number[], std: readonly number[]): void {
  for (let channel = 0; channel < 3; channel++) {
    const shift = mean[channel]!;
    const inverse = 1 / std[channel]!;
    const begin = offset + channel * plane;
    const end = begin + plane;
    for (let index = begin; index < end; index++) data[index] = (data[index]! - shift) * inverse;
  }
}
