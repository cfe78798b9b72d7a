// A small counter-based PRNG: every draw is a pure function of (key, counter), keyed by (seed, epoch, index, …).
import { InvalidArgumentError } from '@msn/errors';

// Chris Wellons' "lowbias32" integer hash: full avalanche, cheap with Math.imul, no BigInt.
function mix32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

const GOLDEN = 0x9e3779b9;
const TWO_POW_32 = 4294967296;

/** Splits a safe integer into its low and high 32-bit words. */
function words(value: number): [number, number] {
  const low = value >>> 0;
  const high = Math.floor(value / TWO_POW_32) >>> 0;
  return [low, high];
}

function absorb(state: number, value: number): number {
  const [low, high] = words(value);
  return mix32(mix32(state ^ low) + GOLDEN + high);
}

/**
 * Counter-based random numbers: `key` is a hash of the integers it was created from and draw n is
 * hash(key, n). Streams are therefore a pure function of their key path, e.g. (seed, epoch, index, view):
 * a resumed or distributed run reproduces the same draws without replaying any earlier sample.
 */
export class CounterRandom {
  private readonly key0: number;
  private readonly key1: number;
  private counter = 0;

  private constructor(key0: number, key1: number) {
    this.key0 = key0;
    this.key1 = key1;
  }

  /** A stream keyed by a list of non-negative safe integers (e.g. `[seed, epoch, index]`). */
  static fromKey(path: readonly number[]): CounterRandom {
    let state0 = 0x6a09e667;
    let state1 = 0xbb67ae85;
    for (const value of path) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new InvalidArgumentError({
          caller: 'CounterRandom',
          argument: 'key',
          value: path,
          expected: 'non-negative safe integers',
        });
      }
      state0 = absorb(state0, value);
      state1 = absorb(state1 ^ 0x3c6ef372, value + 1);
    }
    return new CounterRandom(state0, mix32(state1 ^ state0));
  }

  /** An independent sub-stream, e.g. one per view; does not advance this stream. */
  fork(stream: number): CounterRandom {
    const [low, high] = words(stream);
    return new CounterRandom(mix32(this.key0 ^ mix32(low + GOLDEN)), mix32(this.key1 + mix32(high ^ 0x85ebca6b) + low));
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const counter = this.counter++;
    return mix32(mix32(counter ^ this.key0) + this.key1);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform in [low, high) (torch's `uniform_(low, high)`). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, count). */
  integer(count: number): number {
    return Math.min(count - 1, Math.floor(this.next() * count));
  }

  /** A uniformly random permutation of 0…count−1 (Fisher–Yates). */
  permutation(count: number): number[] {
    const order = Array.from({ length: count }, (_, position) => position);
    for (let position = count - 1; position > 0; position--) {
      const other = this.integer(position + 1);
      const swap = order[position]!;
      order[position] = order[other]!;
      order[other] = swap;
    }
    return order;
  }
}
