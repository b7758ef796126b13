import type { CliIo } from './io.js';

export type Row = Record<string, unknown>;

/** Prints rows as an aligned table for people, or as JSON for scripts. */
export function printRows(io: CliIo, rows: Row[], columns: string[], json: boolean): void {
  if (json) {
    io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  if (rows.length === 0) {
    io.stdout.write('(none)\n');
    return;
  }
  const cells = rows.map((row) => columns.map((column) => formatCell(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  io.stdout.write(line(columns.map((c) => c.toUpperCase())));
  for (const values of cells) io.stdout.write(line(values));
}

/** Prints one object: `key: value` lines for people, JSON for scripts. */
export function printRecord(io: CliIo, record: Row, json: boolean): void {
  if (json) {
    io.stdout.write(JSON.stringify(record, null, 2) + '\n');
    return;
  }
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  for (const [key, value] of Object.entries(record)) io.stdout.write(`${key.padEnd(width)}  ${formatCell(value)}\n`);
}

/** Epoch milliseconds as ISO 8601 (what both tables and JSON show). */
export const isoTime = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
