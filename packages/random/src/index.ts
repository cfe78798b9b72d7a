export { CounterRandom } from './counter-random';
export { deriveSeed } from './derive-seed';
export { RANDOM_DOMAIN } from './random-domain';
export { resolveRandom } from './random-source';
export type { RandomSource } from './random-source';
export { createRandom, unseededRandom } from './stream-random';
export type { Random } from './stream-random';
