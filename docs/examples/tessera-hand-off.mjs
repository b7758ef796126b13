// Your app's side of the session hand-off: a user signed in to your app (its own express-session)
// gets a Tessera token pair without typing a password again. Mount it after your session middleware.
import express from 'express';

export function tesseraHandOff({ tesseraUrl, clientId, clientSecret }) {
  const credentials = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  const router = express.Router();
  router.post('/tessera/hand-off', async (req, res) => {
    const user = req.session.user; // what your login put in the session
    if (!user) return res.status(401).json({ error: 'not signed in' });
    const answer = await fetch(`${tesseraUrl}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${credentials}` },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: user.username,
        subject_token_type: 'urn:tessera:params:oauth:token-type:username',
      }),
    });
    // 200: the token pair, for your client. 403 jwt_not_enabled: not in the rollout yet, keep the session.
    res.status(answer.status).set('cache-control', 'no-store').json(await answer.json());
  });
  return router;
}
