// Typed command-line flags with errors that name the flag, the value and what was expected.
import { InvalidArgumentError } from '@msn/errors';

/** One flag: its type, documentation and constraints. The flag is the kebab-case form of its key. */
export interface FlagSpec {
  type: 'string' | 'number' | 'integer' | 'boolean';
  description: string;
  /** Accepted values (strings only). */
  choices?: readonly string[];
  /** Smallest accepted value (numbers only). */
  minimum?: number;
  default?: string | number | boolean;
  /** Fail when the flag is absent (and has no default). */
  required?: boolean;
}

/** Flag specifications by option name (camelCase; `--power-law-exponent` is `powerLawExponent`). */
export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<Spec extends FlagSpec> = Spec['type'] extends 'boolean'
  ? boolean
  : Spec['type'] extends 'string'
    ? Spec['choices'] extends readonly (infer Choice)[]
      ? Choice
      : string
    : number;

/** The parsed values: flags with a default, `required` flags and booleans are always present. */
export type ParsedFlags<Specs extends FlagSpecs> = {
  [Name in keyof Specs]: Specs[Name] extends { default: string | number | boolean } | { required: true } | { type: 'boolean' }
    ? ValueOf<Specs[Name]>
    : ValueOf<Specs[Name]> | undefined;
} & { help: boolean };

/**
 * What is wrong with a flag: an invalid value (the default), an unknown flag, a value that is missing (the flag is
 * last, followed by another flag, or given as `--flag=`), or a required flag that is absent.
 */
export type CliProblem = 'invalid-value' | 'unknown-flag' | 'missing-value' | 'missing-flag';

/**
 * A bad command line: unknown flag, missing or invalid value. Exit code 2, as for usage errors. Messages:
 * `command line: invalid argument '--steps' = "abc"; expected an integer >= 1`,
 * `command line: unknown flag '--lerning-rate'; did you mean --learning-rate? (--help lists the flags)`,
 * `command line: flag '--backend' is missing its value; expected one of tensorflow, wasm, cpu (it is the last argument)`,
 * `command line: missing flag '--data'; expected a string (this flag is required)`.
 */
export class CliArgumentError extends InvalidArgumentError {
  readonly exitCode = 2;
  readonly problem: CliProblem;

  constructor(flag: string, value: unknown, expected: string, problem: CliProblem = 'invalid-value') {
    super({ caller: 'command line', argument: flag, value, expected });
    this.name = 'CliArgumentError';
    this.problem = problem;
    if (problem === 'unknown-flag') this.message = `command line: unknown flag '${flag}'; ${expected}`;
    else if (problem === 'missing-value') this.message = `command line: flag '${flag}' is missing its value; expected ${expected}`;
    else if (problem === 'missing-flag') this.message = `command line: missing flag '${flag}'; expected ${expected}`;
  }
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

function expectation(spec: FlagSpec): string {
  if (spec.choices) return `one of ${spec.choices.join(', ')}`;
  const bound = spec.minimum === undefined ? '' : ` >= ${spec.minimum}`;
  if (spec.type === 'integer') return `an integer${bound}`;
  if (spec.type === 'number') return `a number${bound}`;
  if (spec.type === 'boolean') return 'no value (or true/false)';
  return 'a string';
}

/** Edit distance with adjacent transpositions (optimal string alignment): `stpes` is 1 from `steps`. */
function editDistance(left: string, right: string): number {
  const rows = Array.from({ length: left.length + 1 }, (_, row) =>
    Array.from({ length: right.length + 1 }, (_, column) => (row === 0 ? column : column === 0 ? row : 0)),
  );
  for (let row = 1; row <= left.length; row++) {
    for (let column = 1; column <= right.length; column++) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      let best = Math.min(rows[row - 1]![column]! + 1, rows[row]![column - 1]! + 1, rows[row - 1]![column - 1]! + cost);
      if (row > 1 && column > 1 && left[row - 1] === right[column - 2] && left[row - 2] === right[column - 1])
        best = Math.min(best, rows[row - 2]![column - 2]! + 1);
      rows[row]![column] = best;
    }
  }
  return rows[left.length]![right.length]!;
}

/**
 * The flags an unknown one most likely meant: the nearest by edit distance (at most a third of its length, at
 * least 1, so `--lerning-rate` → `--learning-rate`, `--stepz` → `--steps`), else the flags it begins (`--batch` →
 * `--batch-size`). camelCase and snake_case spellings are compared in kebab-case (`--learningRate`).
 */
function suggestFlags(typed: string, candidates: readonly string[]): string[] {
  const name = kebab(typed.replace(/^[A-Z]/, (letter) => letter.toLowerCase()))
    .replace(/_/g, '-')
    .toLowerCase();
  const limit = Math.max(1, Math.floor(name.length / 3));
  const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(name, candidate) })).filter(({ distance }) => distance <= limit);
  if (scored.length > 0) {
    const nearest = Math.min(...scored.map(({ distance }) => distance));
    return scored
      .filter(({ distance }) => distance === nearest)
      .map(({ candidate }) => candidate)
      .slice(0, 3);
  }
  return name.length >= 3 ? candidates.filter((candidate) => candidate.startsWith(name)).slice(0, 3) : [];
}

function unknownFlag(flagText: string, byFlag: ReadonlyMap<string, { spec: FlagSpec }>): CliArgumentError {
  const known = [...byFlag.keys()];
  const candidates = [...known, ...known.filter((name) => byFlag.get(name)!.spec.type === 'boolean').map((name) => `no-${name}`), 'help'];
  const suggestions = suggestFlags(flagText.replace(/^-+/, ''), candidates).map((name) => `--${name}`);
  const hint =
    suggestions.length === 0
      ? `valid flags: ${known.map((name) => `--${name}`).join(', ')}`
      : `did you mean ${suggestions.join(' or ')}? (--help lists the flags)`;
  return new CliArgumentError(flagText, undefined, hint, 'unknown-flag');
}

function convert(flag: string, raw: string, spec: FlagSpec): string | number | boolean {
  if (spec.type === 'boolean') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new CliArgumentError(flag, raw, expectation(spec));
  }
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) throw new CliArgumentError(flag, raw, expectation(spec));
    return raw;
  }
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const valid = Number.isFinite(value) && (spec.type === 'number' || Number.isSafeInteger(value)) && (spec.minimum === undefined || value >= spec.minimum);
  if (!valid) throw new CliArgumentError(flag, raw, expectation(spec));
  return value;
}

/** Usage text: one line per flag with its type, default and description. */
export function formatUsage(program: string, specs: FlagSpecs): string {
  const lines = Object.entries(specs).map(([name, spec]) => {
    const flag = `--${kebab(name)}${spec.type === 'boolean' ? '' : ` <${spec.choices ? spec.choices.join('|') : spec.type}>`}`;
    const extra = spec.default !== undefined ? ` (default ${String(spec.default)})` : spec.required ? ' (required)' : '';
    return `  ${flag.padEnd(36)} ${spec.description}${extra}`;
  });
  return [`usage: ${program} [flags]`, '', ...lines, `  ${'--help'.padEnd(36)} show this help`].join('\n');
}

/**
 * Parses `--flag value`, `--flag=value`, boolean `--flag` / `--no-flag` and `--help` against `specs`, converting
 * and checking each value. A bare `--` (what `pnpm start -- …` passes on) is skipped; positional arguments are not
 * accepted.
 *
 * @example
 * const flags = parseArguments({ steps: { type: 'integer', minimum: 1, default: 600, description: 'training steps' },
 *   backend: { type: 'string', choices: ['tensorflow', 'wasm', 'cpu'], description: 'TensorFlow.js backend' } });
 * // --steps abc → "command line: invalid argument '--steps' = "abc"; expected an integer >= 1"
 * // --stpes 3   → "command line: unknown flag '--stpes'; did you mean --steps? (--help lists the flags)"
 * // --backend   → "command line: flag '--backend' is missing its value; expected one of tensorflow, wasm, cpu (it is the last argument)"
 * @throws {CliArgumentError} for an unknown flag (suggesting the nearest by edit distance), a missing, empty or
 *   invalid value, a repeated flag, or a missing required flag.
 */
export function parseArguments<Specs extends FlagSpecs>(specs: Specs, argv: readonly string[] = process.argv.slice(2)): ParsedFlags<Specs> {
  const byFlag = new Map(Object.entries(specs).map(([name, spec]) => [kebab(name), { name, spec }]));
  const result: Record<string, string | number | boolean | undefined> = { help: false };
  const seen = new Set<string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    // `pnpm start -- --steps 10` hands the script the separator itself (npm swallows it): it carries nothing.
    if (argument === '--') continue;
    if (argument === '--help' || argument === '-h') {
      result.help = true;
      continue;
    }
    if (!argument.startsWith('--')) {
      // `-steps 3`: a flag with one dash.
      if (/^-[A-Za-z]/.test(argument)) throw unknownFlag(argument.split('=')[0]!, byFlag);
      throw new CliArgumentError('(positional)', argument, 'flags of the form --name value (see --help)');
    }
    const [flagText, inlineValue] = argument.includes('=')
      ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)]
      : [argument, undefined];
    let flagName = flagText.slice(2);
    let negated = false;
    if (!byFlag.has(flagName) && flagName.startsWith('no-') && byFlag.get(flagName.slice(3))?.spec.type === 'boolean') {
      flagName = flagName.slice(3);
      negated = true;
    }
    const entry = byFlag.get(flagName);
    if (entry === undefined) throw unknownFlag(flagText, byFlag);
    const flag = `--${flagName}`;
    if (seen.has(entry.name)) throw new CliArgumentError(flag, inlineValue ?? argv[index + 1] ?? '', 'the flag only once');
    seen.add(entry.name);
    if (entry.spec.type === 'boolean') {
      result[entry.name] = inlineValue === undefined ? !negated : (convert(flag, inlineValue, entry.spec) as boolean) !== negated;
      continue;
    }
    const raw = inlineValue ?? argv[index + 1];
    if (raw === undefined || raw === '' || (inlineValue === undefined && raw.startsWith('--'))) {
      const where = raw === undefined ? 'it is the last argument' : raw === '' ? 'it is empty' : `${raw} is another flag`;
      throw new CliArgumentError(flag, undefined, `${expectation(entry.spec)} (${where})`, 'missing-value');
    }
    if (inlineValue === undefined) index++;
    result[entry.name] = convert(flag, raw, entry.spec);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (result[name] !== undefined) continue;
    if (spec.default !== undefined) result[name] = spec.default;
    else if (spec.type === 'boolean') result[name] = false;
    else if (spec.required && !result.help)
      throw new CliArgumentError(`--${kebab(name)}`, undefined, `${expectation(spec)} (this flag is required)`, 'missing-flag');
  }
  return result as ParsedFlags<Specs>;
}
