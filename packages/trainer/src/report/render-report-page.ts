// @file report.html as one self-contained page: uPlot, the page script and the run's data inlined, nothing fetched.
import { basename, resolve } from 'node:path';
import type { JsonObject, RunFolderContents } from './read-run-folder';
import type { ReportChart } from './report-chart';
import { REPORT_PAGE_SCRIPT } from './report-page-script';
import type { ChartingAssets } from './uplot-assets';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Text that may sit inside a <script> element: `</script` and `<!--` cannot end or confuse it. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** `{ a: { b: 1 } }` → `[['a.b', '1']]`; long arrays are shortened, so a 1024-entry prior does not flood the table. */
function flatten(value: unknown, prefix = ''): [string, string][] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix === '' ? key : `${prefix}.${key}`));
  }
  let text = JSON.stringify(value) ?? String(value);
  if (Array.isArray(value) && value.length > 12) text = `${JSON.stringify(value.slice(0, 12)).slice(0, -1)}, … (${value.length} values)]`;
  return [[prefix, text]];
}

function table(caption: string, rows: [string, string][]): string {
  if (rows.length === 0) return '';
  const body = rows.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('');
  return `<section class="table"><h2>${escapeHtml(caption)}</h2><table>${body}</table></section>`;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The facts at the top: steps, data, model, prior and backend. */
function overview(contents: RunFolderContents): [string, string][] {
  const { config, metrics } = contents;
  const steps = metrics.map((row) => row.step);
  const planned = typeof config?.steps === 'number' ? config.steps : undefined;
  const last = steps.length === 0 ? undefined : Math.max(...steps);
  const rows: [string, string][] = [];
  rows.push([
    'steps logged',
    last === undefined
      ? 'none'
      : `${Math.min(...steps)}–${last}${planned === undefined ? '' : ` of ${planned}`}${planned !== undefined && last < planned ? ' (stopped early, killed or still running)' : ''}`,
  ]);
  const backend = text(config?.backendUsed) ?? text(config?.backend) ?? 'automatic (not recorded)';
  rows.push(['backend', backend]);
  for (const [label, key] of [
    ['data set', 'dataset'],
    ['prior', 'prior'],
    ['batch size', 'batchSize'],
    ['world size', 'worldSize'],
    ['schedule', 'schedule'],
  ] as const) {
    const value = text(config?.[key]);
    if (value !== undefined) rows.push([label, value]);
  }
  const vit = (config?.config as { vit?: JsonObject; numPrototypes?: number } | undefined) ?? {};
  if (vit.vit !== undefined)
    rows.push([
      'model',
      `ViT ${vit.vit.imageSize}px patch ${vit.vit.patchSize}, dim ${vit.vit.hiddenDim}, depth ${vit.vit.numLayers}, ${vit.vit.numHeads} heads; K ${vit.numPrototypes}`,
    ]);
  return rows;
}

function warnings(health: JsonObject | undefined): string {
  const list = Array.isArray(health?.warnings) ? (health.warnings as { message?: unknown }[]) : [];
  if (health === undefined) return '<p class="note">No health.json: the collapse monitor’s summary is written at checkpoints and at the end.</p>';
  if (list.length === 0) return '<p class="ok">The collapse detector raised no warning.</p>';
  return `<ul class="warnings">${list.map((warning) => `<li>${escapeHtml(String(warning.message))}</li>`).join('')}</ul>`;
}

function notes(contents: RunFolderContents): string {
  const items: string[] = [];
  if (contents.metrics.length === 0) items.push('metrics.jsonl is missing or empty.');
  if (contents.skippedLines > 0)
    items.push(`${contents.skippedLines} line(s) of metrics.jsonl could not be read (a killed run’s torn last line) and were skipped.`);
  for (const { file, reason } of contents.unreadable) items.push(`${file} could not be read: ${reason}`);
  return items.length === 0 ? '' : `<ul class="notes">${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
}

/**
 * The HTML of a run's report: an overview, the collapse warnings, one uPlot chart per {@link ReportChart}, and the
 * summary and configuration as tables. Everything is inlined (uPlot's script and CSS, the data as JSON), so the
 * file opens from disk without a network.
 *
 * @example writeFileSync('report.html', renderReportPage(run, buildReportCharts(run), readUplotAssets()));
 */
export function renderReportPage(
  contents: RunFolderContents,
  charts: readonly ReportChart[],
  assets: ChartingAssets,
  options: { generatedAt?: Date } = {},
): string {
  const generatedAt = (options.generatedAt ?? new Date()).toISOString();
  const name = basename(resolve(contents.folder));
  const figures = charts
    .map(
      (chart) =>
        `<figure><figcaption><h3>${escapeHtml(chart.title)}</h3><p>${escapeHtml(chart.description)}</p></figcaption><div class="chart" id="chart-${escapeHtml(chart.id)}"></div></figure>`,
    )
    .join('\n');
  const data = JSON.stringify({ charts }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Training report: ${escapeHtml(name)}</title>
<style>${scriptSafe(assets.style)}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1320px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; } h3 { font-size: 1em; margin: 0; }
.meta { color: #666; } .ok { color: #2a7a2a; } .warnings li { color: #b02020; } .notes li { color: #8a6100; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 1em; }
figure { margin: 0; border: 1px solid #ddd; border-radius: 6px; padding: 0.6em; }
figcaption p { margin: 0.2em 0 0.4em; color: #555; font-size: 0.9em; }
.tables { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 1em; }
table { border-collapse: collapse; font-size: 0.9em; width: 100%; } th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: 600; white-space: nowrap; } td { font-family: ui-monospace, monospace; word-break: break-all; }
</style>
</head>
<body>
<h1>Training report: ${escapeHtml(name)}</h1>
<p class="meta">${escapeHtml(resolve(contents.folder))} · generated ${escapeHtml(generatedAt)} by msn-report · charts: uPlot ${escapeHtml(assets.version)}</p>
${table('Run', overview(contents))}
${notes(contents)}
<h2>Collapse detector</h2>
${warnings(contents.health)}
<div class="charts">
${figures}
</div>
<div class="tables">
${
  contents.summary === undefined
    ? ''
    : table(
        'summary.json',
        flatten(contents.summary).filter(([key]) => !key.startsWith('evaluation')),
      )
}
${contents.config === undefined ? '' : table('config.json', flatten(contents.config))}
</div>
<script type="application/json" id="report-data">${data}</script>
<script>${scriptSafe(assets.script)}</script>
<script>${scriptSafe(REPORT_PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
