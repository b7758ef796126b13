// Copies the documents the server serves into its build (dist/docs/), so that a packaged server — which
// ships bin/ and dist/ only — serves them too. Run by `npm run build` and `npm start` (and the slow tests).
import { copyFileSync, mkdirSync } from 'node:fs';

/** What GET /docs/… answers, from the repository's docs/ (src/http/routes/migration-guide.ts). */
const SERVED = ['auth-migration-guide.md'];

const from = new URL('../../../docs/', import.meta.url);
const to = new URL('../dist/docs/', import.meta.url);
mkdirSync(to, { recursive: true });
for (const name of SERVED) copyFileSync(new URL(name, from), new URL(name, to));
