// @file Drawing the labelled examples of a few-shot split.
import type { Random } from '@msn/random';

/** `count` distinct items of `items` in random order (partial Fisher–Yates). */
export function sampleWithoutReplacement<T>(items: readonly T[], count: number, random: Random): T[] {
  const pool = [...items];
  for (let index = 0; index < count; index++) {
    const pick = index + random.nextInt(pool.length - index);
    [pool[index], pool[pick]] = [pool[pick]!, pool[index]!];
  }
  return pool.slice(0, count);
}
