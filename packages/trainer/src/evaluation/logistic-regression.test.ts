import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@msn/errors';
import type { Float64Matrix } from './labels';
import { fitLogisticRegression } from './logistic-regression';

interface ReferenceCase {
  name: string;
  params: { C: number; classes: number; dims: number };
  features: { shape: [number, number]; data: number[] };
  labels: number[];
  testFeatures: { shape: [number, number]; data: number[] };
  coef: { shape: [number, number]; data: number[] };
  intercept: number[];
  objective: number;
  testPredictions: number[];
}

// Made by src/__fixtures__/make-logistic-reference.py with scikit-learn solved to tol 1e-12.
const reference = JSON.parse(readFileSync(new URL('../__fixtures__/logistic-regression-reference.json', import.meta.url), 'utf8')) as {
  cases: ReferenceCase[];
};

const matrix = ({ shape, data }: { shape: [number, number]; data: number[] }): Float64Matrix => ({
  data: Float64Array.from(data),
  rows: shape[0],
  columns: shape[1],
});

function centred(values: Float64Array | number[]): number[] {
  const mean = Array.from(values).reduce((sum, value) => sum + value, 0) / values.length;
  return Array.from(values, (value) => value - mean);
}

describe('fitLogisticRegression', () => {
  it('finds cases in the reference file', () => expect(reference.cases.length).toBeGreaterThan(0));

  for (const fixture of reference.cases) {
    it(`matches scikit-learn's optimum on ${fixture.name}`, () => {
      const model = fitLogisticRegression({
        features: matrix(fixture.features),
        labels: Int32Array.from(fixture.labels),
        inverseRegularization: fixture.params.C,
      });
      expect(model.converged).toBe(true);
      // The objective is strictly convex in W, so W is unique; the intercept is unique only up to a common shift.
      expect(Math.abs(model.objective - fixture.objective)).toBeLessThan(1e-9 * Math.max(1, fixture.objective));
      const largest = Math.max(...fixture.coef.data.map(Math.abs));
      model.weights.forEach((value, index) => expect(Math.abs(value - fixture.coef.data[index]!)).toBeLessThan(1e-6 * largest));
      const [ours, theirs] = [centred(model.intercept), centred(fixture.intercept)];
      ours.forEach((value, index) => expect(Math.abs(value - theirs[index]!)).toBeLessThan(1e-6 * Math.max(1, ...theirs.map(Math.abs))));
      expect(Array.from(model.predict(matrix(fixture.testFeatures)))).toEqual(fixture.testPredictions);
    });
  }

  it('has a vanishing gradient at the solution (checked by finite differences of the objective)', () => {
    const fixture = reference.cases[0]!;
    const features = matrix(fixture.features);
    const labels = Int32Array.from(fixture.labels);
    const model = fitLogisticRegression({ features, labels });
    const objective = (weights: Float64Array, intercept: Float64Array) => {
      let value = 0;
      for (let row = 0; row < features.rows; row++) {
        const logits = Array.from(intercept, (bias, label) => {
          let logit = bias;
          for (let column = 0; column < features.columns; column++)
            logit += weights[label * features.columns + column]! * features.data[row * features.columns + column]!;
          return logit;
        });
        const largest = Math.max(...logits);
        value += largest + Math.log(logits.reduce((sum, logit) => sum + Math.exp(logit - largest), 0)) - logits[labels[row]!]!;
      }
      return value + 0.5 * weights.reduce((sum, weight) => sum + weight * weight, 0);
    };
    const step = 1e-6;
    for (let index = 0; index < model.weights.length; index++) {
      const [plus, minus] = [model.weights.slice(), model.weights.slice()];
      plus[index]! += step;
      minus[index]! -= step;
      expect(Math.abs((objective(plus, model.intercept) - objective(minus, model.intercept)) / (2 * step))).toBeLessThan(1e-6);
    }
  });

  it('separates well-separated classes and keeps the weights bounded by the penalty', () => {
    const data = Float64Array.from([5, 0, 6, 1, 0, 5, 1, 6, -5, -5, -6, -4]);
    const model = fitLogisticRegression({ features: { data, rows: 6, columns: 2 }, labels: Int32Array.from([0, 0, 1, 1, 2, 2]) });
    expect(Array.from(model.predict({ data, rows: 6, columns: 2 }))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(model.weights.every(Number.isFinite)).toBe(true);
  });

  it('keeps only the classes present, reporting original labels', () => {
    const data = Float64Array.from([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9]);
    const model = fitLogisticRegression({ features: { data, rows: 4, columns: 2 }, labels: Int32Array.from([3, 3, 7, 7]) });
    expect(Array.from(model.classes)).toEqual([3, 7]);
    expect(Array.from(model.predict({ data, rows: 4, columns: 2 }))).toEqual([3, 3, 7, 7]);
  });

  it('rejects mismatched labels and dimensions', () => {
    const features = { data: new Float64Array(4), rows: 2, columns: 2 };
    expect(() => fitLogisticRegression({ features, labels: Int32Array.from([0]) })).toThrow(ShapeError);
    expect(() => fitLogisticRegression({ features, labels: Int32Array.from([0, 1]), inverseRegularization: 0 })).toThrow(/'inverseRegularization' = 0/);
    const model = fitLogisticRegression({ features, labels: Int32Array.from([0, 1]) });
    expect(() => model.predict({ data: new Float64Array(3), rows: 1, columns: 3 })).toThrow(/3-dimensional features, the model has 2/);
  });
});
