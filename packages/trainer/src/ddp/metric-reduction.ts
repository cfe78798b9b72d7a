// Averages named numbers over the ranks in float64 (logs keep their exact values when ranks agree).
import { DistributedError } from '../distributed/distributed-error';
import type { ProcessGroup } from '../distributed/process-group';

/** FNV-1a over the names, so ranks can check that they average the same metrics. */
function namesHash(names: readonly string[]): number {
  let hash = 0x811c9dc5;
  for (const character of names.join('\u0000')) {
    hash ^= character.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Mean over ranks of each named value (and the sum of each of `summed`), computed in float64 from one all-gather,
 * so values that agree on every rank (a learning rate, a momentum) come back unchanged. Every rank must pass the same
 * names; otherwise every rank fails with a `collective-mismatch` error naming its own names.
 *
 * @throws {DistributedError} when ranks pass different names, or a rank fails.
 */
export function reduceNamedValues(group: ProcessGroup, caller: string, values: Record<string, number>, summed: readonly string[] = []): Record<string, number> {
  const names = Object.keys(values).sort();
  const local = new Float64Array(names.length + 1);
  local[0] = namesHash(names);
  names.forEach((name, index) => (local[index + 1] = values[name]!));
  const gathered = new Float64Array(group.allGather(new Uint8Array(local.buffer)).slice().buffer);
  const width = local.length;
  for (let rank = 0; rank < group.worldSize; rank++) {
    if (gathered[rank * width] !== local[0]) {
      throw new DistributedError({
        code: 'collective-mismatch',
        operation: caller,
        failedRank: rank,
        message: `${caller}: rank ${rank} reports other metrics than rank ${group.rank} (${names.join(', ')}): every rank must log the same names at every step`,
      });
    }
  }
  const result: Record<string, number> = {};
  names.forEach((name, index) => {
    let total = 0;
    for (let rank = 0; rank < group.worldSize; rank++) total += gathered[rank * width + index + 1]!;
    result[name] = summed.includes(name) ? total : total / group.worldSize;
  });
  return result;
}
