#!/usr/bin/env node
// msn-report: builds report.html for a run folder of @msn/trainer's apps (see `msn-report --help`).
import { isMsnError } from '@msn/errors';
import { writeRunReport } from '../src/report/write-run-report';

const USAGE = `usage: msn-report <run folder> [--out <file>]

Builds a self-contained <run folder>/report.html (charts inlined, opens from disk) from the folder's metrics.jsonl,
health.json, evaluation.json, summary.json and config.json, each when present: for a finished, running, killed or
resumed run. --out writes the report elsewhere.`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const outIndex = argv.indexOf('--out');
  const output = outIndex === -1 ? undefined : argv[outIndex + 1];
  const positional = outIndex === -1 ? argv : argv.filter((_, index) => index !== outIndex && index !== outIndex + 1);
  const unknown = positional.find((argument) => argument.startsWith('-'));
  const problem =
    unknown !== undefined
      ? `msn-report: unknown flag '${unknown}'; expected --out <file> or --help`
      : outIndex !== -1 && (output === undefined || output.startsWith('-'))
        ? "msn-report: flag '--out' is missing its value; expected a file path"
        : positional.length !== 1
          ? `msn-report: expected one run folder, got ${positional.length === 0 ? 'none' : positional.map((argument) => JSON.stringify(argument)).join(' ')}`
          : undefined;
  if (problem !== undefined) {
    process.stderr.write(`${problem}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const result = await writeRunReport(positional[0]!, output === undefined ? {} : { output });
    const skipped = result.skippedLines > 0 ? `, ${result.skippedLines} unreadable line(s) skipped` : '';
    process.stdout.write(`wrote ${result.path}: ${result.charts.length} charts from ${result.rows} metrics rows${skipped}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${isMsnError(error) ? error.message : error instanceof Error ? `msn-report: ${error.message}` : String(error)}\n`);
    return isMsnError(error) ? 2 : 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
