import { describe, expect, it } from 'vitest';
import { smoothSeries } from './smooth-series';

describe('smoothSeries', () => {
  it("is TensorBoard's debiased moving average: the first value is kept, later ones are pulled towards the past", () => {
    const smoothed = smoothSeries([4, 2, 3], 0.5);
    // m = 0.5·m + 0.5·x; s = m / (1 − 0.5^t): 2/0.5, 2/0.75, 2.5/0.875
    expect(smoothed[0]).toBeCloseTo(4, 12);
    expect(smoothed[1]).toBeCloseTo(2 / 0.75, 12);
    expect(smoothed[2]).toBeCloseTo(2.5 / 0.875, 12);
    expect(smoothSeries([1, 5, 9], 0)).toEqual([1, 5, 9]);
  });

  it('keeps gaps as gaps and skips them in the average', () => {
    expect(smoothSeries([4, null, 2], 0.5)).toEqual([4, null, 2 / 0.75]);
  });

  it('rejects a weight outside [0, 1), naming it', () => {
    expect(() => smoothSeries([1], 1)).toThrow(/smoothSeries: invalid argument 'weight' = 1; expected a number in \[0, 1\)/);
    expect(() => smoothSeries([1], -0.1)).toThrow(/'weight' = -0\.1/);
  });
});
