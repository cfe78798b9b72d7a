// Packs the published @msn/* packages, installs the tarballs into empty projects and runs the README examples
// there (ESM and CJS), so the documented example is the tested one.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TFJS = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0'];
const PNPM = ['-y', 'pnpm@12.4.2'];

/** Runs a command, failing with its output when it exits non-zero. */
async function exec(command, args, cwd) {
  try {
    return await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
  } catch (error) {
    throw new Error(`install-test: '${command} ${args.join(' ')}' failed in ${cwd}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`, {
      cause: error,
    });
  }
}

async function timed(label, task) {
  const start = performance.now();
  const result = await task();
  console.log(`install-test: ${label} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
  return result;
}

/** `pnpm pack` rewrites `workspace:^` to the real version range; returns the tarball path. */
async function pack(packageFolder, destination) {
  const folder = join(repositoryRoot, 'packages', packageFolder);
  if (!existsSync(join(folder, 'dist', 'index.js')) || !existsSync(join(folder, 'dist', 'index.cjs'))) {
    throw new Error(`install-test: ${folder}/dist is missing; build first (turbo runs ^build before this test)`);
  }
  const before = new Set(readdirSync(destination));
  await exec('npx', [...PNPM, 'pack', '--pack-destination', destination], folder);
  const created = readdirSync(destination).filter((name) => !before.has(name) && name.endsWith('.tgz'));
  if (created.length !== 1) throw new Error(`install-test: expected one tarball from ${folder}, got [${created}]`);
  const tarball = join(destination, created[0]);
  const { stdout: manifest } = await exec('tar', ['-xOzf', tarball, 'package/package.json'], destination);
  if (manifest.includes('workspace:')) throw new Error(`install-test: ${tarball} still has a workspace: range:\n${manifest}`);
  return tarball;
}

/** The first ```ts block under the README's `## Example` heading. */
function readmeExample(packageFolder) {
  const path = join(repositoryRoot, 'packages', packageFolder, 'README.md');
  const lines = readFileSync(path, 'utf8').split('\n');
  const heading = lines.findIndex((line) => line.trim() === '## Example');
  const open = lines.findIndex((line, index) => index > heading && line.trim() === '```ts');
  const close = lines.findIndex((line, index) => index > open && line.trim() === '```');
  if (heading < 0 || open < 0 || close < 0) throw new Error(`install-test: no \`\`\`ts block under '## Example' in ${path}`);
  return `${lines.slice(open + 1, close).join('\n')}\n`;
}

async function installProject(name, parent, packages) {
  const folder = join(parent, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, version: '0.0.0', private: true }, null, 2));
  const cache = process.env.MSN_NPM_CACHE ? ['--cache', process.env.MSN_NPM_CACHE] : [];
  await timed(`npm install in ${name}: ${packages.map((entry) => entry.split('/').pop()).join(', ')}`, () =>
    exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...cache, ...packages], folder),
  );
  return folder;
}

/** tfjs-core is a peer everywhere: the project must hold exactly one copy, so every package shares one engine. */
function assertOneTfjsCore(project) {
  const copies = [];
  const visit = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(folder, entry.name);
      if (path.endsWith(join('@tensorflow', 'tfjs-core'))) copies.push(path);
      else if (entry.name === 'node_modules' || entry.name.startsWith('@') || folder.endsWith('node_modules')) visit(path);
    }
  };
  visit(join(project, 'node_modules'));
  if (copies.length !== 1) throw new Error(`install-test: expected one @tensorflow/tfjs-core in ${project}, found [${copies}]`);
}

/** Lines mentioning a loss must end with a finite number; there must be at least one. */
function checkLossOutput(label, output) {
  const lines = output.split('\n').filter((line) => /loss/i.test(line));
  if (lines.length === 0) throw new Error(`install-test: ${label} printed no loss value:\n${output}`);
  for (const line of lines) {
    const match = /(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*$/i.exec(line);
    if (!match || !Number.isFinite(Number(match[1]))) {
      throw new Error(`install-test: ${label} printed a loss that is not a finite number: '${line}'`);
    }
  }
  return lines;
}

/**
 * Type-checks the example against the installed types, as an ES module (.mts → `import` types, .d.ts) and as
 * CommonJS (.cts → `require` types, .d.cts), emits example-*.mjs / .cjs, and runs both with node.
 */
async function runExample(project, name, code) {
  writeFileSync(join(project, `${name}.mts`), code);
  writeFileSync(join(project, `${name}.cts`), code);
  const tsc = require.resolve('typescript/bin/tsc');
  const compilerOptions = {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022', 'dom'],
    types: [],
    strict: true,
    skipLibCheck: true,
  };
  const config = `tsconfig.${name}.json`;
  writeFileSync(join(project, config), JSON.stringify({ compilerOptions, files: [`${name}.mts`, `${name}.cts`] }, null, 2));
  await timed(`tsc ${name}.mts and ${name}.cts`, () => exec(process.execPath, [tsc, '-p', config], project));
  for (const file of [`${name}.mjs`, `${name}.cjs`]) {
    const { stdout } = await exec(process.execPath, [file], project);
    const lines = checkLossOutput(`${project}/${file}`, stdout);
    console.log(`install-test: ${file} in ${project.split('/').pop()} OK: ${lines.join(' | ')}`);
  }
}

async function main() {
  const workspace = mkdtempSync(join(tmpdir(), 'msn-install-test-'));
  const tarballs = join(workspace, 'tarballs');
  mkdirSync(tarballs);
  try {
    // @msn/errors is a dependency of the others: unpublished versions must come from a tarball too.
    const [errors, sinkhorn, priors, loss] = await timed('packed @msn/errors, @msn/sinkhorn, @msn/priors, @msn/loss', async () => {
      const packed = [];
      for (const folder of ['errors', 'sinkhorn', 'priors', 'loss']) packed.push(await pack(folder, tarballs));
      return packed;
    });
    const [priorsOnly, everything] = await Promise.all([
      installProject('priors-only', workspace, [errors, priors, ...TFJS]),
      installProject('loss', workspace, [errors, sinkhorn, priors, loss, ...TFJS]),
    ]);
    for (const project of [priorsOnly, everything]) assertOneTfjsCore(project);
    const priorsExample = readmeExample('priors');
    await runExample(priorsOnly, 'priors-example', priorsExample);
    await runExample(everything, 'loss-example', readmeExample('loss'));
    await runExample(everything, 'priors-example', priorsExample);
    console.log('install-test: all README examples ran from the packed tarballs (ESM and CJS)');
  } finally {
    if (process.env.MSN_KEEP_INSTALL_TEST) console.log(`install-test: kept ${workspace}`);
    else rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
