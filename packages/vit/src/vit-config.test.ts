import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { resolveViTConfig, vitBase, vitSmall, vitTiny } from './vit-config';

const base = { imageSize: 32, patchSize: 4, numLayers: 6, numHeads: 3, hiddenDim: 192, mlpDim: 768 };

describe('resolveViTConfig', () => {
  it('fills the defaults and round-trips through JSON', () => {
    const config = resolveViTConfig(base);
    expect(config).toEqual({ ...base, inChannels: 3, layerNormEps: 1e-6, positionEmbedding: 'sincos', initialization: 'lightly', dropPathRate: 0 });
    expect(resolveViTConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it('provides ViT-Ti, ViT-S/16 and ViT-B presets with overrides', () => {
    expect(vitSmall()).toMatchObject({ imageSize: 224, patchSize: 16, hiddenDim: 384, numLayers: 12, numHeads: 6, mlpDim: 1536 });
    expect(vitTiny()).toMatchObject({ hiddenDim: 192, numHeads: 3, mlpDim: 768 });
    expect(vitBase()).toMatchObject({ hiddenDim: 768, numHeads: 12, mlpDim: 3072 });
    expect(vitSmall({ imageSize: 96, positionEmbedding: 'learned', initialization: 'msn' })).toMatchObject({
      imageSize: 96,
      positionEmbedding: 'learned',
      initialization: 'msn',
    });
    expect(() => vitSmall({ numHeads: 5 })).toThrow(/'hiddenDim' = 384; expected a multiple of numHeads \(5\)/);
  });

  it('rejects invalid fields with the field, the value and the expectation', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ hiddenDim: 190 }, /resolveViTConfig: invalid argument 'hiddenDim' = 190; expected a multiple of numHeads \(3\)/],
      [{ imageSize: 30 }, /'imageSize' = 30; expected a multiple of patchSize \(4\)/],
      [{ numLayers: 0 }, /'numLayers' = 0; expected an integer >= 1/],
      [{ patchSize: 2.5 }, /'patchSize' = 2.5; expected an integer >= 1/],
      [{ layerNormEps: 0 }, /'layerNormEps' = 0; expected a finite number > 0/],
      [{ positionEmbedding: 'rope' }, /'positionEmbedding' = "rope"; expected one of "learned", "sincos"/],
      [{ initialization: 'xavier' }, /'initialization' = "xavier"; expected one of "msn", "lightly"/],
      [{ dropPathRate: 1 }, /'dropPathRate' = 1; expected a number in \[0, 1\)/],
      [{ numHeads: 2, hiddenDim: 6, positionEmbedding: 'sincos' }, /'hiddenDim' = 6; expected a multiple of 4 for positionEmbedding 'sincos'/],
      [{ imagesize: 32 }, /'config.imagesize' = 32; expected no such option/],
    ];
    for (const [override, message] of cases) {
      expect(() => resolveViTConfig({ ...base, ...override } as never)).toThrow(InvalidArgumentError);
      expect(() => resolveViTConfig({ ...base, ...override } as never)).toThrow(message);
    }
    expect(() => resolveViTConfig({ ...base, numHeads: 2, hiddenDim: 6, positionEmbedding: 'learned' })).not.toThrow();
  });
});
