import { SignJWT, errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { toSeconds, type Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import type { FamilyRepository } from '../store/store.js';
import type { KeyRing } from '../tokens/key-ring.js';

/** Media type in the header of a re-authentication proof: never an access or refresh token. */
export const REAUTH_PROOF_TYPE = 'reauth+jwt';
/** How long a proof holds: several destructive actions in a row ask for the password once. */
export const REAUTH_PROOF_TTL_SECONDS = 300;
/** The request header that carries a proof. */
export const REAUTH_HEADER = 'tessera-reauth';

/**
 * The credential a request was made with, as far as re-authentication cares: whose it is, when its
 * password was proven, and what it is (an access token by its `jti`, a legacy session by its id).
 */
export type ReauthCredential = { userId: string; authTime: number | undefined } & (
  | { via: 'jwt'; jti: string }
  | { via: 'session'; sessionId: string }
);

export interface ReauthProofOptions {
  keyRing: KeyRing;
  clock: Clock;
  issuer: string;
  /** REAUTH_MAX_AGE in seconds: a password proven this recently needs no proof. */
  maxAgeSeconds: number;
  /** Which login an access token belongs to: the proof is bound to it. */
  families: Pick<FamilyRepository, 'findByAccessToken'>;
}

const REQUIRED = `Confirm your password first: POST /api/me/reauth answers a reauth_token, valid ${REAUTH_PROOF_TTL_SECONDS / 60} minutes; send it in the Tessera-Reauth header (or log in again with the password)`;
const REFUSED = `${REQUIRED} (the one sent is expired, made for another login or user, or not a proof)`;

/**
 * Recent re-authentication (OIDC `auth_time` / `max_age`): a credential whose password was proven
 * within REAUTH_MAX_AGE passes; any other needs a proof that the user typed their password again a
 * moment ago (`POST /api/me/reauth`). Proofs are short-lived JWTs under the server-only refresh key
 * (HS256, `typ: reauth+jwt`) for one user and one login — the refresh-token family (`fid`) of the
 * access token, or the session (`sid`), that asked for it — so a copied proof is useless with any other
 * token. Signed by jose, checked by jose's `jwtVerify` against our own clock.
 */
export class ReauthProofs {
  constructor(private readonly options: ReauthProofOptions) {}

  /** Throws `reauth_required` unless the password behind `credential` is recent or `proof` is a live proof for it. */
  async requireRecent(credential: ReauthCredential, proof: string | undefined): Promise<void> {
    if (this.isRecent(credential.authTime)) return;
    if (!proof) throw new TesseraError('reauth_required', REQUIRED);
    const binding = await this.verify(proof, credential.userId);
    if (!(await this.belongsTo(binding, credential))) throw new TesseraError('reauth_required', REFUSED);
  }

  /** A proof for the login `credential` belongs to, valid five minutes. */
  async issue(credential: ReauthCredential): Promise<{ token: string; expiresIn: number }> {
    const { kid, alg, key } = this.options.keyRing.signingKey('refresh');
    const now = toSeconds(this.options.clock.now());
    const token = await new SignJWT(await this.bindingOf(credential))
      .setProtectedHeader({ alg, kid, typ: REAUTH_PROOF_TYPE })
      .setIssuer(this.options.issuer)
      .setSubject(credential.userId)
      .setIssuedAt(now)
      .setExpirationTime(now + REAUTH_PROOF_TTL_SECONDS)
      .sign(key);
    return { token, expiresIn: REAUTH_PROOF_TTL_SECONDS };
  }

  private isRecent(authTime: number | undefined): boolean {
    const { maxAgeSeconds, clock } = this.options;
    return authTime !== undefined && maxAgeSeconds > 0 && clock.now() - authTime <= maxAgeSeconds * 1000;
  }

  /** `fid` for an access token (its login's family), `sid` for a session; an access token of no login gets neither. */
  private async bindingOf(credential: ReauthCredential): Promise<{ fid?: string; sid?: string }> {
    if (credential.via === 'session') return { sid: credential.sessionId };
    const family = await this.options.families.findByAccessToken(credential.jti);
    if (!family) throw new TesseraError('reauth_required', 'Only the access token of a login can confirm a password: log in with the password');
    return { fid: family.id };
  }

  private async belongsTo(binding: JWTPayload, credential: ReauthCredential): Promise<boolean> {
    if (credential.via === 'session') return typeof binding.sid === 'string' && binding.sid === credential.sessionId;
    if (typeof binding.fid !== 'string') return false;
    const family = await this.options.families.findByAccessToken(credential.jti);
    return family?.id === binding.fid;
  }

  private async verify(token: string, userId: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyFor(header), {
        issuer: this.options.issuer,
        subject: userId,
        typ: REAUTH_PROOF_TYPE,
        requiredClaims: ['iat', 'exp', 'sub'],
        currentDate: new Date(this.options.clock.now()),
        clockTolerance: 0,
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TesseraError) throw new TesseraError('reauth_required', REFUSED);
      throw error;
    }
  }

  private async keyFor(header: JWTHeaderParameters) {
    const found = typeof header.kid === 'string' ? await this.options.keyRing.findVerificationKey(header.kid, 'refresh') : undefined;
    if (!found || found.alg !== header.alg) throw new TesseraError('reauth_required', REQUIRED);
    return found.key;
  }
}
