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

/** Where a file-backed failure happened. */
export interface DataFileErrorDetails {
  /** Who noticed, e.g. `ImageFolder` or `IdxDataset`. */
  caller: string;
  /** The file that could not be read or decoded. */
  file: string;
  /** What is wrong, e.g. `truncated: 1000 bytes, expected 7840016`. */
  problem: string;
  /** Byte offset of the failure, when known. */
  offset?: number;
}

/** A file that is missing, unreadable, corrupt, truncated or of an unsupported format; names the file. */
export class DataFileError extends Error {
  readonly [MSN_ERROR] = true;
  readonly caller: string;
  readonly file: string;
  readonly offset: number | undefined;

  constructor(details: DataFileErrorDetails, options?: ErrorOptions) {
    const where = details.offset === undefined ? '' : ` at byte ${details.offset}`;
    super(`${details.caller}: '${details.file}'${where}: ${details.problem}`, options);
    this.name = 'DataFileError';
    this.caller = details.caller;
    this.file = details.file;
    this.offset = details.offset;
  }
}

/** A sample failed inside a DataLoader (main thread or worker); the message names the sample and the cause. */
export class DataLoaderError extends Error {
  readonly [MSN_ERROR] = true;
  /** Dataset index of the failing sample, when known. */
  readonly index: number | undefined;
  /** File of the failing sample, when known. */
  readonly file: string | undefined;

  constructor(message: string, details: { index?: number; file?: string } = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DataLoaderError';
    this.index = details.index;
    this.file = details.file;
  }
}

/** True for errors thrown by any @msn/* package, whatever its version. */
export function isMsnError(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MSN_ERROR] === true;
}
