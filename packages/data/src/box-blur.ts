// PIL's GaussianBlur(radius = σ): three "extended box" passes per axis whose total variance is σ², edges replicated.
import type { ResizeScratch } from './resize';

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
  const padded = width + 2 * (radius + 1);
  const buffer = scratch.ensure(plane + 2 * padded);
  const temp = buffer.subarray(0, plane);
  const lineA = buffer.subarray(plane, plane + padded);
  const lineB = buffer.subarray(plane + padded, plane + 2 * padded);
  const sums = scratch.ensureWide(width);

  for (let channel = 0; channel < channels; channel++) {
    const base = offset + channel * plane;
    // Horizontal: each row is copied once into an edge-padded line, blurred three times between two lines
    // (better locality than three sweeps over the plane), and written back.
    for (let row = 0; row < height; row++) {
      const start = base + row * width;
      for (let column = 0; column < width; column++) lineA[radius + 1 + column] = data[start + column]!;
      boxLine(lineA, lineB, width, radius, edgeWeight, inverse);
      boxLine(lineB, lineA, width, radius, edgeWeight, inverse);
      boxLine(lineA, lineB, width, radius, edgeWeight, inverse);
      for (let column = 0; column < width; column++) data[start + column] = lineB[radius + 1 + column]!;
    }
    // Vertical: three passes ping-ponging between the plane and temp, one copy at the end.
    boxColumns(data, base, temp, 0, height, width, radius, edgeWeight, inverse, sums);
    boxColumns(temp, 0, data, base, height, width, radius, edgeWeight, inverse, sums);
    boxColumns(data, base, temp, 0, height, width, radius, edgeWeight, inverse, sums);
    data.set(temp, base);
  }
}

// One horizontal pass: `source` holds the row at [pad, pad + length) (pad = radius + 1); its edges are padded
// here, and the result goes to the same positions of `target`.
function boxLine(source: Float32Array, target: Float32Array, length: number, radius: number, edgeWeight: number, inverse: number): void {
  const pad = radius + 1;
  const first = source[pad]!;
  const last = source[pad + length - 1]!;
  for (let index = 0; index < pad; index++) {
    source[index] = first;
    source[pad + length + index] = last;
  }
  // Window of output i (padded coordinates): core [i + 1, i + 2·radius + 1], edge taps at i and i + 2·radius + 2.
  const span = 2 * radius + 2;
  let core = 0;
  for (let index = 1; index < span; index++) core += source[index]!;
  for (let index = 0; index < length; index++) {
    const entering = source[index + span]!;
    target[pad + index] = (core + edgeWeight * (source[index]! + entering)) * inverse;
    core += entering - source[index + 1]!;
  }
}

// One vertical pass from a plane to another: running sums of whole rows (vectorisable inner loops), edge rows
// repeated.
function boxColumns(
  source: Float32Array,
  sourceBase: number,
  target: Float32Array,
  targetBase: number,
  height: number,
  width: number,
  radius: number,
  edgeWeight: number,
  inverse: number,
  sums: Float64Array,
): void {
  const last = height - 1;
  for (let column = 0; column < width; column++) sums[column] = 0;
  for (let row = -radius; row <= radius; row++) {
    const start = sourceBase + Math.min(Math.max(row, 0), last) * width;
    for (let column = 0; column < width; column++) sums[column]! += source[start + column]!;
  }
  for (let row = 0; row < height; row++) {
    // Rows at both edge taps and the row leaving the window; clamped (edge rows repeat).
    let clamped = row - radius - 1;
    const above = sourceBase + Math.max(clamped, 0) * width;
    clamped = row + radius + 1;
    const below = sourceBase + Math.min(clamped, last) * width;
    clamped = row - radius;
    const leaving = sourceBase + Math.max(clamped, 0) * width;
    const out = targetBase + row * width;
    for (let column = 0; column < width; column++) {
      const entering = source[below + column]!;
      const sum = sums[column]!;
      target[out + column] = (sum + edgeWeight * (source[above + column]! + entering)) * inverse;
      sums[column] = sum + entering - source[leaving + column]!;
    }
  }
}
