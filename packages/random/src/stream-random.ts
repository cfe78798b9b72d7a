// Seeded pseudo-random numbers (xoshiro128**), identical on every backend and platform.
import { InvalidArgumentError } from '@msn/errors';

/** A seeded stream of pseudo-random numbers. Every draw advances the stream. */
export interface Random {
  /** A uniform integer in [0, 2³²). */
  nextUint32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** A uniform integer in [0, bound), without modulo bias. */
  nextInt(bound: number): number;
  /** A standard normal sample (Box–Muller). */
  nextNormal(): number;
  /** A new independent stream seeded from this one (advances this stream by two draws). */
  fork(): Random;
}

const TWO_POW_32 = 4294967296;

// splitmix32 expands one 32-bit seed word into well-mixed state words (the xoshiro authors' recommendation).
function splitmix32(state: { value: number }): number {
  state.value = (state.value + 0x9e3779b9) | 0;
  let mixed = state.value;
  mixed = Math.imul(mixed ^ (mixed >>> 16), 0x21f0aaad);
  mixed = Math.imul(mixed ^ (mixed >>> 15), 0x735a2d97);
  return (mixed ^ (mixed >>> 15)) >>> 0;
}

function rotateLeft(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}

class Xoshiro128StarStar implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(low: number, high: number) {
    // Both halves of the seed feed the state, so seeds that differ only above bit 32 still differ.
    const mixer = { value: low ^ Math.imul(high, 0x85ebca6b) };
    this.s0 = splitmix32(mixer);
    this.s1 = splitmix32(mixer);
    this.s2 = splitmix32(mixer) ^ high;
    this.s3 = splitmix32(mixer);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s3 = 1; // the all-zero state is a fixed point
  }

  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const shifted = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= shifted;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    // 27 + 26 bits, as in the usual 53-bit construction: (a·2²⁶ + b) / 2⁵³.
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  nextInt(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > TWO_POW_32) {
      throw new InvalidArgumentError({
        caller: 'Random.nextInt',
        argument: 'bound',
        value: bound,
        expected: 'an integer in [1, 2^32]',
      });
    }
    // Rejection sampling: drop the top partial copy of [0, bound) so every value is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    for (;;) {
      const draw = this.nextUint32();
      if (draw < limit) return draw % bound;
    }
  }

  nextNormal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.nextFloat()));
    const angle = 2 * Math.PI * this.nextFloat();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  fork(): Random {
    return new Xoshiro128StarStar(this.nextUint32(), this.nextUint32());
  }
}

/**
 * Creates a seeded pseudo-random stream (xoshiro128**, seeded through splitmix32). The same seed gives the
 * same numbers on every platform and backend; it never touches `Math.random` or tfjs' global RNG.
 *
 * @param seed - any safe integer (negative values allowed).
 * @example
 * const random = createRandom(42);
 * const u = random.nextFloat(); // in [0, 1)
 * const child = random.fork();  // independent stream, e.g. one per worker
 * @throws {InvalidArgumentError} when `seed` is not a safe integer.
 */
export function createRandom(seed: number): Random {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError({ caller: 'createRandom', argument: 'seed', value: seed, expected: 'a safe integer' });
  }
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) | 0;
  return new Xoshiro128StarStar(low, high);
}

/** A seed for callers that did not pass one: random, so unseeded runs differ (documented where used). */
export function unseededRandom(): Random {
  return createRandom(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER));
}
