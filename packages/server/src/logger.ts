import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Request lines carry the method, the path without its query string, and the
 * client address; headers, cookies and bodies are never serialised, so tokens and passwords cannot leak.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tessera' },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
          ip: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      redact: {
        paths: ['*.password', '*.refresh_token', '*.access_token', '*.authorization', '*.cookie', '*.secret'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
