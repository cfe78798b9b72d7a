// Reads a whole data file, transparently gunzipping, with errors that name the file.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataFileError } from '@msn/errors';

/** True when `bytes` start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The bytes of `file`, decompressed when it is gzipped (detected from the content, not the name).
 * @throws {DataFileError} when the file is missing, unreadable or not valid gzip.
 */
export function readDataFile(caller: string, file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? 'file does not exist' : code === 'EISDIR' ? 'is a directory, expected a file' : `cannot be read (${code ?? String(error)})`;
    throw new DataFileError({ caller, file, problem }, { cause: error });
  }
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new DataFileError({ caller, file, problem: `is not valid gzip (${(error as Error).message}); truncated or corrupt download?` }, { cause: error });
  }
}
