// Reading class labels and feature matrices given as tensors or plain arrays.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '@msn/errors';

/** Class labels 0…C−1: a plain array, a typed array or a 1-D tensor. */
export type Labels = ArrayLike<number> | tf.Tensor1D;

/** Copies labels into an Int32Array, checking they are integers >= 0. */
export function readLabels(caller: string, argument: string, labels: Labels): Int32Array {
  const values = labels instanceof tf.Tensor ? labels.dataSync() : labels;
  if (labels instanceof tf.Tensor && labels.rank !== 1) {
    throw new ShapeError(`${caller}: '${argument}' must be 1-D, got shape [${labels.shape}]`);
  }
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    throw new InvalidArgumentError({ caller, argument, value: values, expected: 'an array, typed array or 1-D tensor of class indices' });
  }
  const result = new Int32Array(values.length);
  for (let index = 0; index < values.length; index++) {
    const label = values[index]!;
    if (!Number.isInteger(label) || label < 0) {
      throw new InvalidArgumentError({ caller, argument: `${argument}[${index}]`, value: label, expected: 'an integer class index >= 0' });
    }
    result[index] = label;
  }
  return result;
}

/** A row-major matrix in float64 with its dimensions. */
export interface Float64Matrix {
  data: Float64Array;
  rows: number;
  columns: number;
}

/** Features as a 2-D tensor `[samples, dims]`, or as row-major values with their shape. */
export type Features = tf.Tensor2D | { data: ArrayLike<number>; shape: readonly [number, number] };

/** Copies features into float64, checking the rank and size. */
export async function readFeatures(caller: string, argument: string, features: Features): Promise<Float64Matrix> {
  if (features instanceof tf.Tensor) {
    if (features.rank !== 2) throw new ShapeError(`${caller}: '${argument}' must be a 2-D [samples, dims] tensor, got shape [${features.shape}]`);
    return { data: Float64Array.from(await features.data()), rows: features.shape[0], columns: features.shape[1] };
  }
  const shape = features?.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((size) => Number.isInteger(size) && size >= 0)) {
    throw new ShapeError(`${caller}: '${argument}' needs a [samples, dims] shape, got ${JSON.stringify(shape)}`);
  }
  const [rows, columns] = shape as [number, number];
  if (features.data.length !== rows * columns) {
    throw new ShapeError(`${caller}: '${argument}' has ${features.data.length} values but shape [${rows},${columns}] needs ${rows * columns}`);
  }
  return { data: Float64Array.from(features.data), rows, columns };
}

/** Divides every row by max(‖row‖₂, 1e-12), in place (torch.nn.functional.normalize). */
export function normalizeRowsInPlace(matrix: Float64Matrix): Float64Matrix {
  const { data, rows, columns } = matrix;
  for (let row = 0; row < rows; row++) {
    let squared = 0;
    for (let column = 0; column < columns; column++) squared += data[row * columns + column]! ** 2;
    const scale = 1 / Math.max(Math.sqrt(squared), 1e-12);
    for (let column = 0; column < columns; column++) data[row * columns + column]! *= scale;
  }
  return matrix;
}
