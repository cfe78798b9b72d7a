// @file Python's rounding, which torchvision's crop sizes follow.
/** Python's round(): halves go to the even neighbour (torchvision rounds crop sizes with it). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
