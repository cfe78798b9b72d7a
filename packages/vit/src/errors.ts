// Error classes shared by shape: every @msn/* package defines the same two, marked with one symbol.
const MSN_ERROR = Symbol.for('msn.error');

export interface InvalidArgumentDetails {
  caller: string;
  argument: string;
  value: unknown;
  expected: string;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  // A tensor prints its dtype and shape, not its (possibly huge, multi-line) values.
  if (typeof value === 'object' && value !== null && 'shape' in value && 'dtype' in value) {
    const { shape, dtype } = value as { shape: unknown; dtype: unknown };
    if (Array.isArray(shape)) return `${String(dtype)} tensor [${shape.join(',')}]`;
  }
  return String(value);
}

/** An argument outside its allowed range or of the wrong kind. */
export class InvalidArgumentError extends Error {
  readonly [MSN_ERROR] = true;
  readonly caller: string;
  readonly argument: string;
  readonly value: unknown;
  readonly expected: string;

  constructor(details: InvalidArgumentDetails, options?: ErrorOptions) {
    super(
      `${details.caller}: invalid argument '${details.argument}' = ${show(details.value)}; expected ${details.expected}`,
      options,
    );
    this.name = 'InvalidArgumentError';
    this.caller = details.caller;
    this.argument = details.argument;
    this.value = details.value;
    this.expected = details.expected;
  }
}

/** Tensors whose shapes do not fit together. */
export class ShapeError extends Error {
  readonly [MSN_ERROR] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ShapeError';
  }
}

/** True for errors thrown by any @msn/* package, whatever its version. */
export function isMsnError(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MSN_ERROR] === true;
}

/** Names that are missing from, unexpected in, or mis-shaped in a state dict loaded into a module. */
export interface StateDictMismatch {
  missing: string[];
  unexpected: string[];
  mismatched: { name: string; expected: number[]; got: number[] }[];
}

/** A state dict that does not fit a module: lists every missing, unexpected and mis-shaped tensor name. */
export class StateDictError extends Error {
  readonly [MSN_ERROR] = true;
  readonly missing: string[];
  readonly unexpected: string[];
  readonly mismatched: { name: string; expected: number[]; got: number[] }[];

  constructor(caller: string, mismatch: StateDictMismatch) {
    const parts: string[] = [];
    if (mismatch.missing.length > 0) parts.push(`missing ${mismatch.missing.join(', ')}`);
    if (mismatch.unexpected.length > 0) parts.push(`unexpected ${mismatch.unexpected.join(', ')}`);
    if (mismatch.mismatched.length > 0) {
      parts.push(
        `mis-shaped ${mismatch.mismatched.map((entry) => `${entry.name} (expected [${entry.expected}], got [${entry.got}])`).join(', ')}`,
      );
    }
    super(`${caller}: the state dict does not fit: ${parts.join('; ')}`);
    this.name = 'StateDictError';
    this.missing = mismatch.missing;
    this.unexpected = mismatch.unexpected;
    this.mismatched = mismatch.mismatched;
  }
}

/** A safetensors file or buffer that cannot be read: names the source and the byte offset of the problem. */
export class SafetensorsError extends Error {
  readonly [MSN_ERROR] = true;
  /** The file path, or a description such as `'buffer'`. */
  readonly source: string;
  /** Byte offset in the file where the problem was found. */
  readonly offset: number;

  constructor(details: { source: string; offset: number; problem: string }, options?: ErrorOptions) {
    super(`safetensors ${details.source}: ${details.problem} (at byte offset ${details.offset})`, options);
    this.name = 'SafetensorsError';
    this.source = details.source;
    this.offset = details.offset;
  }
}
