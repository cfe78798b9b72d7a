// @file The data of one chart of the training report, as the page's uPlot script draws it.

/** One line (or set of points) of a chart, aligned with the chart's `x`. */
export interface ReportSeries {
  label: string;
  /** One value per x (null: no value there). */
  values: (number | null)[];
  /** `line`: a solid line; `raw`: a thin faint line under its smoothed one; `points`: markers only (with `errors`). @default 'line' */
  style?: 'line' | 'raw' | 'points';
  /** ± half-widths of error bars, aligned with `values` (the label-efficiency chart's standard deviations). */
  errors?: (number | null)[];
  /** Index into the page's palette, so a raw line and its smoothed line share a colour. */
  colour: number;
}

/** A vertical mark at an x, e.g. the step of a collapse warning. */
export interface ReportMarker {
  x: number;
  label: string;
}

/** One chart: a title, its x values and its series. */
export interface ReportChart {
  /** Stable id, also the element id on the page (tests look charts up by it). */
  id: string;
  title: string;
  /** One sentence under the title: what to look for. */
  description: string;
  xLabel: string;
  yLabel: string;
  /** Sorted x values shared by every series. */
  x: number[];
  /** Category names: x value i is drawn as `categories[i]` (the label-efficiency columns). */
  categories?: string[];
  series: ReportSeries[];
  markers?: ReportMarker[];
  /** The x range to show, when the data's own would mislead (validation logged at one step of a long run). */
  xRange?: [number, number];
  /** Log-scaled y axis (learning rate, prototype shares). @default false */
  logY?: boolean;
}

/** Non-null values of a series: the points a chart of it shows. */
export function countPoints(series: Pick<ReportSeries, 'values'>): number {
  return series.values.filter((value) => value !== null).length;
}
