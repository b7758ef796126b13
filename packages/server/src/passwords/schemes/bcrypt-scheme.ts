import { verify } from '@node-rs/bcrypt';
import { UnusableHashError } from '../../errors.js';
import { within, type HashScheme } from './hash-scheme.js';

// $2a$ / $2b$ / $2y$ (PHP's name for 2b), cost, 22 + 31 characters of bcrypt's base64.
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
// Django stores plain bcrypt as `bcrypt$<hash>`.
const DJANGO_PREFIX = 'bcrypt$';

/** Cost 15 and more took seconds a check (`hash-scheme.ts`): at 16, one wrong guess took 9 s. */
const MAX_BCRYPT_COST = 14;

/** bcrypt, verified by `@node-rs/bcrypt`. */
export const bcryptScheme: HashScheme = {
  name: 'bcrypt',
  read(text) {
    const hash = text.startsWith(DJANGO_PREFIX) ? text.slice(DJANGO_PREFIX.length) : text;
    if (!hash.startsWith('$2')) return undefined;
    const match = BCRYPT.exec(hash);
    if (!match) throw new UnusableHashError('bcrypt hash is malformed (expected $2a$, $2b$ or $2y$, a cost and 53 characters)');
    within(Number(match[1]), 4, MAX_BCRYPT_COST, 'bcrypt cost');
    return hash;
  },
  owns: (stored) => stored.startsWith('$2'),
  verify: (stored, password) => verify(password, stored),
};
