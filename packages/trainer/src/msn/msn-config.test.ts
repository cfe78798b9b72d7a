import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { resolveMSNConfig } from './msn-config';

const vit = { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 };

describe('resolveMSNConfig', () => {
  it('fills the MSN defaults and resolves the ViT part', () => {
    const config = resolveMSNConfig({ vit });
    expect(config).toEqual({
      vit: { ...vit, inChannels: 3, layerNormEps: 1e-6, positionEmbedding: 'sincos', initialization: 'lightly', dropPathRate: 0 },
      head: { hiddenDim: 2048, outputDim: 256, batchNormEps: 1e-5, batchNormMomentum: 0.1 },
      numPrototypes: 1024,
      maskRatio: 0.15,
    });
    // JSON round trip gives the same config, which resolves to itself.
    expect(resolveMSNConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it('keeps given values', () => {
    const config = resolveMSNConfig({ vit, head: { hiddenDim: 32, outputDim: 16 }, numPrototypes: 10, maskRatio: 0 });
    expect(config.head).toEqual({ hiddenDim: 32, outputDim: 16, batchNormEps: 1e-5, batchNormMomentum: 0.1 });
    expect([config.numPrototypes, config.maskRatio]).toEqual([10, 0]);
  });

  it('rejects bad values with errors naming the argument and value', () => {
    expect(() => resolveMSNConfig({ vit, numPrototypes: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveMSNConfig({ vit, numPrototypes: 0 })).toThrow(/resolveMSNConfig: invalid argument 'numPrototypes' = 0/);
    expect(() => resolveMSNConfig({ vit, maskRatio: 1 })).toThrow(/'maskRatio' = 1; expected a number in \[0, 1\)/);
    expect(() => resolveMSNConfig({ vit, head: { hiddenDim: 2.5 } })).toThrow(/'head.hiddenDim' = 2.5/);
    expect(() => resolveMSNConfig({ vit, head: { batchNormEps: 0 } })).toThrow(/'head.batchNormEps' = 0/);
    expect(() => resolveMSNConfig({ vit, prototypes: 3 } as never)).toThrow(/'prototypes' = 3; expected no such option/);
    expect(() => resolveMSNConfig({ vit: { ...vit, hiddenDim: 9 } })).toThrow(/hiddenDim/);
    expect(() => resolveMSNConfig(null as never)).toThrow(/'config' = null/);
  });
});
