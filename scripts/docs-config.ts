/**
 * `npm run docs:config`: rewrites the README's configuration table from the settings' declarations.
 * `npm run docs:config -- PATH` rewrites the table in another copy of the README.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SETTINGS } from '../packages/server/src/config/settings.js';
import { withSettingsTable } from '../packages/server/src/config/settings-table.js';

const readme = process.argv[2] === undefined ? new URL('../README.md', import.meta.url) : resolve(process.argv[2]);
const before = readFileSync(readme, 'utf8');
const after = withSettingsTable(before, SETTINGS);
writeFileSync(readme, after);
console.log(`${String(readme)}: ${after === before ? 'the configuration table was up to date' : 'configuration table rewritten'}`);
