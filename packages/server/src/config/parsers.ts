import { z } from 'zod';

/** The parsers settings are made of: each turns the variable's text into a typed value or says what is wrong. */

export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export type TrustProxy = boolean | number | string[];

export type DatabaseLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A whole number in `[min, max]`; `what` names the unit in the message (`seconds`, `milliseconds`). */
export const wholeNumber = (what: string, min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number of ${what}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const seconds = (min: number, max: number) => wholeNumber('seconds', min, max);
export const milliseconds = (min: number, max: number) => wholeNumber('milliseconds', min, max);

/** A count without bounds, where 0 usually turns something off; `what` completes "must be a whole number of …". */
export const count = (what: string) => z.string().trim().regex(/^\d+$/, `must be a whole number of ${what}`).transform(Number);

export const onOff = z.enum(['on', 'off'], { error: 'must be on or off' }).transform((value) => value === 'on');

export const nonEmpty = z.string().trim().min(1, 'must not be empty');

export const port = z
  .string()
  .trim()
  .regex(/^\d+$/, 'must be a port number')
  .transform(Number)
  .pipe(z.number().int().min(0).max(65535, 'must be at most 65535'));

/** `2027-02-21` (midnight UTC) or a full ISO 8601 time with its zone, as epoch milliseconds. */
export const isoDate = z
  .string()
  .trim()
  .regex(
    /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/,
    'must be an ISO 8601 date such as 2027-02-21 or 2027-02-21T09:00:00Z',
  )
  .refine((value) => isRealDate(value), 'is not a real calendar date')
  .transform((value) => Date.parse(value));

function isRealDate(value: string): boolean {
  const ms = Date.parse(value);
  // Date.parse rolls 2027-02-30 over into March instead of refusing it.
  return Number.isFinite(ms) && (value.length > 10 || new Date(ms).toISOString().startsWith(value));
}

export function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}

export const httpUrl = z
  .string()
  .trim()
  .refine((value) => isHttpUrl(value), 'must be an http(s) URL such as https://auth.example.com');

export const origins = z
  .string()
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
  .refine(
    (list) => list.every((origin) => isHttpUrl(origin) && new URL(origin).origin === origin),
    'must be comma-separated origins such as https://app.example.com (scheme, host and port; no path or trailing slash)',
  );

export const databaseUrl = nonEmpty.transform((url, context): DatabaseLocation => {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  const sqlite = /^sqlite:(?:\/\/)?(.+)$/.exec(url);
  if (sqlite) return { kind: 'sqlite', path: sqlite[1]! };
  context.issues.push({ code: 'custom', message: 'must be sqlite:PATH or postgres://…', input: url });
  return z.NEVER;
});

const PROXY_ADDRESS = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

export const trustProxy = z
  .string()
  .trim()
  .transform((value, context): TrustProxy => {
    const lower = value.toLowerCase();
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    if (['true', 'yes', 'on'].includes(lower)) return true;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (entries.length > 0 && entries.every((e) => PROXY_ADDRESS.test(e) || PROXY_NAMES.includes(e))) return entries;
    context.issues.push({
      code: 'custom',
      message: 'must be false, true, a hop count, or a comma-separated list of proxy addresses/CIDRs',
      input: value,
    });
    return z.NEVER;
  });
