import { parseOptions, verify } from '@node-rs/argon2';
import { UnusableHashError } from '../../errors.js';
import { within, type HashScheme } from './hash-scheme.js';

const ARGON2 = /^\$argon2(?:i|d|id)\$/;
// Django stores `argon2$argon2id$v=19$…`.
const DJANGO_PREFIX = 'argon2$';

/** m × t in KiB (`hash-scheme.ts`): 256 MiB × 4 passes, 64 MiB × 16, … (OWASP's m=19 MiB, t=2 is 38 MiB). */
const MAX_WORK_KIB = 1024 * 1024;

/** argon2i, argon2d and argon2id in their standard encoding, verified by `@node-rs/argon2`. */

export const argon2Scheme: HashScheme = {
  name: 'argon2',
  read(text) {
    const hash = text.startsWith(DJANGO_PREFIX) ? `$${text.slice(DJANGO_PREFIX.length)}` : text;
    if (!ARGON2.test(hash)) return undefined;
    let options: ReturnType<typeof parseOptions>;
    try {
      options = parseOptions(hash);
    } catch {
      throw new UnusableHashError('argon2 hash is malformed');
    }
    within(options.memoryCost, 8, 262_144, 'argon2 memory (m, KiB)');
    within(options.timeCost, 1, 16, 'argon2 iterations (t)');
    within(options.parallelism, 1, 16, 'argon2 parallelism (p)');
    if (options.memoryCost * options.timeCost > MAX_WORK_KIB) {
      throw new UnusableHashError('argon2 parameters need more than 1 GiB of work (m × t) per check');
    }
    return hash;
  },
  owns: (stored) => ARGON2.test(stored),
  // an unparsable stored hash never matches
  verify: (stored, password) => verify(stored, password).catch(() => false),
};
