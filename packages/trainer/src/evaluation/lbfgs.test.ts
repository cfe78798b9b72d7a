import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs';

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const result = minimizeLbfgs(
      (x, gradient) => {
        const [a, b] = [x[0]!, x[1]!];
        gradient[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        gradient[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
    );
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 8);
    expect(result.x[1]).toBeCloseTo(1, 8);
    expect(result.iterations).toBeLessThan(200);
  });

  it('solves an ill-conditioned quadratic to its closed-form optimum', () => {
    // f(x) = ½ Σ dᵢ (xᵢ − cᵢ)², minimum at c.
    const scales = [1e-2, 1, 10, 1e3, 5];
    const centre = [3, -1, 0.5, 2, -7];
    const result = minimizeLbfgs((x, gradient) => {
      let value = 0;
      scales.forEach((scale, index) => {
        gradient[index] = scale * (x[index]! - centre[index]!);
        value += 0.5 * scale * (x[index]! - centre[index]!) ** 2;
      });
      return value;
    }, new Float64Array(5));
    expect(result.converged).toBe(true);
    centre.forEach((value, index) => expect(result.x[index]).toBeCloseTo(value, 6));
  });

  it('rejects bad options', () => {
    expect(() => minimizeLbfgs(() => 0, new Float64Array(1), { memory: 0 })).toThrow(/'memory' = 0; expected an integer >= 1/);
  });
});
