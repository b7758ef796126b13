import { createReadStream } from 'node:fs';
import { access, open } from 'node:fs/promises';
import { CLI_ACTOR } from '../../admin/actor.js';
import { ImportFileError } from '../../errors.js';
import { formatOfPath, readImportFile, type ImportFormat } from '../../users/import-file.js';
import { importReportJson, type ImportReport } from '../../users/user-import.js';
import { withOperations } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { printRecord, printRows } from '../output.js';

interface ImportOptions {
  dryRun?: boolean;
  format?: string;
  json?: boolean;
}

/** `tessera users import FILE`: prints the report; exits 1 when any line was rejected (the others are imported). */
export async function importUsersFrom(io: CliIo, file: string, options: ImportOptions): Promise<void> {
  if (file !== '-') {
    await access(file).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${file} (${error.code ?? 'error'})`);
    });
  }
  const format = await formatOf(io, file, options.format);
  const input = file === '-' ? io.stdin : createReadStream(file);
  const report = await withOperations(io, (t) =>
    t.admin.imports.run(readImportFile(input, format), { dryRun: Boolean(options.dryRun), actor: CLI_ACTOR, source: 'cli' }),
  ).catch((error: unknown) => {
    if (error instanceof ImportFileError) throw new CliError(`${file}: ${error.message}`);
    throw error;
  });
  if (options.json) printRecord(io, importReportJson(report, 'line'), true);
  else printReport(io, file, report);
  const rejected = report.rejected.length;
  if (rejected > 0) throw new CliError(`${rejected} line${rejected === 1 ? ' was' : 's were'} rejected (listed above); fix them and run the import again`);
}

function printReport(io: CliIo, file: string, report: ImportReport): void {
  const verb = report.dryRun ? 'would import' : 'imported';
  const parts = [
    `${report.created} new`,
    `${report.updated} updated`,
    `${report.unchanged} unchanged`,
    `${report.rejected.length} rejected`,
  ];
  io.stdout.write(`${report.dryRun ? 'dry run: nothing written; ' : ''}${verb} ${file}: ${parts.join(', ')}\n`);
  const schemes = Object.entries(report.schemes).map(([scheme, n]) => `${scheme} ${n}`);
  if (schemes.length > 0) io.stdout.write(`password hashes: ${schemes.join(', ')} (each re-hashed with argon2id at the user's next login)\n`);
  if (report.keptPassword > 0) {
    io.stdout.write(`${report.keptPassword} user(s) already have a Tessera password (logged in or reset since): kept, only role and email updated\n`);
  }
  if (report.signedOut > 0) {
    io.stdout.write(`${report.signedOut} user(s) got a new password hash: ${report.dryRun ? 'would be signed out' : 'signed out'} everywhere, as after a password change\n`);
  }
  if (report.changedMeanwhile > 0) io.stdout.write(`${report.changedMeanwhile} user(s) changed while importing and were left alone: run the import again\n`);
  if (report.rejected.length > 0) {
    const rows = report.rejected.map((r) => ({ line: r.position, username: r.username, reason: r.reason }));
    printRows(io, rows, ['line', 'username', 'reason'], false);
  }
}

/** --format, else the file's extension, else its first non-blank character (`{` is JSON lines). */
async function formatOf(io: CliIo, file: string, option: string | undefined): Promise<ImportFormat> {
  if (option !== undefined) {
    if (option !== 'jsonl' && option !== 'csv') throw new CliError('--format must be jsonl or csv');
    return option;
  }
  const byName = file === '-' ? undefined : formatOfPath(file);
  if (byName) return byName;
  if (file === '-') throw new CliError('reading standard input: say --format jsonl or --format csv');
  return (await firstCharacter(file)) === '{' ? 'jsonl' : 'csv';
}

async function firstCharacter(file: string): Promise<string | undefined> {
  const handle = await open(file).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file} (${error.code ?? 'error'})`);
  });
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').trimStart()[0];
  } finally {
    await handle.close();
  }
}

