// @file uPlot's browser build and stylesheet, read from the installed `uplot` package so report.html can inline them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The charting library as the report inlines it. */
export interface ChartingAssets {
  script: string;
  style: string;
  version: string;
}

let cached: ChartingAssets | undefined;

/**
 * uPlot's IIFE build (defines `window.uPlot`), its CSS and version, from the `uplot` dependency (read once).
 * @throws {Error} naming the package when it cannot be found (a broken install).
 */
export function readUplotAssets(): ChartingAssets {
  if (cached !== undefined) return cached;
  // CommonJS bundles define __filename; ES modules know their URL.
  const here = typeof __filename === 'string' ? pathToFileURL(__filename).href : import.meta.url;
  const require = createRequire(here);
  try {
    cached = {
      script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      version: (JSON.parse(readFileSync(require.resolve('uplot/package.json'), 'utf8')) as { version: string }).version,
    };
  } catch (error) {
    throw new Error(`the training report needs the 'uplot' package (a dependency of @msn/trainer), which could not be read: reinstall @msn/trainer`, {
      cause: error,
    });
  }
  return cached;
}
