import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { secretWeakness, type Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * The secret that seals our signing keys. Production has JWT_SECRET (config refuses to start without a
 * strong one). Development without one uses a random secret kept beside the database, so `npm start`
 * needs no setup and keys survive restarts.
 */
export function resolveJwtSecret(config: Config, logger: Logger): string {
  const known = knownJwtSecret(config, logger);
  if (known) return known;
  const file = developmentSecretPath(config);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch {
    // another process created it first: use theirs
    return readSecretFile(file) ?? secret;
  }
  logger.warn({ file }, 'JWT_SECRET is not set: generated a development secret; set JWT_SECRET in production');
  return secret;
}

/**
 * JWT_SECRET, else the development secret if one was generated before; never creates one. For CLI
 * commands, which must not write anything a server did not ask for.
 */
export function knownJwtSecret(config: Config, logger: Logger): string | undefined {
  if (config.jwtSecret) {
    const weakness = secretWeakness(config.jwtSecret);
    if (weakness) logger.warn(`JWT_SECRET ${weakness}: acceptable in development only`);
    return config.jwtSecret;
  }
  return readSecretFile(developmentSecretPath(config));
}

function readSecretFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function developmentSecretPath(config: Config): string {
  const dir = config.database.kind === 'sqlite' && config.database.path !== ':memory:' ? dirname(config.database.path) : 'data';
  return join(dir, 'dev-jwt-secret');
}
