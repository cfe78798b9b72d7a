import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { MaskedVisionTransformer } from './masked-vision-transformer';
import { sinCosPositionEmbedding } from './sincos-position-embedding';

const shape = { imageSize: 32, patchSize: 4, numLayers: 2, numHeads: 4, hiddenDim: 64, mlpDim: 128 };

function stats(values: ArrayLike<number>) {
  let sum = 0;
  let squares = 0;
  let largest = 0;
  for (let index = 0; index < values.length; index++) {
    sum += values[index]!;
    squares += values[index]! ** 2;
    largest = Math.max(largest, Math.abs(values[index]!));
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean), largest };
}

describe('ViT initialisation', () => {
  beforeAll(() => useBackend('cpu'));

  it("follows lightly's recipe: Xavier-uniform projections, zero biases, class token std 0.02, sin-cos table", () => {
    const vit = new MaskedVisionTransformer({ config: { ...shape, initialization: 'lightly' }, seed: 3 });
    const variables = vit.namedVariables();
    const get = (name: string) => variables.get(name)!.dataSync();
    const xavier = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));
    for (const [name, fanIn, fanOut] of [
      ['conv_proj.weight', 48, 64],
      ['encoder.layers.encoder_layer_0.self_attention.in_proj_weight', 64, 192],
      ['encoder.layers.encoder_layer_1.self_attention.out_proj.weight', 64, 64],
      ['encoder.layers.encoder_layer_0.mlp.0.weight', 64, 128],
      ['encoder.layers.encoder_layer_1.mlp.3.weight', 128, 64],
    ] as const) {
      const { std, largest, mean } = stats(get(name));
      const bound = xavier(fanIn, fanOut);
      expect(largest, name).toBeLessThanOrEqual(bound);
      expect(std / (bound / Math.sqrt(3)), name).toBeGreaterThan(0.93);
      expect(std / (bound / Math.sqrt(3)), name).toBeLessThan(1.07);
      expect(Math.abs(mean), name).toBeLessThan(0.1 * bound);
    }
    for (const [name, variable] of variables) {
      if (name.endsWith('bias')) expect(stats(variable.dataSync()).largest, name).toBe(0);
      if (/ln(_\d)?\.weight$/.test(name)) expect(Array.from(new Set(variable.dataSync())), name).toEqual([1]);
    }
    expect(stats(get('class_token')).std).toBeGreaterThan(0.01);
    expect(stats(get('class_token')).std).toBeLessThan(0.03);
    expect(Array.from(get('encoder.pos_embedding'))).toEqual(Array.from(sinCosPositionEmbedding(64, 8)));
    expect(variables.get('encoder.pos_embedding')!.trainable).toBe(false);
    vit.dispose();
  });

  it("follows MSN's recipe: truncated normal std 0.02 for linears, class token and learned table, Kaiming-normal patches", () => {
    const vit = new MaskedVisionTransformer({ config: { ...shape, initialization: 'msn', positionEmbedding: 'learned' }, seed: 4 });
    const variables = vit.namedVariables();
    for (const name of [
      'encoder.layers.encoder_layer_0.self_attention.in_proj_weight',
      'encoder.layers.encoder_layer_1.mlp.0.weight',
      'encoder.pos_embedding',
    ]) {
      const { std, mean } = stats(variables.get(name)!.dataSync());
      expect(std, name).toBeGreaterThan(0.019);
      expect(std, name).toBeLessThan(0.021);
      expect(Math.abs(mean), name).toBeLessThan(0.002);
    }
    const patches = stats(variables.get('conv_proj.weight')!.dataSync());
    expect(patches.std / Math.sqrt(2 / 48)).toBeGreaterThan(0.95);
    expect(patches.std / Math.sqrt(2 / 48)).toBeLessThan(1.05);
    expect(variables.get('encoder.pos_embedding')!.trainable).toBe(true);
    vit.dispose();
  });

  it('builds the sine-cosine table of MAE: column frequencies first, then row; a zero class row', () => {
    const table = sinCosPositionEmbedding(8, 3);
    expect(table.length).toBe(10 * 8);
    expect(Array.from(table.slice(0, 8))).toEqual(new Array(8).fill(0));
    // Patch (row 1, column 2) = index 1 + 1·3 + 2 = 6; ω = [1, 1/100].
    const row = Array.from(table.slice(6 * 8, 7 * 8));
    const expected = [Math.sin(2), Math.sin(0.02), Math.cos(2), Math.cos(0.02), Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01)];
    row.forEach((value, index) => expect(value).toBeCloseTo(expected[index]!, 6));
    expect(() => sinCosPositionEmbedding(6, 2)).toThrow(/'hiddenDim' = 6; expected a multiple of 4/);
  });

  it('gives the same weights for the same seed on every backend', async () => {
    const first = new MaskedVisionTransformer({ config: shape, seed: 9 });
    const firstValues = first.namedVariables().get('encoder.layers.encoder_layer_1.mlp.0.weight')!.dataSync().slice();
    first.dispose();
    await useBackend('wasm');
    const second = new MaskedVisionTransformer({ config: shape, seed: 9 });
    expect(Array.from(second.namedVariables().get('encoder.layers.encoder_layer_1.mlp.0.weight')!.dataSync())).toEqual(Array.from(firstValues));
    second.dispose();
    await useBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});
