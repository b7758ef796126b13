import { settingsOf, type SettingGroup } from './setting.js';

/** The README's configuration table sits between these two lines; `npm run docs:config` rewrites what is between. */
export const TABLE_START = '<!-- settings:start (generated from packages/server/src/config/settings.ts by `npm run docs:config`) -->';
export const TABLE_END = '<!-- settings:end -->';

/** The Markdown table of every setting: variable, default, meaning. */
export function settingsTable(settings: SettingGroup): string {
  const rows = settingsOf(settings).map((s) => {
    const shown = s.defaultDoc ?? (s.default === undefined || s.default === '' ? '—' : `\`${s.default}\``);
    return `| \`${s.env}\` | ${shown} | ${s.doc} |`;
  });
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

/** `document` with the block between the markers replaced by the table; throws when the markers are missing. */
export function withSettingsTable(document: string, settings: SettingGroup): string {
  const start = document.indexOf(TABLE_START);
  const end = document.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the document lacks the lines ${TABLE_START} and ${TABLE_END}`);
  return `${document.slice(0, start + TABLE_START.length)}\n${settingsTable(settings)}\n${document.slice(end)}`;
}
