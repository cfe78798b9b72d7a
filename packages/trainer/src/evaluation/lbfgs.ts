import { assertInteger, assertPositiveFinite } from '@msn/errors';
// Limited-memory BFGS in float64 with a strong-Wolfe line search (Nocedal & Wright, algorithms 7.4, 3.5, 3.6).

/** Returns f(x) and writes ∇f(x) into `gradient`. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

/** Options of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Stop when max |∇f| ≤ gradientTolerance · max(1, |f|). @default 1e-10 */
  gradientTolerance?: number;
  /** Upper bound on iterations. @default 10000 */
  maxIterations?: number;
  /** Correction pairs kept (scipy's `maxcor`). @default 10 */
  memory?: number;
}

/** Result of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  x: Float64Array;
  value: number;
  /** max |∇f| at `x`. */
  gradientNorm: number;
  iterations: number;
  /** True when the gradient test passed; false when the iteration limit hit or no further decrease was possible. */
  converged: boolean;
}

const C1 = 1e-4;
const C2 = 0.9;

function dot(left: Float64Array, right: Float64Array): number {
  let sum = 0;
  for (let index = 0; index < left.length; index++) sum += left[index]! * right[index]!;
  return sum;
}

function maxAbs(values: Float64Array): number {
  let result = 0;
  for (const value of values) result = Math.max(result, Math.abs(value));
  return result;
}

interface Point {
  step: number;
  value: number;
  slope: number;
  gradient: Float64Array;
}

/** Minimiser of the cubic through two points with values and slopes, or the midpoint when it is not usable. */
function cubicMinimum(low: Point, high: Point): number {
  const d1 = low.slope + high.slope - (3 * (low.value - high.value)) / (low.step - high.step);
  const radicand = d1 * d1 - low.slope * high.slope;
  const midpoint = (low.step + high.step) / 2;
  if (!(radicand >= 0)) return midpoint;
  const d2 = Math.sign(high.step - low.step) * Math.sqrt(radicand);
  const candidate = high.step - ((high.step - low.step) * (high.slope + d2 - d1)) / (high.slope - low.slope + 2 * d2);
  const [lower, upper] = [Math.min(low.step, high.step), Math.max(low.step, high.step)];
  const margin = 0.1 * (upper - lower);
  return Number.isFinite(candidate) && candidate > lower + margin && candidate < upper - margin ? candidate : midpoint;
}

function lineSearch(
  objective: Objective,
  x: Float64Array,
  value: number,
  gradient: Float64Array,
  direction: Float64Array,
  initialStep: number,
): Point | undefined {
  const slope0 = dot(gradient, direction);
  const trial = new Float64Array(x.length);
  const evaluate = (step: number): Point => {
    for (let index = 0; index < x.length; index++) trial[index] = x[index]! + step * direction[index]!;
    const trialGradient = new Float64Array(x.length);
    const trialValue = objective(trial, trialGradient);
    return { step, value: trialValue, slope: dot(trialGradient, direction), gradient: trialGradient };
  };
  const sufficientDecrease = (point: Point) => point.value <= value + C1 * point.step * slope0;
  const curvature = (point: Point) => Math.abs(point.slope) <= -C2 * slope0;

  const zoom = (lowStart: Point, highStart: Point): Point | undefined => {
    let [low, high] = [lowStart, highStart];
    for (let iteration = 0; iteration < 50; iteration++) {
      const point = evaluate(cubicMinimum(low, high));
      if (!sufficientDecrease(point) || point.value >= low.value) {
        high = point;
      } else {
        if (curvature(point)) return point;
        if (point.slope * (high.step - low.step) >= 0) high = low;
        low = point;
      }
      if (Math.abs(high.step - low.step) <= 1e-16 * Math.max(1, Math.abs(low.step))) break;
    }
    // The interval collapsed: accept the best point found if it decreased f at all.
    return low.step > 0 && low.value < value ? low : undefined;
  };

  let previous: Point = { step: 0, value, slope: slope0, gradient };
  let step = initialStep;
  for (let iteration = 0; iteration < 50; iteration++) {
    const point = evaluate(step);
    if (!Number.isFinite(point.value) || !sufficientDecrease(point) || (iteration > 0 && point.value >= previous.value)) {
      return zoom(previous, Number.isFinite(point.value) ? point : { ...point, value: Infinity, slope: Infinity });
    }
    if (curvature(point)) return point;
    if (point.slope >= 0) return zoom(point, previous);
    previous = point;
    step *= 2;
  }
  return undefined;
}

/**
 * Minimises a smooth function with L-BFGS: two-loop recursion with the initial Hessian scaled by sᵀy/yᵀy,
 * strong-Wolfe line search (c₁ 1e-4, c₂ 0.9) with cubic interpolation. Intended for small, smooth, convex problems
 * such as a few-shot linear probe, where it converges to machine precision in a few hundred iterations.
 *
 * @example
 * const { x } = minimizeLbfgs((x, gradient) => { gradient[0] = 2 * (x[0]! - 3); return (x[0]! - 3) ** 2; }, new Float64Array(1));
 * @throws {InvalidArgumentError} for a non-positive tolerance, memory or iteration count.
 */
export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const caller = 'minimizeLbfgs';
  const { gradientTolerance = 1e-10, maxIterations = 10_000, memory = 10 } = options;
  assertPositiveFinite(caller, 'gradientTolerance', gradientTolerance);
  assertInteger(caller, 'maxIterations', maxIterations, 1);
  assertInteger(caller, 'memory', memory, 1);
  const size = start.length;
  let x: Float64Array = Float64Array.from(start);
  let gradient: Float64Array = new Float64Array(size);
  let value = objective(x, gradient);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const curvatures: number[] = [];
  const direction = new Float64Array(size);
  const alpha = new Float64Array(memory);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (maxAbs(gradient) <= gradientTolerance * Math.max(1, Math.abs(value))) {
      return { x, value, gradientNorm: maxAbs(gradient), iterations, converged: true };
    }
    // Two-loop recursion: direction = −H·∇f.
    for (let index = 0; index < size; index++) direction[index] = -gradient[index]!;
    for (let pair = steps.length - 1; pair >= 0; pair--) {
      alpha[pair] = curvatures[pair]! * dot(steps[pair]!, direction);
      const change = changes[pair]!;
      for (let index = 0; index < size; index++) direction[index]! -= alpha[pair]! * change[index]!;
    }
    if (steps.length > 0) {
      const last = steps.length - 1;
      const scale = dot(steps[last]!, changes[last]!) / dot(changes[last]!, changes[last]!);
      for (let index = 0; index < size; index++) direction[index]! *= scale;
    }
    for (let pair = 0; pair < steps.length; pair++) {
      const beta = curvatures[pair]! * dot(changes[pair]!, direction);
      const step = steps[pair]!;
      for (let index = 0; index < size; index++) direction[index]! += (alpha[pair]! - beta) * step[index]!;
    }
    if (dot(direction, gradient) >= 0) {
      // Not a descent direction (numerical breakdown): restart from steepest descent.
      steps.length = changes.length = curvatures.length = 0;
      for (let index = 0; index < size; index++) direction[index] = -gradient[index]!;
    }
    const initialStep = steps.length === 0 ? Math.min(1, 1 / Math.max(1e-300, Math.sqrt(dot(gradient, gradient)))) : 1;
    const accepted = lineSearch(objective, x, value, gradient, direction, initialStep);
    if (accepted === undefined) {
      // No decrease possible along the direction: f is minimal to machine precision.
      return {
        x,
        value,
        gradientNorm: maxAbs(gradient),
        iterations,
        converged: maxAbs(gradient) <= Math.sqrt(gradientTolerance) * Math.max(1, Math.abs(value)),
      };
    }
    const nextX = new Float64Array(size);
    const step = new Float64Array(size);
    const change = new Float64Array(size);
    for (let index = 0; index < size; index++) {
      step[index] = accepted.step * direction[index]!;
      nextX[index] = x[index]! + step[index]!;
      change[index] = accepted.gradient[index]! - gradient[index]!;
    }
    const curvature = dot(step, change);
    if (curvature > 1e-300) {
      if (steps.length === memory) {
        steps.shift();
        changes.shift();
        curvatures.shift();
      }
      steps.push(step);
      changes.push(change);
      curvatures.push(1 / curvature);
    }
    x = nextX;
    gradient = accepted.gradient;
    value = accepted.value;
  }
  return { x, value, gradientNorm: maxAbs(gradient), iterations, converged: maxAbs(gradient) <= gradientTolerance * Math.max(1, Math.abs(value)) };
}
