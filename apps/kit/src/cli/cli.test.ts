import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { CliArgumentError, formatUsage, parseArguments, type FlagSpecs } from './parse-arguments';
import { run } from './run';

const specs = {
  steps: { type: 'integer', minimum: 1, default: 600, description: 'training steps' },
  learningRate: { type: 'number', minimum: 0, description: 'AdamW learning rate' },
  backend: { type: 'string', choices: ['tensorflow', 'wasm', 'cpu'], description: 'TensorFlow.js backend' },
  prior: { type: 'string', description: 'uniform, power_law or a module path' },
  resume: { type: 'boolean', description: 'resume from the last checkpoint' },
} as const;

describe('parseArguments', () => {
  it('parses and converts values, kebab-case flags, = syntax, booleans and defaults', () => {
    const flags = parseArguments(specs, ['--learning-rate=0.001', '--backend', 'wasm', '--resume', '--prior', './my-prior.js']);
    expect(flags).toEqual({ help: false, steps: 600, learningRate: 0.001, backend: 'wasm', prior: './my-prior.js', resume: true });
    expect(parseArguments(specs, ['--no-resume']).resume).toBe(false);
    expect(parseArguments(specs, ['--help']).help).toBe(true);
  });

  it('skips the bare -- that pnpm passes on from `pnpm start -- --flag value`', () => {
    expect(parseArguments(specs, ['--', '--steps', '3', '--backend', 'cpu'])).toMatchObject({ steps: 3, backend: 'cpu' });
    expect(parseArguments(specs, ['--'])).toMatchObject({ steps: 600 });
    expect(() => parseArguments(specs, ['--', '--steps'])).toThrow(/'--steps' is missing its value/);
  });

  it('names the flag, the value and what was expected', () => {
    expect(() => parseArguments(specs, ['--steps', 'abc'])).toThrow(CliArgumentError);
    expect(() => parseArguments(specs, ['--steps', 'abc'])).toThrow(`command line: invalid argument '--steps' = "abc"; expected an integer >= 1`);
    expect(() => parseArguments(specs, ['--steps', '2.5'])).toThrow(/'--steps' = "2.5"; expected an integer >= 1/);
    expect(() => parseArguments(specs, ['--learning-rate', '-1'])).toThrow(/'--learning-rate' = "-1"; expected a number >= 0/);
    expect(() => parseArguments(specs, ['--backend', 'gpu'])).toThrow(/'--backend' = "gpu"; expected one of tensorflow, wasm, cpu/);
    expect(() => parseArguments(specs, ['train'])).toThrow(/'\(positional\)' = "train"/);
    expect(() => parseArguments(specs, ['--steps', '3', '--steps', '4'])).toThrow(/'--steps'.*only once/);
  });

  it('says when a value is missing, and which flag is required', () => {
    const problem = (argv: string[], within = specs as FlagSpecs) => {
      try {
        parseArguments(within, argv);
      } catch (error) {
        expect(error).toBeInstanceOf(CliArgumentError);
        return [(error as CliArgumentError).problem, (error as Error).message];
      }
      throw new Error(`${argv.join(' ')} parsed`);
    };
    expect(problem(['--backend'])).toEqual([
      'missing-value',
      "command line: flag '--backend' is missing its value; expected one of tensorflow, wasm, cpu (it is the last argument)",
    ]);
    expect(problem(['--prior', '--steps', '3'])).toEqual([
      'missing-value',
      "command line: flag '--prior' is missing its value; expected a string (--steps is another flag)",
    ]);
    expect(problem(['--steps='])).toEqual(['missing-value', "command line: flag '--steps' is missing its value; expected an integer >= 1 (it is empty)"]);
    expect(problem(['--prior='])[1]).toMatch(/'--prior' is missing its value; expected a string \(it is empty\)/);
    expect(problem([], { data: { type: 'string', required: true, description: 'data folder' } })).toEqual([
      'missing-flag',
      "command line: missing flag '--data'; expected a string (this flag is required)",
    ]);
    expect(problem(['--steps', 'abc'])[0]).toBe('invalid-value');
  });

  it('suggests the nearest flags for an unknown one (edit distance), else lists the valid flags', () => {
    const message = (argv: string[], within = specs as FlagSpecs) => {
      try {
        parseArguments(within, argv);
      } catch (error) {
        expect((error as CliArgumentError).problem).toBe('unknown-flag');
        expect((error as CliArgumentError).exitCode).toBe(2);
        return (error as Error).message;
      }
      throw new Error(`${argv.join(' ')} parsed`);
    };
    expect(message(['--lerning-rate', '1'])).toBe("command line: unknown flag '--lerning-rate'; did you mean --learning-rate? (--help lists the flags)");
    // One edit (substitution, insertion, deletion, transposition) from --steps; camel and snake case.
    for (const typed of ['--stepz', '--step', '--stepss', '--stpes', '--Steps']) expect(message([typed, '3'])).toMatch(/did you mean --steps\?/);
    expect(message(['--learningRate=0.1'])).toMatch(/'--learningRate'; did you mean --learning-rate\?/);
    expect(message(['--learning_rate', '0.1'])).toMatch(/did you mean --learning-rate\?/);
    // Booleans' negations, one-dash flags, prefixes.
    expect(message(['--no-resmue'])).toMatch(/did you mean --no-resume\?/);
    expect(message(['-steps', '3'])).toBe("command line: unknown flag '-steps'; did you mean --steps? (--help lists the flags)");
    expect(message(['--learning'])).toMatch(/did you mean --learning-rate\?/);
    // Ties are all offered; nothing near: the list.
    expect(message(['--ab'], { aa: { type: 'integer', description: 'a' }, bb: { type: 'integer', description: 'b' } } as FlagSpecs)).toMatch(
      /did you mean --aa or --bb\?/,
    );
    expect(message(['--gpu'])).toBe("command line: unknown flag '--gpu'; valid flags: --steps, --learning-rate, --backend, --prior, --resume");
    expect(message(['--gpu'])).not.toMatch(/""/);
  });

  it('formats usage with types, choices and defaults', () => {
    const usage = formatUsage('msn-train', specs);
    expect(usage).toMatch(/--steps <integer> +training steps \(default 600\)/);
    expect(usage).toMatch(/--backend <tensorflow\|wasm\|cpu> +TensorFlow.js backend/);
  });
});

describe('run', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('reports errors with their causes and sets the exit code', async () => {
    let written = '';
    const stderr = { write: (text: string) => (written += text) };
    await run(
      () => {
        throw new Error('cannot read prior module ./p.js', { cause: new Error('ENOENT: no such file') });
      },
      { stderr, verbose: false },
    );
    expect(written).toBe('error: cannot read prior module ./p.js\n  caused by: ENOENT: no such file\n');
    expect(process.exitCode).toBe(1);
  });

  it('uses exit code 2 for command-line errors and leaves successful runs alone', async () => {
    let written = '';
    await run(() => parseArguments(specs, ['--steps', '0']), { stderr: { write: (text: string) => (written += text) } });
    expect(written).toMatch(/^error: command line: invalid argument '--steps' = "0"/);
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
    let ran = false;
    await run(async () => {
      ran = true;
    });
    expect([ran, process.exitCode]).toEqual([true, undefined]);
    expect(new CliArgumentError('--x', 1, 'y')).toBeInstanceOf(InvalidArgumentError);
  });
});
