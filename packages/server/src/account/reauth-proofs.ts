import { SignJWT, errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { toSeconds, type Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import type { KeyRing } from '../tokens/key-ring.js';

/** Media type in the header of a re-authentication proof: never an access or refresh token. */
export const REAUTH_PROOF_TYPE = 'reauth+jwt';
/** How long a proof holds: several destructive actions in a row ask for the password once. */
export const REAUTH_PROOF_TTL_SECONDS = 300;
/** The request header that carries a proof. */
export const REAUTH_HEADER = 'tessera-reauth';

export interface ReauthProofOptions {
  keyRing: KeyRing;
  clock: Clock;
  issuer: string;
}

const REQUIRED = `Confirm your password first: POST /api/me/reauth answers a reauth_token, valid ${REAUTH_PROOF_TTL_SECONDS / 60} minutes; send it in the Tessera-Reauth header`;

/**
 * Proofs that a user typed their password again a moment ago (`POST /api/me/reauth`): short-lived JWTs
 * under the server-only refresh key (HS256, `typ: reauth+jwt`), for that user only. Any instance checks
 * one without a database; signed by jose, checked by jose's `jwtVerify` against our own clock.
 */
export class ReauthProofs {
  constructor(private readonly options: ReauthProofOptions) {}

  async issue(userId: string): Promise<{ token: string; expiresIn: number }> {
    const { kid, alg, key } = this.options.keyRing.signingKey('refresh');
    const now = toSeconds(this.options.clock.now());
    const token = await new SignJWT({})
      .setProtectedHeader({ alg, kid, typ: REAUTH_PROOF_TYPE })
      .setIssuer(this.options.issuer)
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + REAUTH_PROOF_TTL_SECONDS)
      .sign(key);
    return { token, expiresIn: REAUTH_PROOF_TTL_SECONDS };
  }

  /** Throws `reauth_required` unless `token` is a live proof for `userId`. */
  async check(token: string | undefined, userId: string): Promise<void> {
    if (!token) throw new TesseraError('reauth_required', REQUIRED);
    try {
      await jwtVerify(token, (header) => this.keyFor(header), {
        issuer: this.options.issuer,
        subject: userId,
        typ: REAUTH_PROOF_TYPE,
        requiredClaims: ['iat', 'exp', 'sub'],
        currentDate: new Date(this.options.clock.now()),
        clockTolerance: 0,
      });
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TesseraError) {
        throw new TesseraError('reauth_required', `${REQUIRED} (the one sent is expired, another user's, or not a proof)`);
      }
      throw error;
    }
  }

  private async keyFor(header: JWTHeaderParameters) {
    const found = typeof header.kid === 'string' ? await this.options.keyRing.findVerificationKey(header.kid, 'refresh') : undefined;
    if (!found || found.alg !== header.alg) throw new TesseraError('reauth_required', REQUIRED);
    return found.key;
  }
}
