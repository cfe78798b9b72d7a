import * as tf from '@tensorflow/tfjs-core';
import { empiricalPrior, uniformPrior, type Prior } from '@msn/priors';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { MSNLoss } from './msn-loss';
import { PMSNCustomLoss } from './pmsn-custom-loss';
import { PMSNLoss } from './pmsn-loss';
import { regularizationLoss } from './regularization-loss';

const [batch, views, dim, numPrototypes] = [4, 3, 6, 5];

function batchInputs(seed: number) {
  return {
    anchors: tf.randomNormal([batch * views, dim], 0, 1, 'float32', seed) as tf.Tensor2D,
    targets: tf.randomNormal([batch, dim], 0, 1, 'float32', seed + 1) as tf.Tensor2D,
    prototypes: tf.randomNormal([numPrototypes, dim], 0, 1, 'float32', seed + 2) as tf.Tensor2D,
  };
}

type Inputs = ReturnType<typeof batchInputs>;

function disposeInputs(inputs: Inputs): void {
  tf.dispose([inputs.anchors, inputs.targets, inputs.prototypes]);
}

function lossValue(criterion: MSNLoss, inputs: Inputs): number {
  const loss = criterion.forward(inputs.anchors, inputs.targets, inputs.prototypes);
  const value = loss.dataSync()[0]!;
  loss.dispose();
  return value;
}

function gradients(criterion: MSNLoss, inputs: Inputs): tf.Tensor[] {
  return tf.grads((anchors, prototypes) => criterion.forward(anchors as tf.Tensor2D, inputs.targets, prototypes as tf.Tensor2D))([
    inputs.anchors,
    inputs.prototypes,
  ]);
}

describeEachBackend(embeddedBackends(), 'MSNLoss', () => {
  it('reports consistent parts: probabilities sum to 1, losses are non-negative, loss = CE + λ·reg', () => {
    const inputs = batchInputs(1);
    const criterion = new MSNLoss({ regularizationWeight: 0.5 });
    const details = criterion.forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes);
    expect(details.anchorProbs.shape).toEqual([batch * views, numPrototypes]);
    expect(details.targetProbs.shape).toEqual([batch, numPrototypes]);
    expect(details.meanAnchorProbs.shape).toEqual([numPrototypes]);
    expect(details.prior).toBeUndefined();
    expectClose(tf.sum(details.anchorProbs, 1), new Array(batch * views).fill(1), { label: 'anchor rows', tolerance: FIXTURE_TOLERANCE });
    expectClose(tf.sum(details.targetProbs, 1), new Array(batch).fill(1), { label: 'target rows', tolerance: FIXTURE_TOLERANCE });
    expectClose(details.meanAnchorProbs, tf.mean(details.anchorProbs, 0), { label: 'mean', tolerance: FIXTURE_TOLERANCE });
    const [crossEntropy, regLoss, loss] = [details.crossEntropy, details.regLoss, details.loss].map((t) => t.dataSync()[0]!);
    expect(crossEntropy).toBeGreaterThan(0);
    expect(regLoss).toBeGreaterThanOrEqual(0);
    expectClose(loss!, crossEntropy! + 0.5 * regLoss!, { label: 'loss', tolerance: FIXTURE_TOLERANCE });
    expectClose(lossValue(criterion, inputs), loss!, { label: 'forward = details.loss', tolerance: FIXTURE_TOLERANCE });
    tf.dispose(Object.values(details));
    disposeInputs(inputs);
  });

  it("adds entropyWeight × the mean per-row entropy of the anchor probabilities (the original code's ent_weight)", () => {
    const inputs = batchInputs(7);
    for (const regularizationWeight of [1, 0]) {
      const plain = new MSNLoss({ regularizationWeight });
      const weighted = new MSNLoss({ regularizationWeight, entropyWeight: 0.7 });
      const details = plain.forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes);
      // Entropy by hand from the reported probabilities: −Σ p log p per row, averaged over rows.
      const rows = details.anchorProbs.arraySync();
      const entropy = rows.reduce((sum, row) => sum - row.reduce((inner, p) => inner + p * Math.log(p), 0), 0) / rows.length;
      expect(details.anchorEntropy.dataSync()[0]).toBeCloseTo(entropy, 5);
      expect(lossValue(weighted, inputs)).toBeCloseTo(details.loss.dataSync()[0]! + 0.7 * entropy, 5);
      const weightedDetails = weighted.forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes);
      expect(weightedDetails.loss.dataSync()[0]).toBeCloseTo(lossValue(weighted, inputs), 6);
      tf.dispose([...Object.values(details), ...Object.values(weightedDetails)]);
    }
    // Its gradient pushes towards confident predictions: a step against it lowers the entropy.
    const entropyOnly = new MSNLoss({ regularizationWeight: 0, entropyWeight: 1 });
    const entropyOf = (anchors: tf.Tensor2D) =>
      tf.tidy(() => entropyOnly.forwardWithDetails(anchors, inputs.targets, inputs.prototypes).anchorEntropy.dataSync()[0]!);
    const [withoutEntropy, withEntropy] = [new MSNLoss({ regularizationWeight: 0 }), entropyOnly].map((criterion) => gradients(criterion, inputs)[0]!);
    const stepped = tf.tidy(() => tf.sub(inputs.anchors, tf.mul(tf.sub(withEntropy!, withoutEntropy!), 0.05)) as tf.Tensor2D);
    expect(entropyOf(stepped)).toBeLessThan(entropyOf(inputs.anchors));
    tf.dispose([withoutEntropy!, withEntropy!, stepped]);
    disposeInputs(inputs);
  });

  it('pairs anchor row r with target r mod N (view-major)', () => {
    const inputs = batchInputs(2);
    const criterion = new MSNLoss();
    // Permuting the targets and the anchors of every view alike leaves the loss unchanged ...
    const order = [2, 0, 3, 1];
    const anchorOrder = [0, 1, 2].flatMap((view) => order.map((row) => view * batch + row));
    const permuted = {
      anchors: tf.gather(inputs.anchors, anchorOrder) as tf.Tensor2D,
      targets: tf.gather(inputs.targets, order) as tf.Tensor2D,
      prototypes: inputs.prototypes,
    };
    expectClose(lossValue(criterion, permuted), lossValue(criterion, inputs), { label: 'permuted', tolerance: FIXTURE_TOLERANCE });
    // ... while permuting the targets alone changes it.
    const mismatched = { ...inputs, targets: permuted.targets };
    expect(Math.abs(lossValue(criterion, mismatched) - lossValue(criterion, inputs))).toBeGreaterThan(1e-3);
    tf.dispose([permuted.anchors, permuted.targets]);
    disposeInputs(inputs);
  });

  it('gives targets no gradient: a target variable is absent from variableGrads, prototypes get theirs via anchors', () => {
    const inputs = batchInputs(3);
    const criterion = new MSNLoss();
    const targetVariable = tf.variable(inputs.targets, true, 'target-embeddings');
    const prototypeVariable = tf.variable(inputs.prototypes, true, 'prototype-embeddings');
    const { value, grads } = tf.variableGrads(() => criterion.forward(inputs.anchors, targetVariable, prototypeVariable), [targetVariable, prototypeVariable]);
    expect(Object.keys(grads)).toEqual(['prototype-embeddings']);
    expect(() => tf.grads((t) => criterion.forward(inputs.anchors, t as tf.Tensor2D, inputs.prototypes))([inputs.targets])).toThrow(/Cannot compute gradient/);
    // Holding the target probabilities constant gives the same prototype gradient: the target branch adds nothing.
    const details = criterion.forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes);
    const [viaConstantTargets] = tf.grads((prototypes) => {
      const normalize = (x: tf.Tensor) => tf.div(x, tf.norm(x, 2, 1, true));
      const logProbs = tf.logSoftmax(tf.div(tf.matMul(normalize(inputs.anchors), normalize(prototypes), false, true), 0.1));
      const crossEntropy = tf.div(tf.neg(tf.sum(tf.mul(tf.tile(details.targetProbs, [views, 1]), logProbs))), batch * views);
      return tf.add(crossEntropy, regularizationLoss(tf.mean(tf.exp(logProbs), 0) as tf.Tensor1D));
    })([inputs.prototypes]);
    expectClose(grads['prototype-embeddings']!, viaConstantTargets!, { label: 'prototype gradient', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([value, targetVariable, prototypeVariable, viaConstantTargets!, ...Object.values(grads), ...Object.values(details)]);
    disposeInputs(inputs);
  });

  it("equals PMSNLoss for 'power_law' and PMSNCustomLoss for a prior function, unlike me-max", () => {
    const inputs = batchInputs(4);
    const powerLaw = lossValue(new MSNLoss({ targetDistribution: 'power_law', powerLawExponent: 0.5 }), inputs);
    expectClose(powerLaw, lossValue(new PMSNLoss({ powerLawExponent: 0.5 }), inputs), { label: 'power law', tolerance: FIXTURE_TOLERANCE });
    const custom = lossValue(new MSNLoss({ targetDistribution: uniformPrior() }), inputs);
    expectClose(custom, lossValue(new PMSNCustomLoss({ targetDistribution: uniformPrior() }), inputs), {
      label: 'custom',
      tolerance: FIXTURE_TOLERANCE,
    });
    expect(Math.abs(custom - lossValue(new MSNLoss(), inputs))).toBeGreaterThan(1e-4);
    disposeInputs(inputs);
  });

  it('leaves the regulariser out of the loss at weight 0 and skips Sinkhorn at 0 iterations', () => {
    const inputs = batchInputs(5);
    const details = new MSNLoss({ regularizationWeight: 0 }).forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes);
    expectClose(details.loss, details.crossEntropy, { label: 'λ = 0', tolerance: FIXTURE_TOLERANCE });
    expect(details.regLoss.dataSync()[0]).toBeGreaterThan(0);
    const noSinkhorn = new MSNLoss({ sinkhornIterations: 0 }).forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes, 0.5);
    // Without Sinkhorn the targets are the sharpened softmax: p^(1/T) normalised = softmax(logits / (τ·T)).
    const normalize = (x: tf.Tensor) => tf.div(x, tf.norm(x, 2, 1, true));
    const expected = tf.softmax(tf.div(tf.matMul(normalize(inputs.targets), normalize(inputs.prototypes), false, true), 0.1 * 0.5));
    expectClose(noSinkhorn.targetProbs, expected, { label: 'sharpened targets', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([expected, ...Object.values(details), ...Object.values(noSinkhorn)]);
    disposeInputs(inputs);
  });

  it('accepts one view (anchors as many as targets) and stays finite at extreme scales and temperatures', () => {
    const inputs = batchInputs(6);
    const single = tf.slice(inputs.anchors, [0, 0], [batch, dim]) as tf.Tensor2D;
    expect(Number.isFinite(lossValue(new MSNLoss(), { ...inputs, anchors: single }))).toBe(true);
    // (Up to ~1e19: beyond, squares overflow float32, as in float32 torch.)
    const huge = tf.mul(inputs.anchors, 1e15) as tf.Tensor2D;
    expectClose(lossValue(new MSNLoss(), { ...inputs, anchors: huge }), lossValue(new MSNLoss(), inputs), {
      label: 'scale invariance',
      tolerance: FIXTURE_TOLERANCE,
    });
    // Logits up to ±200: the anchor branch (log-softmax) stays finite. Sinkhorn is off because at such
    // temperatures a prototype's target column can underflow to all zeros in float32, and balancing it
    // divides 0 by 0 (float32 torch does the same; the float64 reference does not underflow here).
    const cold = new MSNLoss({ temperature: 0.005, sinkhornIterations: 0 });
    const [gradAnchors, gradPrototypes] = gradients(cold, inputs);
    expect(Number.isFinite(lossValue(cold, inputs))).toBe(true);
    for (const gradient of [gradAnchors!, gradPrototypes!]) {
      expect(Array.from(gradient.dataSync()).every(Number.isFinite)).toBe(true);
    }
    tf.dispose([single, huge, gradAnchors!, gradPrototypes!]);
    disposeInputs(inputs);
  });

  it('does not leak tensors over repeated forward, details and gradient calls', async () => {
    const inputs = batchInputs(7);
    const criteria = [
      new MSNLoss(),
      new MSNLoss({ regularizationWeight: 0, sinkhornIterations: 0 }),
      new PMSNLoss(),
      new PMSNCustomLoss({ targetDistribution: empiricalPrior([5, 3, 1]) }),
      new MSNLoss({ gatherDistributed: true, allReduce: (tensor) => tf.mul(tensor, 2) }),
    ];
    for (const criterion of criteria) {
      await expectNoLeakedTensors(() => tf.dispose(criterion.forward(inputs.anchors, inputs.targets, inputs.prototypes)));
      await expectNoLeakedTensors(() => tf.dispose(Object.values(criterion.forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes))));
      await expectNoLeakedTensors(() => tf.dispose(gradients(criterion, inputs)));
    }
    disposeInputs(inputs);
  });
});

describeEachBackend(embeddedBackends(), 'MSNLoss across processes', () => {
  it('without allReduce, gatherDistributed is single-process (world size 1)', () => {
    const inputs = batchInputs(8);
    expectClose(lossValue(new MSNLoss({ gatherDistributed: true }), inputs), lossValue(new MSNLoss(), inputs), {
      label: 'world size 1',
      tolerance: FIXTURE_TOLERANCE,
    });
    disposeInputs(inputs);
  });

  it('on two processes with identical halves, equals the single-process loss on the whole batch', () => {
    const inputs = batchInputs(9);
    // Whole batch: each view's anchors twice, the targets twice (view-major, row r pairs with r mod 2N).
    const views3 = tf.split(inputs.anchors, views);
    const whole = {
      anchors: tf.concat(views3.flatMap((view) => [view, view])) as tf.Tensor2D,
      targets: tf.concat([inputs.targets, inputs.targets]) as tf.Tensor2D,
      prototypes: inputs.prototypes,
    };
    const twoProcesses = new MSNLoss({ gatherDistributed: true, allReduce: (tensor) => tf.mul(tensor, 2) });
    const single = new MSNLoss();
    const local = twoProcesses.forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes);
    const global = single.forwardWithDetails(whole.anchors, whole.targets, whole.prototypes);
    expectClose(local.loss, global.loss, { label: 'loss', tolerance: FIXTURE_TOLERANCE });
    expectClose(local.targetProbs, tf.slice(global.targetProbs, [0, 0], [batch, numPrototypes]), {
      label: 'distributed Sinkhorn',
      tolerance: FIXTURE_TOLERANCE,
    });
    // Averaged over ranks (here: two equal ones), the prototype gradient is the large-batch gradient; each
    // anchor's gradient is W times its share of the large-batch mean.
    const [localAnchors, localPrototypes] = gradients(twoProcesses, inputs);
    const [globalAnchors, globalPrototypes] = gradients(single, whole);
    expectClose(localPrototypes!, globalPrototypes!, { label: 'gradPrototypes', tolerance: FIXTURE_TOLERANCE });
    const globalFirstCopies = tf.concat(tf.split(globalAnchors!, 2 * views).filter((_, index) => index % 2 === 0));
    expectClose(localAnchors!, tf.mul(globalFirstCopies, 2), { label: 'gradAnchors', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([...views3, whole.anchors, whole.targets, localAnchors!, localPrototypes!, globalAnchors!, globalPrototypes!]);
    tf.dispose([globalFirstCopies, ...Object.values(local), ...Object.values(global)]);
    disposeInputs(inputs);
  });

  it('averages the mean anchor probabilities over processes, passing their gradient through unchanged', () => {
    const inputs = batchInputs(10);
    const otherProcess = tf.tensor1d([0.4, 0.3, 0.1, 0.1, 0.1]);
    // A fake world of two processes: the other one's q is fixed; Sinkhorn is off so only q and 1 are summed.
    const allReduce = (tensor: tf.Tensor) => (tensor.rank === 1 ? tf.add(tensor, otherProcess) : tf.mul(tensor, 2));
    const criterion = new MSNLoss({ gatherDistributed: true, allReduce, sinkhornIterations: 0 });
    const details = criterion.forwardWithDetails(inputs.anchors, inputs.targets, inputs.prototypes);
    const localMean = tf.mean(details.anchorProbs, 0);
    expectClose(details.meanAnchorProbs, tf.div(tf.add(localMean, otherProcess), 2), { label: 'averaged q', tolerance: FIXTURE_TOLERANCE });
    // Identity gradient: as if the regulariser were R(q_local + constant), the constant = averaged − local.
    const shift = tf.sub(details.meanAnchorProbs, localMean);
    const [reference] = tf.grads((prototypes) => {
      const normalize = (x: tf.Tensor) => tf.div(x, tf.norm(x, 2, 1, true));
      const logProbs = tf.logSoftmax(tf.div(tf.matMul(normalize(inputs.anchors), normalize(prototypes), false, true), 0.1));
      const crossEntropy = tf.div(tf.neg(tf.sum(tf.mul(tf.tile(details.targetProbs, [views, 1]), logProbs))), batch * views);
      return tf.add(crossEntropy, regularizationLoss(tf.add(tf.mean(tf.exp(logProbs), 0), shift) as tf.Tensor1D));
    })([inputs.prototypes]);
    const [, gradPrototypes] = gradients(criterion, inputs);
    expectClose(gradPrototypes!, reference!, { label: 'identity gradient', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([otherProcess, localMean, shift, reference!, gradPrototypes!, ...Object.values(details)]);
    disposeInputs(inputs);
  });
});

describeEachBackend(embeddedBackends(), 'MSNLoss input validation', () => {
  const criterion = new MSNLoss();

  it('rejects anchors that are not a multiple of the targets', () => {
    const inputs = batchInputs(11);
    const anchors = tf.zeros([batch * views + 1, dim]) as tf.Tensor2D;
    expect(() => criterion.forward(anchors, inputs.targets, inputs.prototypes)).toThrow(ShapeError);
    expect(() => criterion.forward(anchors, inputs.targets, inputs.prototypes)).toThrow(
      /MSNLoss.forward: anchors \[13,6\] must have a multiple of the 4 rows of targets \[4,6\]/,
    );
    tf.dispose(anchors);
    disposeInputs(inputs);
  });

  it('rejects mismatched dimensions, wrong ranks and dtypes, printing shapes', () => {
    const inputs = batchInputs(12);
    const wide = tf.zeros([numPrototypes, dim + 1]) as tf.Tensor2D;
    const vector = tf.zeros([dim]) as unknown as tf.Tensor2D;
    const integers = tf.zeros([batch, dim], 'int32') as tf.Tensor2D;
    expect(() => criterion.forward(inputs.anchors, inputs.targets, wide)).toThrow(
      /MSNLoss.forward: anchors \[12,6\], targets \[4,6\] and prototypes \[5,7\] must share the last dimension/,
    );
    expect(() => criterion.forward(inputs.anchors, vector, inputs.prototypes)).toThrow(
      /MSNLoss.forward: 'targets' must be a non-empty 2-D \[N, D\] tensor, got shape \[6\]/,
    );
    expect(() => criterion.forward(inputs.anchors, integers, inputs.prototypes)).toThrow(InvalidArgumentError);
    expect(() => criterion.forward(inputs.anchors, integers, inputs.prototypes)).toThrow(/'targets.dtype' = "int32"/);
    expect(() => criterion.forward(inputs.anchors, inputs.targets, inputs.prototypes, 0)).toThrow(
      /MSNLoss.forward: invalid argument 'targetSharpenTemperature' = 0; expected a finite number > 0/,
    );
    tf.dispose([wide, vector, integers]);
    disposeInputs(inputs);
  });

  it('rejects NaN and Infinity, naming the tensor, without leaking', async () => {
    const inputs = batchInputs(13);
    const withNaN = tf.concat([tf.fill([1, dim], Number.NaN), tf.slice(inputs.prototypes, [1, 0], [-1, -1])]) as tf.Tensor2D;
    const withInfinity = tf.mul(inputs.targets, Number.POSITIVE_INFINITY) as tf.Tensor2D;
    expect(() => criterion.forward(inputs.anchors, inputs.targets, withNaN)).toThrow(InvalidArgumentError);
    expect(() => criterion.forward(inputs.anchors, inputs.targets, withNaN)).toThrow(
      /MSNLoss.forward: invalid argument 'prototypes' = "tensor \[5,6\] with NaN or Infinity"; expected finite values only/,
    );
    expect(() => criterion.forward(inputs.anchors, withInfinity, inputs.prototypes)).toThrow(/'targets' = "tensor \[4,6\] with NaN/);
    await expectNoLeakedTensors(() => {
      expect(() => criterion.forward(inputs.anchors, withInfinity, inputs.prototypes)).toThrow(InvalidArgumentError);
    });
    tf.dispose([withNaN, withInfinity]);
    disposeInputs(inputs);
  });

  it('names a custom prior that returns a bad distribution, without leaking', async () => {
    const inputs = batchInputs(14);
    const unnormalised: Prior = (meanAnchorProbs) => tf.onesLike(meanAnchorProbs);
    const tooShort: Prior = () => tf.tensor1d([0.5, 0.5]);
    const custom = new PMSNCustomLoss({ targetDistribution: unnormalised });
    expect(() => custom.forward(inputs.anchors, inputs.targets, inputs.prototypes)).toThrow(
      /PMSNCustomLoss.forward: invalid argument 'prior unnormalised \[sum\]' = 5; expected probabilities summing to 1/,
    );
    expect(() => new MSNLoss({ targetDistribution: tooShort }).forward(inputs.anchors, inputs.targets, inputs.prototypes)).toThrow(
      /MSNLoss.forward: prior tooShort returned shape \[2\]; expected \[5\]/,
    );
    await expectNoLeakedTensors(() => {
      expect(() => custom.forward(inputs.anchors, inputs.targets, inputs.prototypes)).toThrow(InvalidArgumentError);
    });
    disposeInputs(inputs);
  });
});

describe('MSNLoss options validation', () => {
  it('rejects each option out of range, naming the class, option and value', () => {
    expect(() => new MSNLoss({ temperature: 0 })).toThrow(InvalidArgumentError);
    expect(() => new MSNLoss({ temperature: -1 })).toThrow(/^MSNLoss: invalid argument 'temperature' = -1; expected a finite number > 0/);
    expect(() => new MSNLoss({ temperature: Number.NaN })).toThrow(/'temperature' = NaN/);
    expect(() => new MSNLoss({ sinkhornIterations: -1 })).toThrow(/'sinkhornIterations' = -1; expected an integer >= 0/);
    expect(() => new MSNLoss({ sinkhornIterations: 2.5 })).toThrow(/'sinkhornIterations' = 2.5/);
    expect(() => new MSNLoss({ regularizationWeight: -0.5 })).toThrow(/'regularizationWeight' = -0.5; expected a finite number >= 0/);
    expect(() => new MSNLoss({ entropyWeight: -1 })).toThrow(/'entropyWeight' = -1; expected a finite number >= 0/);
    expect(() => new MSNLoss({ powerLawExponent: -1 })).toThrow(/'powerLawExponent' = -1/);
    expect(() => new MSNLoss({ targetDistribution: 'zipf' as 'uniform' })).toThrow(
      /'targetDistribution' = "zipf"; expected 'uniform', 'power_law' or a prior function/,
    );
    expect(() => new MSNLoss({ gatherDistributed: 'yes' as unknown as boolean })).toThrow(/'gatherDistributed' = "yes"; expected a boolean/);
    expect(() => new MSNLoss({ allReduce: 3 as unknown as undefined })).toThrow(/'allReduce' = 3; expected a function/);
  });

  it('names PMSNLoss and PMSNCustomLoss in their errors and rejects a prior where it does not belong', () => {
    expect(() => new PMSNLoss({ temperature: -2 })).toThrow(/^PMSNLoss: invalid argument 'temperature' = -2/);
    expect(() => new PMSNLoss({ targetDistribution: 'uniform' } as never)).toThrow(
      /PMSNLoss: invalid argument 'targetDistribution' = "uniform"; expected no targetDistribution .*use PMSNCustomLoss/,
    );
    expect(() => new PMSNCustomLoss({} as never)).toThrow(/^PMSNCustomLoss: invalid argument 'targetDistribution' = undefined; expected a prior function/);
    expect(() => new PMSNCustomLoss({ targetDistribution: uniformPrior(), sinkhornIterations: -3 })).toThrow(
      /^PMSNCustomLoss: invalid argument 'sinkhornIterations' = -3/,
    );
  });

  it('keeps the defaults of the reference', () => {
    const criterion = new MSNLoss();
    expect([criterion.temperature, criterion.sinkhornIterations, criterion.regularizationWeight, criterion.entropyWeight]).toEqual([0.1, 3, 1, 0]);
    expect([criterion.targetDistribution, criterion.powerLawExponent, criterion.gatherDistributed]).toEqual(['uniform', 0.25, false]);
    expect(new PMSNLoss().targetDistribution).toBe('power_law');
  });
});
