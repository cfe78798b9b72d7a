import { describe, expect, it } from 'vitest';
import { roundHalfEven } from './round-half-even';

describe('roundHalfEven', () => {
  it("rounds like Python's round()", () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4999, 2.5001, 7].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, -2, 2, 3, 7]);
  });
});
