import { join } from 'node:path';
import { writeFileAtomic } from '@msn/vit';
import { readRunFolder } from './read-run-folder';
import { countPoints } from './report-chart';
import { buildReportCharts } from './report-charts';
import { renderReportPage } from './render-report-page';
import { readUplotAssets } from './uplot-assets';

/** What {@link writeRunReport} wrote. */
export interface RunReportResult {
  path: string;
  /** Chart ids, with each series' point count (what the page will draw). */
  charts: { id: string; points: number[] }[];
  /** metrics.jsonl rows read, and unreadable lines skipped. */
  rows: number;
  skippedLines: number;
}

/**
 * Builds `<folder>/report.html` (or `output`) from whatever the run folder holds: metrics.jsonl, health.json,
 * summary.json, evaluation.json and config.json, each optional, so it works for a running, killed or resumed run.
 * The file is replaced atomically, so a browser (or a kill) never sees half a report.
 *
 * @example await writeRunReport('runs/plain'); // runs/plain/report.html
 * @throws {InvalidArgumentError} when `folder` is not an existing folder.
 */
export async function writeRunReport(folder: string, options: { output?: string; generatedAt?: Date } = {}): Promise<RunReportResult> {
  const contents = readRunFolder(folder);
  const charts = buildReportCharts(contents);
  const path = options.output ?? join(folder, 'report.html');
  await writeFileAtomic(
    path,
    renderReportPage(contents, charts, readUplotAssets(), options.generatedAt === undefined ? {} : { generatedAt: options.generatedAt }),
  );
  return {
    path,
    charts: charts.map((chart) => ({ id: chart.id, points: chart.series.map(countPoints) })),
    rows: contents.metrics.length,
    skippedLines: contents.skippedLines,
  };
}
