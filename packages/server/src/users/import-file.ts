import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { ImportFileError } from '../errors.js';
import type { ImportRecord, UnreadableRecord } from './user-import.js';

export type ImportFormat = 'jsonl' | 'csv';

/** The columns an import file may have; `username` and `password_hash` are required. */
export const IMPORT_COLUMNS = ['username', 'role', 'email', 'password_hash'] as const;

/** The format of `path`: by its extension, else undefined (the caller sniffs the content). */
export function formatOfPath(path: string): ImportFormat | undefined {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/i.test(path)) return 'jsonl';
  return undefined;
}

/** The records of an import file, numbered by line; lines that cannot be read come out as `UnreadableRecord`s. */
export function readImportFile(input: Readable, format: ImportFormat): AsyncIterable<ImportRecord | UnreadableRecord> {
  return format === 'csv' ? readCsv(input) : readJsonLines(input);
}

/** One JSON object per line; blank lines are skipped. */
async function* readJsonLines(input: Readable): AsyncGenerator<ImportRecord | UnreadableRecord> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { position: line, reason: 'not valid JSON' };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { position: line, reason: 'not a JSON object' };
      continue;
    }
    yield { position: line, fields: value as Record<string, unknown> };
  }
}

/** CSV with a header row naming the columns (any order; unknown columns are ignored). */
async function* readCsv(input: Readable): AsyncGenerator<ImportRecord | UnreadableRecord> {
  const skipped: UnreadableRecord[] = [];
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => checkHeader(header.map((name) => name.trim().toLowerCase())),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
      skip_records_with_error: true,
    }),
  );
  parser.on('skip', (error: Error & { lines?: number }) => {
    skipped.push({ position: error.lines ?? 0, reason: `not a valid CSV row (${error.message.replace(/^Invalid[^:]*: /, '')})` });
  });
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield* skipped.splice(0);
    yield { position: info.lines, fields: record };
  }
  yield* skipped.splice(0);
}

function checkHeader(columns: string[]): string[] {
  const missing = ['username', 'password_hash'].filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new ImportFileError(`the CSV header must name the columns ${IMPORT_COLUMNS.join(', ')} (missing: ${missing.join(', ')})`);
  }
  return columns;
}
