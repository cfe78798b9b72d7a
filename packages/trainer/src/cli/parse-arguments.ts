// Typed command-line flags with errors that name the flag, the value and what was expected.
import { InvalidArgumentError } from '../errors';

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
  [Name in keyof Specs]: Specs[Name] extends { default: unknown } | { required: true } | { type: 'boolean' }
    ? ValueOf<Specs[Name]>
    : ValueOf<Specs[Name]> | undefined;
} & { help: boolean };

/** A bad command line: unknown flag, missing or invalid value. Exit code 2, as for usage errors. */
export class CliArgumentError extends InvalidArgumentError {
  readonly exitCode = 2;

  constructor(flag: string, value: unknown, expected: string) {
    super({ caller: 'command line', argument: flag, value, expected });
    this.name = 'CliArgumentError';
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
 * and checking each value. Positional arguments are not accepted.
 *
 * @example
 * const flags = parseArguments({ steps: { type: 'integer', minimum: 1, default: 600, description: 'training steps' },
 *   backend: { type: 'string', choices: ['tensorflow', 'wasm', 'cpu'], description: 'TensorFlow.js backend' } });
 * // --steps abc → "command line: invalid argument '--steps' = "abc"; expected an integer >= 1"
 * @throws {CliArgumentError} for an unknown flag (suggesting the closest), a missing or invalid value, a repeated
 *   flag, or a missing required flag.
 */
export function parseArguments<Specs extends FlagSpecs>(specs: Specs, argv: readonly string[] = process.argv.slice(2)): ParsedFlags<Specs> {
  const byFlag = new Map(Object.entries(specs).map(([name, spec]) => [kebab(name), { name, spec }]));
  const result: Record<string, string | number | boolean | undefined> = { help: false };
  const seen = new Set<string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--help' || argument === '-h') {
      result.help = true;
      continue;
    }
    if (!argument.startsWith('--')) throw new CliArgumentError('(positional)', argument, 'flags of the form --name value (see --help)');
    const [flagText, inlineValue] = argument.includes('=') ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)] : [argument, undefined];
    let flagName = flagText.slice(2);
    let negated = false;
    if (!byFlag.has(flagName) && flagName.startsWith('no-') && byFlag.get(flagName.slice(3))?.spec.type === 'boolean') {
      flagName = flagName.slice(3);
      negated = true;
    }
    const entry = byFlag.get(flagName);
    if (entry === undefined) {
      const known = [...byFlag.keys()];
      const similar = known.filter((candidate) => candidate.includes(flagName) || flagName.includes(candidate) || candidate.split('-')[0] === flagName.split('-')[0]);
      throw new CliArgumentError(flagText, inlineValue ?? '', `a known flag${similar.length > 0 ? ` (did you mean ${similar.map((name) => `--${name}`).join(', ')}?)` : ''}; valid flags: ${known.map((name) => `--${name}`).join(', ')}`);
    }
    const flag = `--${flagName}`;
    if (seen.has(entry.name)) throw new CliArgumentError(flag, inlineValue ?? argv[index + 1] ?? '', 'the flag only once');
    seen.add(entry.name);
    if (entry.spec.type === 'boolean') {
      result[entry.name] = inlineValue === undefined ? !negated : (convert(flag, inlineValue, entry.spec) as boolean) !== negated;
      continue;
    }
    const raw = inlineValue ?? argv[index + 1];
    if (raw === undefined || (inlineValue === undefined && raw.startsWith('--'))) {
      throw new CliArgumentError(flag, '(missing)', expectation(entry.spec));
    }
    if (inlineValue === undefined) index++;
    result[entry.name] = convert(flag, raw, entry.spec);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (result[name] !== undefined) continue;
    if (spec.default !== undefined) result[name] = spec.default;
    else if (spec.type === 'boolean') result[name] = false;
    else if (spec.required && !result.help) throw new CliArgumentError(`--${kebab(name)}`, '(missing)', `${expectation(spec)} (this flag is required)`);
  }
  return result as ParsedFlags<Specs>;
}
