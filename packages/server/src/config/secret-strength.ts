import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';

const PLACEHOLDER_SECRETS = ['your-secret', 'changeme', 'change-me', 'secret-key', 'supersecret', 'password', 'example'];

/** 10^24 guesses ≈ 2^80: what zxcvbn must estimate, at least, for a production secret. */
const MIN_SECRET_GUESSES_LOG10 = 24;
const GENERATE_HINT = 'generate one with: openssl rand -base64 32';

let estimator: ZxcvbnFactory | undefined;

/** zxcvbn's guess count for `secret`, as log10: keyboard walks, sequences, repeats and words count for little. */
function guessesLog10(secret: string): number {
  estimator ??= new ZxcvbnFactory({
    dictionary: zxcvbnCommon.dictionary,
    graphs: zxcvbnCommon.adjacencyGraphs,
  });
  return estimator.check(secret).guessesLog10;
}

/**
 * Why a secret is too weak for production, or undefined when it is acceptable. The one rule for every
 * production secret (JWT_SECRET, JWT_SECRET_PREVIOUS, METRICS_TOKEN); the message never quotes the secret.
 */
export function secretWeakness(secret: string | undefined): string | undefined {
  if (secret === undefined || secret.length === 0) return `is required in production — ${GENERATE_HINT}`;
  if (secret.length < 32) return `must be at least 32 characters in production (got ${secret.length}) — ${GENERATE_HINT}`;
  const lower = secret.toLowerCase();
  const placeholder = PLACEHOLDER_SECRETS.find((p) => lower.includes(p));
  if (placeholder) return `looks like a placeholder (contains "${placeholder}") — ${GENERATE_HINT}`;
  const log10 = guessesLog10(secret);
  if (new Set(secret).size < 12 || log10 < MIN_SECRET_GUESSES_LOG10) {
    const bits = Math.floor(log10 * Math.log2(10));
    return `is guessable: made of a pattern, sequence, keyboard walk or words, worth about 2^${bits} guesses where 2^80 is the least — ${GENERATE_HINT}`;
  }
  return undefined;
}

/** The production rule of a secret that may be left unset. */
export function optionalSecretWeakness(secret: string | undefined): string | undefined {
  return secret === undefined ? undefined : secretWeakness(secret);
}
