import type { SignOutResult } from '../admin/devices.js';

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** How the CLI reports what a sign-out, a reset or a disable ended, in words and as JSON. */
export const endedSummary = {
  text: (ended: SignOutResult) =>
    `${count(ended.families, 'family', 'families')}, ${count(ended.accessTokens, 'access token', 'access tokens')} ` +
    `and ${count(ended.sessions, 'session', 'sessions')} ended`,
  json: (ended: SignOutResult) => ({
    revoked_families: ended.families,
    revoked_access_tokens: ended.accessTokens,
    ended_sessions: ended.sessions,
  }),
};
