import { useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../trainer';
import { ToyLoader, ToyRegression } from '../__fixtures__/toy-regression';
import { formatDuration, ProgressBar } from './progress-bar';

function fakeStream(isTTY: boolean) {
  const stream = { isTTY, columns: 200, text: '', write: (chunk: string) => (stream.text += chunk) };
  return stream;
}

describe('ProgressBar', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('prints throughput, time per step and ETA every n steps when not on a terminal', async () => {
    const stream = fakeStream(false);
    let clock = 0;
    // Each step takes 250 ms of fake time; batches hold 8 images → 32 img/s.
    const bar = new ProgressBar({ stream, printEveryNSteps: 4, now: () => (clock += 250) });
    const module = new ToyRegression();
    await new Trainer({ maxSteps: 8, callbacks: [bar], handleSignals: false }).fit(module, new ToyLoader());
    const lines = stream.text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^epoch 1 \| step 4\/8 \| loss \d+\.\d{4} \| 32\.0 img\/s \| 250 ms\/step \| ETA 1s$/);
    expect(lines[1]).toMatch(/^epoch 2 \| step 8\/8 \| loss \d+\.\d{4} \| 32\.0 img\/s \| 250 ms\/step \| ETA 0s$/);
    module.dispose();
  });

  it('redraws a single line on a terminal', async () => {
    const stream = fakeStream(true);
    let clock = 0;
    const module = new ToyRegression();
    await new Trainer({ maxSteps: 3, callbacks: [new ProgressBar({ stream, refreshMilliseconds: 0, now: () => (clock += 100) })], handleSignals: false }).fit(
      module,
      new ToyLoader(),
    );
    expect(stream.text.startsWith('\r')).toBe(true);
    expect(stream.text.split('\r')).toHaveLength(4);
    expect(stream.text.endsWith('\n')).toBe(true);
    module.dispose();
  });

  it('formats durations', () => {
    expect([formatDuration(12.4), formatDuration(185), formatDuration(3720), formatDuration(Number.NaN)]).toEqual(['12s', '3m05s', '1h02m', '?']);
  });
});
