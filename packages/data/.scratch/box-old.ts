// PIL's GaussianBlur(radius = σ): three "extended box" passes per axis whose total variance is σ², edges replicated.
import type { ResizeScratch } from '../src/resize';

/** Number of box passes per axis (PIL's ImageFilter.GaussianBlur uses 3). */
export const BOX_PASSES = 3;

/** An extended box [α, 1, …, 1, α] / (2·radius + 1 + 2α) with an integer `radius` and edge weight α ∈ [0, 1). */
export interface ExtendedBox {
  radius: number;
  edgeWeight: number;
}

/**
 * The extended box whose variance is σ²/passes (Gwosdek, Grewenig, Bruhn, Weickert: "Theoretical foundations
 * of Gaussian convolution by extended box filtering", SSVM 2011, eqs. 7, 11, 14), which is how PIL turns a
 * blur radius into box passes: L = √(12σ²/d + 1), l = floor((L − 1)/2),
 * α = (2l + 1)(l(l + 1) − 3σ²/d) / (6(σ²/d − (l + 1)²)).
 */
export function extendedBox(sigma: number, passes: number = BOX_PASSES): ExtendedBox {
  const variance = (sigma * sigma) / passes;
  const length = Math.sqrt(12 * variance + 1);
  const radius = Math.floor((length - 1) / 2);
  const edgeWeight = ((2 * radius + 1) * (radius * (radius + 1) - 3 * variance)) / (6 * (variance - (radius + 1) * (radius + 1)));
  return { radius, edgeWeight };
}

/**
 * Blurs `channels` planes of `height × width` at `offset` in place like PIL's `GaussianBlur(radius = sigma)`:
 * per axis (horizontal first, as PIL), {@link BOX_PASSES} passes of the extended box of {@link extendedBox};
 * samples outside the image repeat the edge pixel. Each pass is a running sum, so the cost does not depend
 * on σ. Values stay float (PIL rounds to 8 bits after every pass).
 */
export function boxBlurInPlace(
  data: Float32Array,
  offset: number,
  channels: number,
  height: number,
  width: number,
  sigma: number,
  scratch: ResizeScratch,
): void {
  const { radius, edgeWeight } = extendedBox(sigma);
  const inverse = 1 / (2 * radius + 1 + 2 * edgeWeight);
  const plane = height * width;
  const buffer = scratch.ensure(plane + width + 2 * (radius + 1));
  const temp = buffer.subarray(0, plane);
  const line = buffer.subarray(plane);
  const sums = scratch.ensureWide(width);

  for (let channel = 0; channel < channels; channel++) {
    const base = offset + channel * plane;
    for (let pass = 0; pass < BOX_PASSES; pass++) {
      for (let row = 0; row < height; row++) {
        blurLine(data, base + row * width, width, radius, edgeWeight, inverse, line);
      }
    }
    for (let pass = 0; pass < BOX_PASSES; pass++) {
      blurColumns(data, base, height, width, radius, edgeWeight, inverse, temp, sums);
    }
  }
}

// One horizontal pass over data[start … start + length): a running sum over an edge-padded copy of the row.
function blurLine(
  data: Float32Array,
  start: number,
  length: number,
  radius: number,
  edgeWeight: number,
  inverse: number,
  padded: Float32Array,
): void {
  const pad = radius + 1;
  const first = data[start]!;
  const last = data[start + length - 1]!;
  for (let index = 0; index < pad; index++) {
    padded[index] = first;
    padded[pad + length + index] = last;
  }
  for (let index = 0; index < length; index++) padded[pad + index] = data[start + index]!;
  // Window of output i in padded coordinates: core [i + 1, i + 2·radius + 1], edges at i and i + 2·radius + 2.
  let core = 0;
  for (let index = 1; index <= 2 * radius + 1; index++) core += padded[index]!;
  for (let index = 0; index < length; index++) {
    data[start + index] = (core + edgeWeight * (padded[index]! + padded[index + 2 * radius + 2]!)) * inverse;
    core += padded[index + 2 * radius + 2]! - padded[index + 1]!;
  }
}

// One vertical pass over a plane: running sums of whole rows (vectorisable inner loops), edge rows repeated.
function blurColumns(
  data: Float32Array,
  base: number,
  height: number,
  width: number,
  radius: number,
  edgeWeight: number,
  inverse: number,
  temp: Float32Array,
  sums: Float64Array,
): void {
  const last = height - 1;
  for (let column = 0; column < width; column++) sums[column] = 0;
  for (let row = -radius; row <= radius; row++) {
    const source = base + (row < 0 ? 0 : row > last ? last : row) * width;
    for (let column = 0; column < width; column++) sums[column]! += data[source + column]!;
  }
  for (let row = 0; row < height; row++) {
    // Rows leaving, entering and at both edge weights of the window; clamped (edge rows repeat).
    let clamped = row - radius - 1;
    const above = base + (clamped < 0 ? 0 : clamped) * width;
    clamped = row + radius + 1;
    const below = base + (clamped > last ? last : clamped) * width;
    clamped = row - radius;
    const leaving = base + (clamped < 0 ? 0 : clamped) * width;
    const out = row * width;
    for (let column = 0; column < width; column++) {
      const entering = data[below + column]!;
      const sum = sums[column]!;
      temp[out + column] = (sum + edgeWeight * (data[above + column]! + entering)) * inverse;
      sums[column] = sum + entering - data[leaving + column]!;
    }
  }
  data.set(temp, base);
}
