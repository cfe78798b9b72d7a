import { MsnError } from './msn-error';

/** Names that are missing from, unexpected in, or mis-shaped in a state dict loaded into a module. */
export interface StateDictMismatch {
  missing: string[];
  unexpected: string[];
  mismatched: { name: string; expected: number[]; got: number[] }[];
}

/** A state dict that does not fit a module: lists every missing, unexpected and mis-shaped tensor name. */
export class StateDictError extends MsnError {
  static override readonly errorName = 'StateDictError';
  readonly missing: string[];
  readonly unexpected: string[];
  readonly mismatched: { name: string; expected: number[]; got: number[] }[];

  constructor(caller: string, mismatch: StateDictMismatch) {
    const parts: string[] = [];
    if (mismatch.missing.length > 0) parts.push(`missing ${mismatch.missing.join(', ')}`);
    if (mismatch.unexpected.length > 0) parts.push(`unexpected ${mismatch.unexpected.join(', ')}`);
    if (mismatch.mismatched.length > 0) {
      parts.push(`mis-shaped ${mismatch.mismatched.map((entry) => `${entry.name} (expected [${entry.expected}], got [${entry.got}])`).join(', ')}`);
    }
    super(`${caller}: the state dict does not fit: ${parts.join('; ')}`);
    this.missing = mismatch.missing;
    this.unexpected = mismatch.unexpected;
    this.mismatched = mismatch.mismatched;
  }
}
