// The wrapper every example app runs its main function in: clean error reports and exit codes.

/** Options of {@link run}. */
export interface RunOptions {
  /** Where errors are reported. @default process.stderr */
  stderr?: { write(text: string): unknown };
  /** Print stack traces. @default true when the environment variable MSN_DEBUG is set */
  verbose?: boolean;
}

function describe(error: unknown, verbose: boolean): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    lines.push(depth === 0 ? `error: ${message}` : `  caused by: ${message}`);
    if (verbose && current instanceof Error && current.stack) lines.push(current.stack.split('\n').slice(1).join('\n'));
    current = current instanceof Error ? current.cause : undefined;
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs an app's `main`, reporting a thrown error as `error: <message>` (plus `caused by:` lines for its causes and,
 * with MSN_DEBUG=1, stack traces) on stderr and setting a non-zero exit code: the error's numeric `exitCode`
 * (2 for command-line errors), else 1. Resolves when `main` has finished either way.
 *
 * @example
 * // src/main.ts of an app
 * await run(async () => { const flags = parseArguments(SPECS); await train(flags); });
 */
export async function run(main: () => unknown, options: RunOptions = {}): Promise<void> {
  const { stderr = process.stderr, verbose = Boolean(process.env.MSN_DEBUG) } = options;
  try {
    await main();
  } catch (error) {
    stderr.write(describe(error, verbose));
    const code = (error as { exitCode?: unknown } | null)?.exitCode;
    process.exitCode = typeof code === 'number' && Number.isInteger(code) && code > 0 ? code : 1;
  }
}
