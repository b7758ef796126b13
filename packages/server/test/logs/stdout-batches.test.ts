import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOGGER = fileURLToPath(new URL('../../src/logger.ts', import.meta.url));

/** Runs a child process that logs through the server's logger to a pipe and ends with `ending`. */
function logThenEnd(ending: string): string[] {
  const script = `
    import { createLogger } from ${JSON.stringify(LOGGER)};
    const log = createLogger('info');
    log.info({ n: 'first' }, 'line');
    log.info({ n: 'big', text: 'é'.repeat(9000) }, 'line');
    for (let i = 0; i < 500; i += 1) log.info({ n: 'filler' + i }, 'line');
    log.info({ n: 'last' }, 'line');
    ${ending}
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { n: string }).n);
}

describe('log lines at exit', () => {
  it.each([
    ['process.exit(1)', 'process.exit(1);'],
    ['an uncaught exception', "setTimeout(() => { throw new Error('boom'); }, 0);"],
    ['the event loop running out', ''],
  ])('are all written, in order, when the process ends by %s', (_, ending) => {
    const names = logThenEnd(ending);
    expect(names).toEqual(['first', 'big', ...Array.from({ length: 500 }, (_, i) => `filler${i}`), 'last']);
  });
});
