// Reads the event files of a short Trainer run back with TensorBoard's own message definitions, compiled by protoc and
// parsed by python3-protobuf (an implementation independent of our hand encoder), and checks every CRC and scalar.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThroughputMonitor } from '../lightning/callbacks/throughput-monitor';
import { LearningRateMonitor } from '../lightning/callbacks/learning-rate-monitor';
import { ToyLoader, ToyRegression } from '../lightning/__fixtures__/toy-regression';
import { JsonLinesLogger } from '../lightning/loggers/json-lines-logger';
import { TensorBoardLogger } from '../lightning/loggers/tensorboard-logger';
import { Trainer } from '../lightning/trainer';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__');

/** Debian's protoc and a Python that imports google.protobuf (python3-protobuf), or why they are missing. */
function findTools(): { python: string } | { missing: string } {
  if (spawnSync('protoc', ['--version']).status !== 0) return { missing: 'protoc not found (apt-get install protobuf-compiler)' };
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import google.protobuf']).status === 0) return { python };
  }
  return { missing: 'no python3 with google.protobuf (apt-get install python3-protobuf)' };
}

const tools = findTools();
if ('missing' in tools) console.warn(`skipping the protoc read-back of TensorBoard event files: ${tools.missing}`);

describe.skipIf('missing' in tools)('TensorBoard event files read back with protoc + python3-protobuf', () => {
  const root = mkdtempSync(join(tmpdir(), 'msn-tensorboard-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(async () => {
    await useBackend('cpu');
    // TensorBoard's message definitions (field numbers as upstream) → event_pb2.py, summary_pb2.py.
    execFileSync('protoc', [`-I${FIXTURES}`, `--python_out=${root}`, join(FIXTURES, 'event.proto'), join(FIXTURES, 'summary.proto')]);
  });

  const read = (files: string[]) =>
    JSON.parse(execFileSync((tools as { python: string }).python, [join(FIXTURES, 'read-events.py'), root, ...files], { encoding: 'utf8' })) as {
      records: number;
      fileVersions: string[];
      scalars: [number, string, number][];
    };

  it('holds every scalar of metrics.jsonl with its step and name, in CRC-checked records', async () => {
    const folder = join(root, 'run');
    const module = new ToyRegression(0);
    const tensorboard = new TensorBoardLogger(folder);
    await new Trainer({
      maxSteps: 6,
      callbacks: [new LearningRateMonitor(), new ThroughputMonitor()],
      loggers: [new JsonLinesLogger(join(folder, 'metrics.jsonl')), tensorboard],
      handleSignals: false,
    }).fit(module, new ToyLoader());
    module.dispose();
    const files = readdirSync(folder).filter((name) => name.startsWith('events.out.tfevents.'));
    expect(files).toEqual([tensorboard.path!.split('/').at(-1)]);
    const events = read(files.map((name) => join(folder, name)));
    const rows = JsonLinesLogger.read(join(folder, 'metrics.jsonl'));
    const expected = rows.flatMap(({ step, ...metrics }) => Object.entries(metrics).map(([tag, value]) => [step, tag, Math.fround(value)]));
    expect(rows.map((row) => row.step)).toEqual([1, 2, 3, 4, 5, 6]);
    // The module's loss and bias, the Trainer's epoch, the callbacks' lr, weight_decay, milliseconds, images_per_second.
    expect(new Set(expected.map(([, tag]) => tag))).toEqual(new Set(['loss', 'bias', 'epoch', 'lr', 'weight_decay', 'milliseconds', 'images_per_second']));
    expect(events.fileVersions).toEqual(['brain.Event:2']);
    // One file-version record, then one record per logged row.
    expect(events.records).toBe(1 + rows.length);
    expect(events.scalars).toEqual(expected);
  });
});
