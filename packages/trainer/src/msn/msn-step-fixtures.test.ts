// Two MSN training steps against the float64 PyTorch reference (fixtures step/): outputs, gradients, every weight.
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss, PMSNLoss } from '@msn/loss';
import {
  FIXTURE_TOLERANCE,
  describeEachBackend,
  expectClose,
  expectTensorClose,
  fixtureBackends,
  fixtureToTensor,
  listFixtures,
  readFixtureJson,
  useBackend,
  type FixtureFile,
} from '@msn/test-utils';
import { loadSafetensors, type SafetensorsContent } from '@msn/vit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installBlasKernels, uninstallBlasKernels } from '../backend/blas/blas-kernels';
import { findBlasLibrary } from '../backend/blas/find-blas-library';
import { registerWebgpuKernels } from '../backend/webgpu-kernels/register-webgpu-kernels';
import { AdamW, decayEverything } from '../optim/adamw';
import { MSNModel } from './msn-model';
import { msnTrainingStep, type MSNStepTensors } from './msn-training-step';

interface LooseTensor {
  name: string;
  slice?: [number, number];
  reason: string;
  [atol: `atolAfter${number}`]: number;
}

interface StepParams {
  vit: { imageSize: number; patchSize: number; numLayers: number; numHeads: number; hiddenDim: number; mlpDim: number };
  head: { inputDim: number; hiddenDim: number; outputDim: number };
  numPrototypes: number;
  batchSize: number;
  focalViewsPerImage: number;
  maskRatio: number;
  momentum: number;
  optimizer: { name: string; lr: number; weightDecay: number; betas: [number, number]; eps: number; amsgrad: boolean };
  loss: {
    lossClass: string;
    temperature: number;
    sinkhornIterations: number;
    regularizationWeight: number;
    targetSharpenTemperature: number;
    powerLawExponent?: number;
  };
  looseTensors?: LooseTensor[];
}

/**
 * The weights files of a step fixture, in order: the initial weights, then the weights after each step. The
 * description names them ("Weights: init.safetensors, after1.safetensors, …"); otherwise they are found next to the
 * JSON by name (one containing "init", the others ordered by their step number).
 */
function weightFiles(path: string, fixture: FixtureFile, steps: number): string[] {
  const folder = dirname(path);
  const named = [...fixture.description.matchAll(/[\w.-]+\.safetensors/g)].map((match) => match[0]);
  if (named.length === steps + 1) return named.map((name) => join(folder, name));
  const files = readdirSync(folder).filter((name) => name.endsWith('.safetensors'));
  const initial = files.filter((name) => /init/i.test(name));
  const after = files
    .filter((name) => !/init/i.test(name) && /\d+/.test(name))
    .sort((left, right) => Number(/(\d+)/.exec(left)![1]) - Number(/(\d+)/.exec(right)![1]));
  if (initial.length !== 1 || after.length !== steps) {
    throw new Error(`${basename(path)}: cannot identify 1 initial and ${steps} per-step weight files among ${files.join(', ')}`);
  }
  return [initial[0]!, ...after].map((name) => join(folder, name));
}

/** Extra absolute allowance per flat element of `name` after step `step` (the fixtures' `looseTensors`). */
function looseAllowance(params: StepParams, name: string, shape: readonly number[], step: number): ((index: number) => number) | undefined {
  const entries = (params.looseTensors ?? []).filter((entry) => entry.name === name);
  if (entries.length === 0) return undefined;
  const rowSize = shape.slice(1).reduce((product, dimension) => product * dimension, 1);
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  const allowance = new Float64Array(size);
  for (const entry of entries) {
    const atol = entry[`atolAfter${step}`];
    if (typeof atol !== 'number') throw new Error(`looseTensors entry ${name} has no atolAfter${step}`);
    const [begin, end] = entry.slice ?? [0, shape[0] ?? 1];
    for (let index = begin * rowSize; index < end * rowSize; index++) allowance[index] = Math.max(allowance[index]!, atol);
  }
  return (index) => allowance[index]!;
}

function createLoss(params: StepParams): MSNLoss {
  const { lossClass, temperature, sinkhornIterations, regularizationWeight, powerLawExponent } = params.loss;
  if (lossClass === 'MSNLoss') return new MSNLoss({ temperature, sinkhornIterations, regularizationWeight });
  if (lossClass === 'PMSNLoss') return new PMSNLoss({ temperature, sinkhornIterations, regularizationWeight, powerLawExponent: powerLawExponent ?? 0.25 });
  throw new Error(`unsupported lossClass ${lossClass}`);
}

async function compareWeights(model: MSNModel, expected: SafetensorsContent, params: StepParams, step: number, label: string): Promise<void> {
  const variables = model.namedVariables();
  expect([...expected.tensors.keys()].sort()).toEqual([...variables.keys()].sort());
  for (const [name, want] of expected.tensors) {
    const extraAbsolute = looseAllowance(params, name, want.shape, step);
    await expectTensorClose(
      variables.get(name)!,
      { shape: [...want.shape], dtype: 'float64', data: Array.from(want.data) },
      {
        label: `${label} ${name}`,
        tolerance: FIXTURE_TOLERANCE,
        ...(extraAbsolute === undefined ? {} : { extraAbsolute }),
      },
    );
  }
}

function stepFixtureTests(): void {
  for (const path of listFixtures('step')) {
    const file = basename(path);
    it(`${file}: outputs, gradients, parameters and BatchNorm statistics after every step`, async () => {
      const fixture = readFixtureJson(path);
      const params = fixture.params as unknown as StepParams;
      expect(params.optimizer.name).toBe('AdamW');
      expect(params.optimizer.amsgrad).toBe(false);
      expect(params.head.inputDim).toBe(params.vit.hiddenDim);
      // Steps recorded: step1, step2, … (counted from the inputs, which every step has).
      const steps = Object.keys(fixture.inputs).filter((name) => /^step\d+\.targets$/.test(name)).length;
      expect(steps).toBeGreaterThan(0);
      const files = weightFiles(path, fixture, steps);
      const [initial, ...after] = await Promise.all(files.map((weights) => loadSafetensors(weights)));

      // lightly's masked ViT freezes its position table: a non-trainable ('sincos') table, overwritten by the file.
      const model = new MSNModel({
        config: {
          vit: { ...params.vit, positionEmbedding: 'sincos' },
          head: { hiddenDim: params.head.hiddenDim, outputDim: params.head.outputDim },
          numPrototypes: params.numPrototypes,
          maskRatio: params.maskRatio,
        },
        seed: 0,
      });
      model.loadStateDict(initial!.tensors);
      const { lr, weightDecay, betas, eps } = params.optimizer;
      // lightly's example: one parameter group, weight decay on every parameter that has a gradient.
      const optimizer = new AdamW(model.trainableParameters(), {
        learningRate: lr,
        weightDecay,
        beta1: betas[0],
        beta2: betas[1],
        epsilon: eps,
        weightDecayFilter: decayEverything,
      });
      const loss = createLoss(params);
      const checked = new Set<string>();
      const inspected = new Map<string, tf.Tensor>();
      try {
        for (let step = 1; step <= steps; step++) {
          const input = <T extends tf.Tensor>(name: string): T | undefined => {
            const tensor = fixture.inputs[`step${step}.${name}`];
            return tensor === undefined ? undefined : (fixtureToTensor(tensor) as T);
          };
          // Focal views (and their masks) are absent when focalViewsPerImage is 0.
          const batch = {
            targets: input<tf.Tensor4D>('targets')!,
            anchors: input<tf.Tensor4D>('anchors')!,
            focal: input<tf.Tensor4D>('focal'),
            idxKeepAnchors: input<tf.Tensor2D>('idxKeepAnchors'),
            idxKeepFocal: input<tf.Tensor2D>('idxKeepFocal'),
          };
          const output = (name: string) => {
            checked.add(`step${step}.${name}`);
            return fixture.outputs[`step${step}.${name}`];
          };
          const label = `${file} step ${step}`;
          const result = await msnTrainingStep(model, batch, {
            optimizer,
            loss,
            momentum: params.momentum,
            targetSharpenTemperature: params.loss.targetSharpenTemperature,
            // Copies kept past the step and compared after it: a GPU backend reads them only asynchronously.
            inspect: (tensors: MSNStepTensors) => {
              inspected.set('targetsOut', tf.keep(tf.clone(tensors.targetsOut)));
              inspected.set('anchorsOut', tf.keep(tf.clone(tensors.anchorsOut)));
              const gradPrototypes = tensors.gradients.get('prototypes');
              if (gradPrototypes !== undefined) inspected.set('gradPrototypes', tf.keep(tf.clone(gradPrototypes)));
            },
          });
          for (const name of ['targetsOut', 'anchorsOut', 'gradPrototypes']) {
            const want = output(name);
            if (want !== undefined) await expectTensorClose(inspected.get(name)!, want, { label: `${label} ${name}`, tolerance: FIXTURE_TOLERANCE });
          }
          tf.dispose([...inspected.values()]);
          inspected.clear();
          expectClose(result.loss, output('loss')!, { label: `${label} loss`, tolerance: FIXTURE_TOLERANCE });
          tf.dispose(Object.values(batch).filter((tensor) => tensor !== undefined) as tf.Tensor[]);
          await compareWeights(model, after[step - 1]!, params, step, label);
        }
        // Every recorded output was compared (a renamed or new output fails here instead of being skipped).
        expect(Object.keys(fixture.outputs).filter((name) => !checked.has(name))).toEqual([]);
      } finally {
        optimizer.dispose();
        model.dispose();
      }
    });
  }
}

describeEachBackend(fixtureBackends(), 'MSN training step against fixtures step/', (backend) => {
  // On webgpu, with the WGSL kernels selectBackend registers (the path training takes).
  beforeAll(() => {
    if (backend === 'webgpu') registerWebgpuKernels();
  });
  stepFixtureTests();
});

// The same steps with the wasm backend's matrix products on a native BLAS (skipped, saying why, without one).
const blasSearch = await findBlasLibrary({ library: 'auto' }).catch((error: unknown) => ({ library: null, reason: String(error) }));
if (blasSearch.library === null) process.stderr.write(`msn-step-fixtures.test: wasm + BLAS skipped: ${'reason' in blasSearch ? blasSearch.reason : ''}\n`);
describe.skipIf(blasSearch.library === null)(`MSN training step against fixtures step/ [wasm + ${blasSearch.library?.name ?? 'BLAS'}]`, () => {
  beforeAll(async () => {
    await useBackend('wasm');
    installBlasKernels(blasSearch.library!);
  });
  afterAll(() => {
    uninstallBlasKernels();
  });
  stepFixtureTests();
});

describe('looseAllowance', () => {
  it('covers exactly the listed rows of a sliced tensor and nothing else', () => {
    const params = {
      looseTensors: [{ name: 'a', slice: [1, 2], atolAfter1: 0.5, atolAfter2: 1, reason: 'test' }],
    } as unknown as StepParams;
    const allowance = looseAllowance(params, 'a', [3, 2], 2)!;
    expect([0, 1, 2, 3, 4, 5].map(allowance)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(looseAllowance(params, 'b', [3], 1)).toBeUndefined();
  });
});
