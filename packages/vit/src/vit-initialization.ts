// Initial ViT weights for the two recipes (MSN/DeiT and lightly), drawn from a seeded stream on the host.
import type { Random } from '@msn/random';
import { sinCosPositionEmbedding } from './sincos-position-embedding';
import type { ViTConfig } from './vit-config';

/** What a parameter is, which decides its initial values. */
export type ParameterRole =
  | 'classToken'
  | 'positionEmbedding'
  | 'patchWeight'
  | 'linearWeight'
  | 'attentionInputWeight'
  | 'bias'
  | 'layerNormScale'
  | 'layerNormShift';

export interface ParameterSpec {
  name: string;
  shape: number[];
  role: ParameterRole;
}

function fill(size: number, draw: () => number): Float32Array {
  const values = new Float32Array(size);
  for (let index = 0; index < size; index++) values[index] = draw();
  return values;
}

// timm's trunc_normal_(std) cuts at ±2 in absolute value (a = −2, b = 2), i.e. 100σ for σ = 0.02: resampling
// outside the bounds reproduces that distribution exactly.
function truncatedNormal(random: Random, std: number): number {
  for (;;) {
    const value = random.nextNormal() * std;
    if (value >= -2 && value <= 2) return value;
  }
}

// torch's fan_in/fan_out of a weight [out, in, ...]: in·receptive and out·receptive.
function fans(shape: number[]): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(2).reduce((product, size) => product * size, 1);
  return { fanIn: (shape[1] ?? 1) * receptive, fanOut: shape[0]! * receptive };
}

function xavierUniform(random: Random, shape: number[], size: number): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  return fill(size, () => (2 * random.nextFloat() - 1) * bound);
}

/**
 * Initial values of one parameter.
 *
 * - `msn` (MSN's `deit.py`): class token, learned position table and every Linear weight (attention input and output
 *   projections, MLP) truncated normal std 0.02; patch projection Kaiming normal (fan_in, ReLU gain: std √(2/fan_in));
 *   biases 0; LayerNorm scale 1, shift 0.
 * - `lightly` (lightly's masked ViT over torchvision's): patch projection Xavier uniform on its `[D, C·P·P]` view,
 *   Linear weights and `in_proj_weight` Xavier uniform, biases 0, class token normal std 0.02, learned position table
 *   normal std 0.02 (torchvision); LayerNorm scale 1, shift 0.
 * - A `'sincos'` position table is the fixed sine-cosine table under both recipes.
 */
export function initialParameterValues(spec: ParameterSpec, config: ViTConfig, random: Random): Float32Array {
  const size = spec.shape.reduce((product, dimension) => product * dimension, 1);
  const msn = config.initialization === 'msn';
  switch (spec.role) {
    case 'layerNormScale':
      return new Float32Array(size).fill(1);
    case 'layerNormShift':
    case 'bias':
      return new Float32Array(size);
    case 'positionEmbedding':
      if (config.positionEmbedding === 'sincos') {
        return sinCosPositionEmbedding(config.hiddenDim, config.imageSize / config.patchSize);
      }
      return msn ? fill(size, () => truncatedNormal(random, 0.02)) : fill(size, () => random.nextNormal() * 0.02);
    case 'classToken':
      return msn ? fill(size, () => truncatedNormal(random, 0.02)) : fill(size, () => random.nextNormal() * 0.02);
    case 'patchWeight': {
      if (msn) {
        const std = Math.sqrt(2 / fans(spec.shape).fanIn);
        return fill(size, () => random.nextNormal() * std);
      }
      return xavierUniform(random, [spec.shape[0]!, size / spec.shape[0]!], size);
    }
    case 'linearWeight':
    case 'attentionInputWeight':
      return msn ? fill(size, () => truncatedNormal(random, 0.02)) : xavierUniform(random, spec.shape, size);
  }
}

/** The torchvision `VisionTransformer` state-dict entries (without `heads.*`), in state-dict order. */
export function vitParameterSpecs(config: ViTConfig): ParameterSpec[] {
  const { hiddenDim, mlpDim, inChannels, patchSize, imageSize } = config;
  const numPatches = (imageSize / patchSize) ** 2;
  const specs: ParameterSpec[] = [
    { name: 'class_token', shape: [1, 1, hiddenDim], role: 'classToken' },
    { name: 'conv_proj.weight', shape: [hiddenDim, inChannels, patchSize, patchSize], role: 'patchWeight' },
    { name: 'conv_proj.bias', shape: [hiddenDim], role: 'bias' },
    { name: 'encoder.pos_embedding', shape: [1, 1 + numPatches, hiddenDim], role: 'positionEmbedding' },
  ];
  for (let layer = 0; layer < config.numLayers; layer++) {
    const base = `encoder.layers.encoder_layer_${layer}.`;
    specs.push(
      { name: `${base}ln_1.weight`, shape: [hiddenDim], role: 'layerNormScale' },
      { name: `${base}ln_1.bias`, shape: [hiddenDim], role: 'layerNormShift' },
      { name: `${base}self_attention.in_proj_weight`, shape: [3 * hiddenDim, hiddenDim], role: 'attentionInputWeight' },
      { name: `${base}self_attention.in_proj_bias`, shape: [3 * hiddenDim], role: 'bias' },
      { name: `${base}self_attention.out_proj.weight`, shape: [hiddenDim, hiddenDim], role: 'linearWeight' },
      { name: `${base}self_attention.out_proj.bias`, shape: [hiddenDim], role: 'bias' },
      { name: `${base}ln_2.weight`, shape: [hiddenDim], role: 'layerNormScale' },
      { name: `${base}ln_2.bias`, shape: [hiddenDim], role: 'layerNormShift' },
      { name: `${base}mlp.0.weight`, shape: [mlpDim, hiddenDim], role: 'linearWeight' },
      { name: `${base}mlp.0.bias`, shape: [mlpDim], role: 'bias' },
      { name: `${base}mlp.3.weight`, shape: [hiddenDim, mlpDim], role: 'linearWeight' },
      { name: `${base}mlp.3.bias`, shape: [hiddenDim], role: 'bias' },
    );
  }
  specs.push(
    { name: 'encoder.ln.weight', shape: [hiddenDim], role: 'layerNormScale' },
    { name: 'encoder.ln.bias', shape: [hiddenDim], role: 'layerNormShift' },
  );
  return specs;
}
