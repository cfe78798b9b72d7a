// @file Reads what a run left in its folder (metrics.jsonl, health.json, …), tolerating missing files and a torn last line.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '@msn/errors';

/** One logged row of metrics.jsonl: the step and every numeric value logged with it. */
export type MetricsRow = { step: number } & Record<string, number>;

/** A JSON object read from the run folder (config.json, health.json, summary.json, evaluation.json). */
export type JsonObject = Record<string, unknown>;

/** What {@link readRunFolder} found. Every file is optional: a killed run may lack health.json or evaluation.json. */
export interface RunFolderContents {
  folder: string;
  /** The rows of metrics.jsonl in file order (empty when it is missing). */
  metrics: MetricsRow[];
  /** Lines of metrics.jsonl that were not JSON objects with a numeric `step` (a killed run's torn last line). */
  skippedLines: number;
  config?: JsonObject;
  health?: JsonObject;
  summary?: JsonObject;
  evaluation?: JsonObject;
  /** Files that exist but could not be parsed, with the reason (the report shows them instead of failing). */
  unreadable: { file: string; reason: string }[];
}

/** The files a run folder may hold, by the key they are read into. */
export const RUN_FOLDER_FILES = { config: 'config.json', health: 'health.json', summary: 'summary.json', evaluation: 'evaluation.json' } as const;

function parseMetrics(text: string): { metrics: MetricsRow[]; skippedLines: number } {
  const metrics: MetricsRow[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      skippedLines++;
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { step?: unknown }).step !== 'number') {
      skippedLines++;
      continue;
    }
    // Only numbers are plotted; strings or nulls (a NaN written by JSON.stringify) are left out.
    const row = Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1])),
    );
    metrics.push(row as MetricsRow);
  }
  return { metrics, skippedLines };
}

/**
 * Reads a run folder as the apps write it: `metrics.jsonl` (one row per logged step), `config.json`, `health.json`,
 * `summary.json` and `evaluation.json`, each when present. Unparseable lines of metrics.jsonl are counted and skipped
 * and unparseable JSON files are listed in `unreadable`, so a killed or resumed run still yields a report.
 *
 * @example const run = readRunFolder('runs/plain'); run.metrics.at(-1)?.loss
 * @throws {InvalidArgumentError} when `folder` is not an existing folder.
 */
export function readRunFolder(folder: string): RunFolderContents {
  if (typeof folder !== 'string' || !existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new InvalidArgumentError({
      caller: 'readRunFolder',
      argument: 'folder',
      value: folder,
      expected: 'an existing run folder (with metrics.jsonl, config.json, …)',
    });
  }
  const contents: RunFolderContents = { folder, metrics: [], skippedLines: 0, unreadable: [] };
  const metricsPath = join(folder, 'metrics.jsonl');
  if (existsSync(metricsPath)) Object.assign(contents, parseMetrics(readFileSync(metricsPath, 'utf8')));
  for (const [key, file] of Object.entries(RUN_FOLDER_FILES) as [keyof typeof RUN_FOLDER_FILES, string][]) {
    const path = join(folder, file);
    if (!existsSync(path)) continue;
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      contents[key] = parsed as JsonObject;
    } catch (error) {
      contents.unreadable.push({ file, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return contents;
}
