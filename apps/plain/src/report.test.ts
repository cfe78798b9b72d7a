// Opens report.html of a short real run in headless Chromium (Debian's `chromium`, driven by playwright-core) and
// checks that every chart drew its data: no console errors, the expected series and point counts, coloured pixels.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { TINY_MODEL_FLAGS, runExample } from '@msn/test-utils/example-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the screenshot goes (kept after the test, for a person to look at). */
const SCREENSHOT = process.env.REPORT_SCREENSHOT ?? join(tmpdir(), 'msn-report-test', 'report.png');
if (!existsSync(CHROMIUM)) console.warn(`skipping the report's browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

const root = mkdtempSync(join(tmpdir(), 'msn-report-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A model and data small enough for a few seconds on the cpu backend; K = 8 prototypes, a power-law prior.
const TINY = [
  ...TINY_MODEL_FLAGS,
  '--backend',
  'cpu',
  '--schedule',
  'msn',
  '--synthetic-images',
  '32',
  '--eval-subset',
  '240',
  '--prior',
  'power_law',
  '--checkpoint-every',
  '2',
];
const STEPS = 3;

interface DrawnChart {
  id: string;
  series: string[];
  points: number[];
  markers: number;
}

describe.skipIf(!existsSync(CHROMIUM))('report.html in headless Chromium', () => {
  const out = join(root, 'run');
  let browser: Browser;
  beforeAll(async () => {
    const run = await runExample(join(here, '..'), [...TINY, '--steps', String(STEPS), '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`report: ${join(out, 'report.html')}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 180_000);
  afterAll(async () => browser?.close());

  it('draws every chart with its data, without console errors, and saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1320, height: 900 } });
    const errors: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
    page.on('pageerror', (error) => void errors.push(error.message));
    // Any request other than the file itself would be a dependency on the network.
    const requests: string[] = [];
    page.on('request', (request) => void requests.push(request.url()));
    const url = pathToFileURL(join(out, 'report.html')).href;
    await page.goto(url);
    await page.waitForSelector('body[data-rendered]');
    const drawn = (await page.evaluate('window.msnReport')) as DrawnChart[];
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);

    const byId = new Map(drawn.map((chart) => [chart.id, chart]));
    // apps/plain logs these (camelCase) names every step; evaluation.json adds the label-efficiency table.
    expect(drawn.map((chart) => chart.id)).toEqual([
      'loss',
      'learning-rate',
      'weight-decay',
      'momentum',
      'sharpen-temperature',
      'grad-norm',
      'health',
      'prototypes-used',
      'prototype-usage',
      'label-efficiency',
      'images-per-second',
      'milliseconds-per-step',
    ]);
    const perStep = (series: number) => Array.from({ length: series }, () => STEPS);
    expect(byId.get('loss')!.points).toEqual(perStep(6));
    for (const id of ['learning-rate', 'weight-decay', 'momentum', 'sharpen-temperature', 'prototypes-used', 'images-per-second', 'milliseconds-per-step'])
      expect(byId.get(id)!.points, id).toEqual(perStep(1));
    expect(byId.get('grad-norm')!.points).toEqual(perStep(2));
    expect(byId.get('health')!.points).toEqual(perStep(6));
    // Sorted usage of the 8 prototypes beside the power-law target the run recorded in health.json.
    expect(byId.get('prototype-usage')!.series).toEqual(['share of wins (last window)', 'target prior: power_law (PMSN, exponent 0.25)']);
    expect(byId.get('prototype-usage')!.points).toEqual([8, 8]);
    const health = JSON.parse(readFileSync(join(out, 'health.json'), 'utf8')) as { prior: { shares: number[] }; prototypeShares: number[] };
    expect(health.prior.shares).toHaveLength(8);
    expect(health.prior.shares[0]! / health.prior.shares[7]!).toBeCloseTo(8 ** 0.25, 5);
    expect(health.prototypeShares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 5);
    // Trained, untrained, raw pixels over k-NN and 1, 2, 5, 10 shots.
    expect(byId.get('label-efficiency')!.series).toEqual(['MSN target encoder (trained)', 'same encoder, random init', 'raw pixels']);
    expect(byId.get('label-efficiency')!.points).toEqual([5, 5, 5]);

    // Each chart's canvas holds coloured (series) pixels, not only the gray grid and black axes.
    const coloured = (await page.evaluate(`Array.from(document.querySelectorAll('.chart')).map(function (element) {
      var canvas = element.querySelector('canvas');
      var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      var count = 0;
      for (var index = 0; index < pixels.length; index += 4) {
        var red = pixels[index], green = pixels[index + 1], blue = pixels[index + 2];
        if (pixels[index + 3] > 0 && Math.max(red, green, blue) - Math.min(red, green, blue) > 60) count++;
      }
      return [element.id, count];
    })`)) as [string, number][];
    expect(coloured).toHaveLength(drawn.length);
    for (const [id, count] of coloured) expect(count, `${id}: coloured pixels`).toBeGreaterThan(20);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
    console.info(`report screenshot: ${SCREENSHOT}`);
    await page.close();
  });

  it('leaves TensorBoard event files beside metrics.jsonl', () => {
    expect(readdirSync(out).filter((name) => name.startsWith('events.out.tfevents.'))).toHaveLength(1);
  });
});
