import { InvalidArgumentError, ShapeError, assertKnownKeys, assertPositiveFinite } from '@msn/errors';
import type { Float64Matrix } from './labels';
import { minimizeLbfgs, type LbfgsOptions } from './lbfgs';

/** Options of {@link fitLogisticRegression}. */
export interface LogisticRegressionOptions {
  /** Training features (float64, row-major). */
  features: Float64Matrix;
  /** Class of each row. */
  labels: Int32Array;
  /**
   * Inverse regularisation strength (scikit-learn's `C`): the objective is
   * inverseRegularization · Σ cross-entropy + ½‖W‖² (intercept not penalised). @default 1
   */
  inverseRegularization?: number;
  /** Solver settings. @default { gradientTolerance: 1e-10, maxIterations: 10000 } */
  solver?: LbfgsOptions | undefined;
}

/** A fitted multinomial logistic regression. */
export interface LogisticRegressionModel {
  /** The classes present in the training labels, ascending; row c of `weights` belongs to `classes[c]`. */
  classes: Int32Array;
  /** Coefficients `[classes.length, dims]`, row-major. */
  weights: Float64Array;
  /** Intercepts `[classes.length]`. */
  intercept: Float64Array;
  /** Objective value at the solution. */
  objective: number;
  /** max |∇| at the solution. */
  gradientNorm: number;
  iterations: number;
  converged: boolean;
  /** Most likely class (a value of `classes`) for each row of `features`; ties go to the lower class. */
  predict(features: Float64Matrix): Int32Array;
}

const KNOWN = ['features', 'labels', 'inverseRegularization', 'solver'] as const;

/**
 * Multinomial logistic regression with L2 penalty, as scikit-learn's `LogisticRegression(C, multi_class=
 * 'multinomial', solver='lbfgs')`: minimises C · Σᵢ −log softmax(W xᵢ + b)[yᵢ] + ½‖W‖² over W and the unpenalised
 * intercept b, in float64 with L-BFGS run to convergence (rather than scikit-learn's default 100 iterations).
 * Only classes present in `labels` get a row (an absent class would need an infinitely negative intercept).
 *
 * @example
 * const model = fitLogisticRegression({ features: train, labels: trainLabels });
 * const predicted = model.predict(test);
 * @throws {ShapeError} when the label count differs from the number of rows.
 * @throws {InvalidArgumentError} for an empty training set or a non-positive `inverseRegularization`.
 */
export function fitLogisticRegression(options: LogisticRegressionOptions): LogisticRegressionModel {
  const caller = 'fitLogisticRegression';
  assertKnownKeys(caller, options, KNOWN);
  const { features, labels, inverseRegularization = 1, solver = {} } = options;
  assertPositiveFinite(caller, 'inverseRegularization', inverseRegularization);
  const { data, rows, columns } = features;
  if (labels.length !== rows) throw new ShapeError(`${caller}: ${labels.length} labels for ${rows} feature rows`);
  if (rows === 0) throw new InvalidArgumentError({ caller, argument: 'features', value: '0 rows', expected: 'at least one training row' });
  const classes = Int32Array.from(new Set(labels)).sort();
  const classIndex = new Map([...classes].map((label, index) => [label, index]));
  const targets = Int32Array.from(labels, (label) => classIndex.get(label)!);
  const classCount = classes.length;
  const weightCount = classCount * columns;
  const logits = new Float64Array(classCount);

  const objective = (parameters: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let crossEntropy = 0;
    for (let row = 0; row < rows; row++) {
      const offset = row * columns;
      let largest = -Infinity;
      for (let label = 0; label < classCount; label++) {
        let logit = parameters[weightCount + label]!;
        const weightOffset = label * columns;
        for (let column = 0; column < columns; column++) logit += parameters[weightOffset + column]! * data[offset + column]!;
        logits[label] = logit;
        largest = Math.max(largest, logit);
      }
      let sum = 0;
      for (let label = 0; label < classCount; label++) sum += Math.exp(logits[label]! - largest);
      const logSumExp = largest + Math.log(sum);
      crossEntropy += logSumExp - logits[targets[row]!]!;
      for (let label = 0; label < classCount; label++) {
        // d(C·CE)/d logit = C·(softmax − onehot)
        const residual = inverseRegularization * (Math.exp(logits[label]! - logSumExp) - (label === targets[row] ? 1 : 0));
        const weightOffset = label * columns;
        for (let column = 0; column < columns; column++) gradient[weightOffset + column]! += residual * data[offset + column]!;
        gradient[weightCount + label]! += residual;
      }
    }
    let penalty = 0;
    for (let index = 0; index < weightCount; index++) {
      penalty += parameters[index]! ** 2;
      gradient[index]! += parameters[index]!;
    }
    return inverseRegularization * crossEntropy + 0.5 * penalty;
  };

  const result = minimizeLbfgs(objective, new Float64Array(weightCount + classCount), solver);
  const weights = result.x.slice(0, weightCount);
  const intercept = result.x.slice(weightCount);
  const predict = (test: Float64Matrix): Int32Array => {
    if (test.columns !== columns) {
      throw new ShapeError(`${caller}: predict got ${test.columns}-dimensional features, the model has ${columns}`);
    }
    const predictions = new Int32Array(test.rows);
    for (let row = 0; row < test.rows; row++) {
      let best = 0;
      let bestLogit = -Infinity;
      for (let label = 0; label < classCount; label++) {
        let logit = intercept[label]!;
        for (let column = 0; column < columns; column++) logit += weights[label * columns + column]! * test.data[row * columns + column]!;
        if (logit > bestLogit) {
          bestLogit = logit;
          best = label;
        }
      }
      predictions[row] = classes[best]!;
    }
    return predictions;
  };
  return {
    classes,
    weights,
    intercept,
    objective: result.value,
    gradientNorm: result.gradientNorm,
    iterations: result.iterations,
    converged: result.converged,
    predict,
  };
}
