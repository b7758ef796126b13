import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Lower case, letters and digits only: `Your-256-bit Secret` and `your256bitsecret` are the same to the checks below. */
function normalized(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Words of placeholder and tutorial secrets, normalized. Each is long enough, and has letters outside a–f,
 * that random hex never contains one and random base64 about once in 2^29 secrets (mostly `example`, the
 * one of 7 letters; each of 8 letters or more, once in 2^34 or less).
 */
const PLACEHOLDER_SECRETS = [
  'yoursecret', 'your256bitsecret', 'atleast256bits', 'changeme', 'changethis', 'replaceme', 'secretkey', 'supersecret',
  'mysecret', 'jwtsecret', 'signingkey', 'password', 'example', 'loremipsum', 'quickbrownfox', 'correcthorse',
];

/**
 * Values copied from specifications and examples, normalized: the SHA-256 of nothing (hex and base64),
 * RFC 4122's example UUID, 32 zero bytes (hex and base64). A secret containing one is refused.
 */
const KNOWN_EXAMPLE_VALUES = [
  createHash('sha256').digest('hex'),
  createHash('sha256').digest('base64'),
  'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
  Buffer.alloc(32).toString('hex'),
  Buffer.alloc(32).toString('base64'),
].map(normalized);

/** 10^24 guesses ≈ 2^80: what zxcvbn must estimate, at least, for a production secret. */
const MIN_SECRET_GUESSES_LOG10 = 24;
const GENERATE_HINT = 'generate one with: openssl rand -base64 32';
/** A worker that has not answered by then has failed to start (its estimate takes well under a second). */
const ESTIMATE_TIMEOUT_MS = 60_000;

/**
 * zxcvbn's estimate, run in a short-lived worker thread: its dictionaries (~10 MB of heap, for a check
 * made a few times at start) live and die with the worker instead of staying in the server's heap.
 * Plain CommonJS by absolute path, so the same code runs from the build and from the sources.
 */
const ESTIMATE_IN_WORKER = `
const { workerData } = require('node:worker_threads');
const { port, done, secret, core, common } = workerData;
try {
  const { ZxcvbnFactory } = require(core);
  const { dictionary, adjacencyGraphs } = require(common);
  port.postMessage({ log10: new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }).check(secret).guessesLog10 });
} catch (error) {
  port.postMessage({ error: String(error && error.stack || error) });
}
Atomics.store(done, 0, 1);
Atomics.notify(done, 0);
`;

let last: { secret: string; log10: number } | undefined;

/** zxcvbn's guess count for `secret`, as log10: keyboard walks, sequences, repeats and words count for little. */
function guessesLog10(secret: string): number {
  // The same secret is checked by the configuration and again when the keys are unsealed.
  if (last?.secret === secret) return last.log10;
  const require = createRequire(import.meta.url);
  const done = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(ESTIMATE_IN_WORKER, {
    eval: true,
    workerData: { port: port2, done, secret, core: require.resolve('@zxcvbn-ts/core'), common: require.resolve('@zxcvbn-ts/language-common') },
    transferList: [port2],
  });
  try {
    // Synchronous, as configuration is: wait for the worker's answer without running the event loop.
    Atomics.wait(done, 0, 0, ESTIMATE_TIMEOUT_MS);
    const answer = receiveMessageOnPort(port1)?.message as { log10?: number; error?: string } | undefined;
    if (answer?.log10 === undefined) throw new Error(`the password-strength estimate failed: ${answer?.error ?? 'no answer'}`);
    last = { secret, log10: answer.log10 };
    return answer.log10;
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/**
 * Why a secret is too weak for production, or undefined when it is acceptable. The one rule for every
 * production secret (JWT_SECRET, JWT_SECRET_PREVIOUS, METRICS_TOKEN); the message never quotes the secret.
 */
export function secretWeakness(secret: string | undefined): string | undefined {
  const obvious = obviousSecretWeakness(secret);
  if (obvious !== undefined || secret === undefined) return obvious;
  const log10 = guessesLog10(secret);
  if (new Set(secret).size < 12 || log10 < MIN_SECRET_GUESSES_LOG10) {
    const bits = Math.floor(log10 * Math.log2(10));
    return `is guessable: made of a pattern, sequence, keyboard walk or words, worth about 2^${bits} guesses where 2^80 is the least — ${GENERATE_HINT}`;
  }
  return undefined;
}

/**
 * The part of `secretWeakness` that needs no password-strength estimate: length, spaces, known example
 * values and placeholder words. Exported so that tests can hold it to thousands of random secrets quickly.
 */
export function obviousSecretWeakness(secret: string | undefined): string | undefined {
  if (secret === undefined || secret.length === 0) return `is required in production — ${GENERATE_HINT}`;
  if (secret.length < 32) return `must be at least 32 characters in production (got ${secret.length}) — ${GENERATE_HINT}`;
  // Spaces and tabs, not line breaks: `openssl rand -base64 64` wraps its output at 64 characters.
  if (/[\t\p{Zs}]/u.test(secret)) return `contains spaces: a generated secret has none; words separated by spaces are guessable — ${GENERATE_HINT}`;
  const plain = normalized(secret);
  if (KNOWN_EXAMPLE_VALUES.some((value) => plain.includes(value))) {
    return `contains a well-known example value (the SHA-256 of nothing, RFC 4122's example UUID or zero bytes), public and guessable — ${GENERATE_HINT}`;
  }
  const placeholder = PLACEHOLDER_SECRETS.find((p) => plain.includes(p));
  if (placeholder) return `looks like a placeholder (contains "${placeholder}") — ${GENERATE_HINT}`;
  return undefined;
}

/** The production rule of a secret that may be left unset. */
export function optionalSecretWeakness(secret: string | undefined): string | undefined {
  return secret === undefined ? undefined : secretWeakness(secret);
}
