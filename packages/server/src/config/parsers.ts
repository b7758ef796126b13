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

/**
 * SMTP_URL: `smtp://` or `smtps://`, checked with the WHATWG URL parser when the configuration loads (a URL
 * the mail library cannot parse makes Node print a warning quoting it, password and all). Its messages say
 * which part is wrong and never quote the value.
 */
export const smtpUrl = z
  .string()
  .trim()
  .superRefine((value, context) => {
    const problem = smtpUrlProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });

function smtpUrlProblem(value: string): string | undefined {
  const scheme = /^(smtps?):\/\//i.exec(value);
  if (!scheme) return 'must start with smtp:// (upgraded with STARTTLS when offered) or smtps:// (TLS)';
  if (!URL.canParse(value)) return smtpUrlSyntaxProblem(value.slice(scheme[0].length));
  const url = new URL(value);
  if (url.hostname === '') return 'names no host: smtp://host:port';
  if (url.hash !== '') return 'holds a #: in the user name or password write it as %23';
  return undefined;
}

/** Why the part after `smtp://` is no URL, said without quoting any of it. */
function smtpUrlSyntaxProblem(rest: string): string {
  const at = rest.lastIndexOf('@');
  if (at >= 0 && /[#?/\\]/.test(rest.slice(0, at))) {
    return 'is not a valid URL: the user name or password holds # ? / or \\, which must be percent-encoded (# as %23, ? as %3F, / as %2F)';
  }
  const hostPort = rest.slice(at + 1).split(/[/?#]/, 1)[0] ?? '';
  const portText = /:([^:\]]*)$/.exec(hostPort)?.[1];
  if (portText !== undefined && !(/^\d{1,5}$/.test(portText) && Number(portText) <= 65535)) {
    return 'is not a valid URL: the port must be a number from 1 to 65535';
  }
  if (hostPort === '' || hostPort.startsWith(':')) return 'is not a valid URL: it names no host (smtp://host:port)';
  return 'is not a valid URL: check the host name (user name and password characters other than letters and digits must be percent-encoded)';
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

/** `public`: on the main listener; `off`: not served; otherwise a separate listener (e.g. 127.0.0.1:5001). */
export type ConsoleListen = 'public' | 'off' | { host: string; port: number };

export const consoleListen = z
  .string()
  .trim()
  .regex(/^(?:public|off|\[?[0-9A-Za-z.:-]+\]?:\d{1,5})$/, 'must be public, off, or HOST:PORT such as 127.0.0.1:5001')
  .transform((value, context): ConsoleListen => {
    if (value === 'public' || value === 'off') return value;
    const split = value.lastIndexOf(':');
    const port = Number(value.slice(split + 1));
    if (port > 65535) context.addIssue({ code: 'custom', message: 'the port must be at most 65535' });
    return { host: value.slice(0, split).replace(/^\[(.*)\]$/, '$1'), port };
  });
