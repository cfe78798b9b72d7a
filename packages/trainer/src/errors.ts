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

/** A backend requested by name that cannot be used (not installed, fails to load or to initialise). */
export class BackendUnavailableError extends Error {
  readonly [MSN_ERROR] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackendUnavailableError';
  }
}

/** The GPU rejected work (a WebGPU validation or out-of-memory error): it dropped those commands, so results are invalid. */
export class DeviceError extends Error {
  readonly [MSN_ERROR] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeviceError';
  }
}

/** A checkpoint folder that cannot be used (missing, incomplete, corrupt or of another format). */
export class CheckpointError extends Error {
  readonly [MSN_ERROR] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

/** True for errors thrown by any @msn/* package, whatever its version. */
export function isMsnError(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MSN_ERROR] === true;
}
