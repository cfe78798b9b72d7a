import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRunReport } from './write-run-report';

const root = mkdtempSync(join(tmpdir(), 'msn-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeRunReport', () => {
  it('writes a self-contained report.html: uPlot, the page script and the data inlined, nothing loaded from elsewhere', async () => {
    const folder = mkdtempSync(join(root, 'run-'));
    writeFileSync(join(folder, 'metrics.jsonl'), `${[1, 2, 3].map((step) => JSON.stringify({ step, loss: 6 - step, lr: 0.001 })).join('\n')}\n{"step":4,`);
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ steps: 10, backendUsed: 'backend: cpu (tfjs-backend-cpu 4.22.0)', note: '</script><b>' }));
    const result = await writeRunReport(folder, { generatedAt: new Date('2026-01-02T03:04:05Z') });
    expect(result).toEqual({
      path: join(folder, 'report.html'),
      charts: [
        { id: 'loss', points: [3, 3] },
        { id: 'learning-rate', points: [1 * 3] },
      ],
      rows: 3,
      skippedLines: 1,
    });
    const html = readFileSync(result.path, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    // No external resources: every script is inline, and uPlot's constructor is in the page.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"' ]+\.(js|css)/);
    expect(html).toContain('var uPlot=function');
    expect(html).toContain('window.msnReport');
    // The data survives the round trip, and a config value cannot close the script element it sits in.
    const data = JSON.parse(html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)![1]!) as { charts: { id: string; x: number[] }[] };
    expect(data.charts.map((chart) => [chart.id, chart.x])).toEqual([
      ['loss', [1, 2, 3]],
      ['learning-rate', [1, 2, 3]],
    ]);
    expect(html).not.toContain('</script><b>');
    expect(html).toContain('steps logged');
    expect(html).toContain('1–3 of 10 (stopped early, killed or still running)');
    expect(html).toContain('backend: cpu (tfjs-backend-cpu 4.22.0)');
    expect(html).toContain('1 line(s) of metrics.jsonl could not be read');
    expect(html).toContain('generated 2026-01-02T03:04:05.000Z');
    // Atomic replacement leaves no temporary file behind.
    expect(readdirSync(folder).sort()).toEqual(['config.json', 'metrics.jsonl', 'report.html']);
  });

  it('names the folder when it does not exist', async () => {
    await expect(writeRunReport(join(root, 'missing'))).rejects.toThrow(/readRunFolder: invalid argument 'folder' = ".*missing"/);
  });
});
