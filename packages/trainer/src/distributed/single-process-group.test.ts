import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { allReduceMoments } from './all-reduce-moments';
import { averageGradients, averageGradientsAsync } from './average-gradients';
import { broadcastVariables } from './broadcast-variables';
import { differentiableAllReduce } from './differentiable-all-reduce';
import { DistributedError } from './distributed-error';
import { initProcessGroup } from './init-process-group';
import { SingleProcessGroup } from './single-process-group';

describeEachBackend(embeddedBackends(), 'a world of one process', () => {
  it('initProcessGroup without launcher variables returns it, with no threads or sockets', async () => {
    const group = await initProcessGroup({ env: {} });
    expect(group).toBeInstanceOf(SingleProcessGroup);
    expect([group.rank, group.worldSize, group.localRank, group.localWorldSize, group.backend]).toEqual([0, 1, 0, 1, 'single']);
    group.destroy();
  });

  it('returns new tensors equal to the input, for every collective', async () => {
    const group = new SingleProcessGroup();
    const x = tf.tensor([
      [1.5, -2],
      [3, 4],
    ]);
    const results = [group.allReduce(x), group.allReduce(x, 'mean'), group.broadcast(x), await group.allReduceAsync(x)];
    for (const result of results) {
      expect(result).not.toBe(x);
      expect(result.shape).toEqual([2, 2]);
      expect(Array.from(result.dataSync())).toEqual([1.5, -2, 3, 4]);
    }
    const gathered = group.allGather(x);
    expect(gathered.shape).toEqual([1, 2, 2]);
    const integers = group.allReduce(tf.tensor([7, 8], [2], 'int32'));
    expect(integers.dtype).toBe('int32');
    const [first, second] = group.allReduceCoalesced([x, tf.tensor([9])]);
    expect(first!.shape).toEqual([2, 2]);
    expect(Array.from(second!.dataSync())).toEqual([9]);
    tf.dispose([x, ...results, gathered, integers, first!, second!]);
  });

  it('copies typed arrays and JSON values', async () => {
    const group = new SingleProcessGroup();
    const data = Float32Array.of(1, 2, 3);
    const reduced = group.allReduce(data);
    expect(reduced).not.toBe(data);
    expect(reduced).toEqual(data);
    const inPlace = Float32Array.of(4, 5);
    group.allReduceInPlace(inPlace, 'mean');
    await group.allReduceInPlaceAsync(inPlace);
    expect(inPlace).toEqual(Float32Array.of(4, 5));
    expect(() => group.allReduceInPlace(tf.scalar(1) as unknown as Float32Array)).toThrow(
      /allReduceInPlace: invalid argument 'data' = "a tensor"; expected a Float32Array or Int32Array/,
    );
    expect(group.allGather(Uint8Array.of(5, 6))).toEqual(Uint8Array.of(5, 6));
    expect(await group.broadcastAsync(Int32Array.of(4))).toEqual(Int32Array.of(4));
    expect(group.broadcastObject({ path: 'ckpt/last.json', step: 3 })).toEqual({ path: 'ckpt/last.json', step: 3 });
    group.barrier();
    await group.barrierAsync();
  });

  it('rejects bad arguments, naming them', () => {
    const group = new SingleProcessGroup();
    const boolean = tf.tensor([true, false], [2], 'bool');
    expect(() => group.allReduce(boolean)).toThrow(InvalidArgumentError);
    expect(() => group.allReduce(boolean)).toThrow(/allReduce: invalid argument 'tensor' = "a bool tensor"; expected a float32 or int32 tensor/);
    expect(() => group.allReduce(Float32Array.of(1), 'max' as 'sum')).toThrow(/'op' = "max"; expected 'sum' or 'mean'/);
    expect(() => group.allReduce(Int32Array.of(1), 'mean')).toThrow(/'op' = "mean"; expected 'sum' for int32 data/);
    expect(() => group.allReduce([1, 2] as unknown as Float32Array)).toThrow(/'data' = "Array"; expected a tensor or a Float32Array, Int32Array/);
    expect(() => group.broadcast(Float32Array.of(1), 1)).toThrow(/broadcast: invalid argument 'root' = 1; expected an integer rank in 0…0/);
    expect(() => group.broadcastObject(undefined)).toThrow(/'value' = undefined; expected a JSON-serialisable value/);
    const disposed = tf.scalar(1);
    disposed.dispose();
    expect(() => group.allReduce(disposed)).toThrow(/a disposed tensor/);
    expect(() => group.allReduceCoalesced([tf.scalar(1), tf.scalar(1, 'int32')])).toThrow(/'tensors\[1\]' = "a int32 tensor"/);
    boolean.dispose();
  });

  it('throws after destroy', () => {
    const group = new SingleProcessGroup();
    group.destroy();
    expect(() => group.barrier()).toThrow(DistributedError);
    expect(() => group.allReduce(Float32Array.of(1))).toThrow(/the process group was destroyed/);
  });

  it('leaks no tensors', async () => {
    const group = new SingleProcessGroup();
    const x = tf.ones([3, 2]);
    await expectNoLeakedTensors(async () => {
      tf.dispose([group.allReduce(x), group.broadcast(x), group.allGather(x), ...group.allReduceCoalesced([x, x])]);
      tf.dispose(await group.allReduceAsync(x, 'mean'));
      tf.dispose(await group.allGatherAsync(x));
    });
    x.dispose();
  });

  it('differentiableAllReduce is the identity with an identity gradient in a world of one', () => {
    const group = new SingleProcessGroup();
    const x = tf.tensor([1, -2, 3]);
    const weights = tf.tensor([0.5, 2, -1]);
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(differentiableAllReduce(group, input), weights)))(x);
    expectClose(gradient, [0.5, 2, -1], { label: 'gradient', tolerance: FIXTURE_TOLERANCE });
    expect(() => differentiableAllReduce(group, tf.tensor([1], [1], 'int32'))).toThrow(/'x' = "a int32 tensor"; expected a float32 tensor/);
    tf.dispose([x, weights, gradient]);
  });

  it('allReduceMoments equals tf.moments in a world of one, values and gradients, without leaks', async () => {
    const group = new SingleProcessGroup();
    const x = tf.randomNormal([6, 4], 3, 2, 'float32', 11);
    const moments = allReduceMoments(group, x, [0]);
    const reference = tf.moments(x, [0]);
    expect(moments.count).toBe(6);
    expectClose(moments.mean, reference.mean, { label: 'mean', tolerance: FIXTURE_TOLERANCE });
    expectClose(moments.variance, reference.variance, { label: 'variance', tolerance: FIXTURE_TOLERANCE });
    const normalise = (statistics: (input: tf.Tensor) => { mean: tf.Tensor; variance: tf.Tensor }) => (input: tf.Tensor) => {
      const { mean, variance } = statistics(input);
      const normalised = tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, 1e-5)));
      return tf.sum(tf.mul(normalised, tf.reshape(tf.linspace(-1, 2, 24), [6, 4])));
    };
    const got = tf.grad(normalise((input) => allReduceMoments(group, input, [0])))(x);
    const want = tf.grad(normalise((input) => tf.moments(input, [0])))(x);
    expectClose(got, want, { label: 'gradient', tolerance: FIXTURE_TOLERANCE });
    const kept = allReduceMoments(group, x, [0, 1], true);
    expect(kept.mean.shape).toEqual([1, 1]);
    expect(() => allReduceMoments(group, x, [2])).toThrow(/'axes' = \[2\]; expected axes of a rank-2 tensor/);
    await expectNoLeakedTensors(() => {
      const result = allReduceMoments(group, x, [0]);
      tf.dispose([result.mean, result.variance]);
    });
    tf.dispose([x, moments.mean, moments.variance, reference.mean, reference.variance, got, want, kept.mean, kept.variance]);
  });
});

describeEachBackend(embeddedBackends(), 'DDP helpers in a world of one process', () => {
  it('broadcastVariables keeps the values; averageGradients returns equal new tensors; both leak nothing', async () => {
    const group = new SingleProcessGroup();
    const variables = [
      tf.variable(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      ),
      tf.variable(tf.tensor1d([5], 'int32')),
    ];
    broadcastVariables(group, variables);
    expect(Array.from(variables[0]!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(variables[1]!.dataSync())).toEqual([5]);
    const gradients = { b: tf.tensor1d([0.5]), a: tf.tensor2d([[1, -1]]) };
    const averaged = averageGradients(group, gradients);
    expect(Object.keys(averaged)).toEqual(['a', 'b']);
    expect(averaged.a).not.toBe(gradients.a);
    expect(Array.from(averaged.a!.dataSync())).toEqual([1, -1]);
    const averagedAsync = await averageGradientsAsync(group, gradients);
    expect(Array.from(averagedAsync.b!.dataSync())).toEqual([0.5]);
    await expectNoLeakedTensors(async () => {
      broadcastVariables(group, variables);
      tf.dispose(Object.values(averageGradients(group, gradients)));
      tf.dispose(Object.values(await averageGradientsAsync(group, gradients)));
    });
    const flags = tf.variable(tf.tensor1d([true], 'bool'));
    expect(() => broadcastVariables(group, [flags])).toThrow(/'variables\[0\]' = "a bool variable '.*'"; expected float32 or int32 variables/);
    const counts = tf.tensor1d([1], 'int32');
    expect(() => averageGradients(group, { counts })).toThrow(/averageGradients: invalid argument 'gradients\['counts'\]' = "a int32 tensor"/);
    tf.dispose([...variables, flags, counts, ...Object.values(gradients), ...Object.values(averaged), ...Object.values(averagedAsync)]);
  });
});
