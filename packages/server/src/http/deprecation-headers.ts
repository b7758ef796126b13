import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';

/**
 * The headers that tell a session client that sessions are going away: `Deprecation` (RFC 9745, a
 * structured-field date: `@` and Unix seconds), `Sunset` (RFC 8594, an HTTP date) and a `Link` to the
 * migration guide with relation `deprecation`. Computed once from the configuration.
 */
export function deprecationHeaders(config: Config): Record<string, string> {
  const type = /\.md(?:[?#]|$)/.test(config.migrationGuideUrl) ? '; type="text/markdown"' : '';
  return {
    deprecation: `@${Math.floor(config.sessionsDeprecatedAt / 1000)}`,
    sunset: new Date(config.sessionsSunset).toUTCString(),
    link: `<${config.migrationGuideUrl}>; rel="deprecation"${type}`,
  };
}

/** Adds the deprecation headers to a response (session-authenticated ones only: JWT responses never carry them). */
export function announceDeprecation(reply: FastifyReply, headers: Record<string, string>): void {
  reply.headers(headers);
}
