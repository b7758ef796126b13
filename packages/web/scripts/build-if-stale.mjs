// Builds the pages with Vite only when a source is newer than the last build (or `--force`): `npm start`
// and `npm run build` stay quick when nothing changed. A published package ships dist/ built; a
// production install (`npm ci --omit=dev`) has no Vite and never gets here.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.vite', 'manifest.json');
// The pages bundle @tessera/client from its build: a newer SDK build is a change too.
const sources = ['src', 'account.html', 'console.html', 'vite.config.ts', 'package.json', '../client/dist'];

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changed = Math.max(...sources.filter((source) => existsSync(join(root, source))).map((source) => newest(join(root, source))));
if (process.argv.includes('--force') || changed > built) {
  const { build } = await import('vite');
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { manifest: true } });
  console.log('@tessera/web: pages built into packages/web/dist');
}
