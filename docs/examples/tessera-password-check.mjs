// Your old app's side of Tessera's lazy migration (LEGACY_AUTH_URL): Tessera asks it whether a
// password is right for a user it does not know yet. `findUser` and `checkPassword` are your app's own.
import express from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text) => createHash('sha256').update(text).digest();

export function tesseraPasswordCheck({ secret, findUser, checkPassword }) {
  const router = express.Router();
  router.post('/tessera/check-password', express.json({ limit: '8kb' }), async (req, res) => {
    // Only Tessera knows the shared secret (LEGACY_AUTH_SECRET); compared in constant time.
    if (!timingSafeEqual(digest(req.get('authorization') ?? ''), digest(`Bearer ${secret}`))) return res.sendStatus(403);
    const { username, password } = req.body ?? {};
    const user = typeof username === 'string' ? await findUser(username) : undefined;
    if (!user || typeof password !== 'string' || !(await checkPassword(user, password))) return res.json({ valid: false });
    res.json({ valid: true, role: user.role, email: user.email });
  });
  return router;
}
