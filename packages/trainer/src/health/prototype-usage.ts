// @file How many prototypes are in use: those that won at least one image over a sliding window of steps.
import { InvalidArgumentError, assertInteger } from '@msn/errors';

/**
 * Counts, over the last `window` steps, how many of the K prototypes won at least one image (were the argmax of
 * its target). A healthy MSN run keeps most of them in use; a run whose images all land on one prototype uses 1.
 *
 * @example
 * const usage = new PrototypeUsage(256, { window: 50 });
 * usage.record(result.health.prototypeWins);
 * usage.used; // 0 … 256
 */
export class PrototypeUsage {
  readonly window: number;
  private readonly totals: Int32Array;
  private readonly history: Int32Array[] = [];
  private usedCount = 0;

  constructor(
    readonly numPrototypes: number,
    options: { window?: number } = {},
  ) {
    assertInteger('PrototypeUsage', 'numPrototypes', numPrototypes, 1);
    const { window = 50 } = options;
    assertInteger('PrototypeUsage', 'window', window, 1);
    this.window = window;
    this.totals = new Int32Array(numPrototypes);
  }

  /** Prototypes with at least one win in the window. */
  get used(): number {
    return this.usedCount;
  }

  /**
   * Adds one step's wins `[K]` and drops the step that left the window.
   * @throws {InvalidArgumentError} when `wins` does not have K entries.
   */
  record(wins: Int32Array): void {
    if (!(wins instanceof Int32Array) || wins.length !== this.numPrototypes) {
      throw new InvalidArgumentError({
        caller: 'PrototypeUsage.record',
        argument: 'wins',
        value: wins?.length,
        expected: `an Int32Array of the ${this.numPrototypes} prototypes' wins`,
      });
    }
    this.history.push(wins);
    this.add(wins, 1);
    if (this.history.length > this.window) this.add(this.history.shift()!, -1);
  }

  /**
   * Each prototype's share of the wins in the window, largest first (what PMSN's prior is compared with: prototypes
   * are unordered, so only the sorted curve means anything). All zeros before the first win.
   */
  sortedShares(): number[] {
    const total = this.totals.reduce((sum, count) => sum + count, 0);
    return Array.from(this.totals, (count) => (total === 0 ? 0 : count / total)).sort((left, right) => right - left);
  }

  private add(wins: Int32Array, sign: 1 | -1): void {
    for (let index = 0; index < wins.length; index++) {
      const count = wins[index]!;
      if (count === 0) continue;
      const before = this.totals[index]!;
      this.totals[index] = before + sign * count;
      if (before === 0) this.usedCount++;
      else if (this.totals[index] === 0) this.usedCount--;
    }
  }
}
