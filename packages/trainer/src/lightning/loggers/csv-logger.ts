import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@msn/vit';
import type { Metrics } from '../lightning-module';
import type { Logger } from './logger';

/**
 * Writes metrics as CSV (`step,loss,lr,…`), one row per logged step, empty cells for metrics a row lacks. Rows are
 * appended synchronously; when a row brings a new column the file is rewritten with the wider header (as
 * Lightning's CSVLogger does). On resume, rows after the checkpoint's step are dropped.
 *
 * @example new CsvLogger('runs/msn/metrics.csv')
 */
export class CsvLogger implements Logger {
  private columns: string[] = ['step'];
  private rows: Record<string, number>[] = [];

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  logMetrics(metrics: Metrics, step: number): void {
    const row: Record<string, number> = { step, ...metrics };
    this.rows.push(row);
    const added = Object.keys(row).filter((name) => !this.columns.includes(name));
    if (added.length > 0 || !existsSync(this.path)) {
      this.columns.push(...added);
      writeFileSync(this.path, this.render());
    } else {
      appendFileSync(this.path, `${this.line(row)}\n`);
    }
  }

  async onResume(step: number): Promise<void> {
    if (!existsSync(this.path)) return;
    const [header, ...lines] = readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    if (header === undefined) return;
    this.columns = header.split(',');
    this.rows = lines
      .map((line) => line.split(','))
      .filter((cells) => cells.length === this.columns.length) // a torn last line from a killed run
      .map((cells) => Object.fromEntries(cells.flatMap((cell, index) => (cell === '' ? [] : [[this.columns[index]!, Number(cell)]]))))
      .filter((row) => row.step! <= step);
    await writeFileAtomic(this.path, this.render());
  }

  private line(row: Record<string, number>): string {
    return this.columns.map((name) => (row[name] === undefined ? '' : String(row[name]))).join(',');
  }

  private render(): string {
    return `${[this.columns.join(','), ...this.rows.map((row) => this.line(row))].join('\n')}\n`;
  }
}
