// Test support (not exported, not built): finds the safetensors weights that belong to a fixture JSON file.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { listFixtures } from '@msn/test-utils';

/** The `.safetensors` with the JSON's stem, else the folder's only `.safetensors`; fails when ambiguous. */
export function weightsFor(jsonPath: string): string {
  const sameStem = join(dirname(jsonPath), `${basename(jsonPath, '.json')}.safetensors`);
  if (existsSync(sameStem)) return sameStem;
  const folder = basename(dirname(jsonPath));
  const candidates = listFixtures(folder, '.safetensors');
  if (candidates.length !== 1) {
    throw new Error(`${jsonPath}: no '${basename(sameStem)}' and ${candidates.length} other .safetensors files in '${folder}'`);
  }
  return candidates[0]!;
}
