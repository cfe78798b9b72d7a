// Reads the reference fixtures (see the fixtures README): discovered by folder, shapes from the JSON.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

export interface FixtureTensor {
  shape: number[];
  dtype: 'float64' | 'int32';
  data: number[];
}

export interface FixtureFile {
  description: string;
  params: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
}

export interface FixtureCase {
  name: string;
  params: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
}

export interface FixtureCases {
  description: string;
  cases: FixtureCase[];
}

function repositoryRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'pnpm-workspace.yaml'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('fixtures: could not find the repository root (pnpm-workspace.yaml)');
    folder = parent;
  }
  return folder;
}

/** The fixture root: `$MSN_FIXTURES` when set, else `../shared/fixtures` relative to the repository root. */
export function fixturesRoot(): string {
  const root = process.env.MSN_FIXTURES ?? resolve(repositoryRoot(), '../shared/fixtures');
  if (!existsSync(root)) {
    throw new Error(`fixtures: folder '${root}' does not exist; set MSN_FIXTURES to the reference fixtures folder`);
  }
  return root;
}

/** Absolute paths of every file in `folder` (relative to the fixture root) ending with `extension`, sorted. */
export function listFixtures(folder: string, extension = '.json'): string[] {
  const directory = join(fixturesRoot(), folder);
  const files = readdirSync(directory)
    .filter((name) => name.endsWith(extension))
    .sort()
    .map((name) => join(directory, name));
  if (files.length === 0) throw new Error(`fixtures: no '*${extension}' files in '${directory}'`);
  return files;
}

export function readFixtureJson<T = FixtureFile>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Every fixture file of `folder`, read, with its path (for messages). */
export function readFixtures<T = FixtureFile>(folder: string): { path: string; fixture: T }[] {
  return listFixtures(folder).map((path) => ({ path, fixture: readFixtureJson<T>(path) }));
}

/**
 * The cases of every multi-case fixture file of `folder` that `select` keeps, each with its file's path. One
 * folder can hold several functions' cases (sinkhorn and sharpen): `select` tells them apart by their parameters.
 */
export function readFixtureCases(folder: string, select: (fixture: FixtureCase) => boolean = () => true): { path: string; fixture: FixtureCase }[] {
  return readFixtures<FixtureCases>(folder).flatMap(({ path, fixture: file }) => file.cases.filter(select).map((fixture) => ({ path, fixture })));
}

/** Loads a fixture tensor as float32 (inputs are float32-exact) or int32. */
export function fixtureToTensor(fixture: FixtureTensor): tf.Tensor {
  return tf.tensor(fixture.data, fixture.shape, fixture.dtype === 'int32' ? 'int32' : 'float32');
}
