import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: ROOT });

/** What `npm run lint` says about an import written in `file` (which need not exist). */
async function refusals(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = imported;\n`, { filePath: resolve(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

/**
 * docs/architecture.md: the arrows point one way — server → verify → contract, client → contract, the
 * pages → client — and inside the server the edges (HTTP, CLI, composition) call the features, never the
 * reverse. Lint enforces it (eslint.config.js); these samples prove the rules are there and bite.
 */
describe('dependency arrows point one way', () => {
  it.each([
    ['packages/verify/src/sample.ts', "import { createTessera as imported } from '../../server/src/tessera.js';"],
    ['packages/verify/src/sample.ts', "import { imported } from '@tessera/server';"],
    ['packages/contract/src/sample.ts', "import { verifyAccessToken as imported } from '@tessera/verify';"],
    ['packages/client/src/sample.ts', "import { AccessTokens as imported } from '../../server/src/tokens/access-tokens.js';"],
    ['packages/client/src/sample.ts', "import { verifyAccessToken as imported } from '@tessera/verify';"],
    ['packages/web/src/sample.ts', "import { LOGIN_THROTTLE as imported } from '../../server/src/http/routes/admin/login-throttle.js';"],
    ['packages/server/src/tokens/sample.ts', "import { authenticate as imported } from '../http/authenticate.js';"],
    ['packages/server/src/store/sample.ts', "import type { Tessera as imported } from '../tessera.js';"],
    ['packages/server/src/admin/sample.ts', "import { withOperations as imported } from '../cli/context.js';"],
    ['packages/server/src/auth/sample.ts', "import { BackgroundWork as imported } from '../background.js';"],
  ])('lint refuses, in %s: %s', async (file, source) => {
    expect(await refusals(file, source)).toHaveLength(1);
  });

  it.each([
    ['packages/server/src/http/routes/sample.ts', "import { AccessTokens as imported } from '../../tokens/access-tokens.js';"],
    ['packages/server/src/cli/commands/sample.ts', "import { createOperations as imported } from '../../operations.js';"],
    ['packages/server/src/tokens/sample.ts', "import { verifyAccessToken as imported } from '@tessera/verify';"],
    ['packages/verify/src/sample.ts', "import { InvalidTokenError as imported } from '@tessera/contract';"],
    ['packages/client/src/sample.ts', "import { TesseraError as imported } from '@tessera/contract';"],
  ])('lint accepts, in %s: %s', async (file, source) => {
    expect(await refusals(file, source)).toEqual([]);
  });
});
