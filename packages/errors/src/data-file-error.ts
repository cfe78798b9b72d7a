import { MsnError } from './msn-error';

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
export class DataFileError extends MsnError {
  static override readonly errorName = 'DataFileError';
  readonly caller: string;
  readonly file: string;
  readonly offset: number | undefined;

  constructor(details: DataFileErrorDetails, options?: ErrorOptions) {
    const where = details.offset === undefined ? '' : ` at byte ${details.offset}`;
    super(`${details.caller}: '${details.file}'${where}: ${details.problem}`, options);
    this.caller = details.caller;
    this.file = details.file;
    this.offset = details.offset;
  }
}
