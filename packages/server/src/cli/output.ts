import type { CliIo } from './io.js';

export type Row = Record<string, unknown>;

/** Prints rows as an aligned table for people, or as JSON for scripts. */
export function printRows(io: CliIo, rows: Row[], columns: string[], json: boolean): void {
  if (json) {
    io.stdout.write(safeJson(rows) + '\n');
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
    io.stdout.write(safeJson(record) + '\n');
    return;
  }
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  for (const [key, value] of Object.entries(record)) io.stdout.write(`${key.padEnd(width)}  ${formatCell(value)}\n`);
}

/** Epoch milliseconds as ISO 8601 (what both tables and JSON show). */
export const isoTime = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Control characters (C0, DEL, C1) and bidirectional overrides, which a terminal would act on: a
 * User-Agent holding ESC or CSI (U+009B) could otherwise recolour, move or rewrite what is printed.
 */
const TERMINAL_CONTROLS = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const hex = (char: string, digits: number) => char.codePointAt(0)!.toString(16).padStart(digits, '0');

/** A cell as text a terminal only displays: every control character written as its escape (`\x1b`, `\x9b`). */
function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(TERMINAL_CONTROLS, (char) => (char.length === 1 && char < '\u0100' ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`));
}

/** What JSON.stringify leaves raw of those (it escapes C0 itself; the layout's own newlines stay). */
const RAW_IN_JSON = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** JSON with DEL, C1 and bidi controls written as \uXXXX: it means the same and prints safely. */
function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(RAW_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}
