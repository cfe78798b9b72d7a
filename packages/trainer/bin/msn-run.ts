#!/usr/bin/env node
// msn-run: the torchrun-like launcher of @msn/trainer (see `msn-run --help`).
import { LAUNCHER_USAGE, launch, parseLauncherArguments } from '../src/distributed/launcher';
import { isMsnError } from '../src/errors';

async function main(): Promise<number> {
  try {
    const options = parseLauncherArguments(process.argv.slice(2));
    if (options === 'help') {
      process.stdout.write(`${LAUNCHER_USAGE}\n`);
      return 0;
    }
    return await launch(options);
  } catch (error) {
    process.stderr.write(`${isMsnError(error) ? error.message : String(error)}\n\n${LAUNCHER_USAGE}\n`);
    return 2;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
