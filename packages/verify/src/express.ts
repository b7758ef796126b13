import { authorizeCaller, readBearerToken, refusalAnswer, type RequireOptions } from './bearer.js';
import type { Caller, Verifier } from './create-verifier.js';

/** The parts of Express's request and response this middleware uses (Express 4 and 5 alike). */
interface ExpressRequest {
  headers: { authorization?: string | undefined };
  rawHeaders?: string[];
  caller?: Caller;
}
interface ExpressResponse {
  status(code: number): this;
  set(headers: Record<string, string>): this;
  json(body: unknown): unknown;
}
type Next = (error?: unknown) => void;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified caller (`sub`, `role`, `jti`, …), set by `requireAccessToken`. */
      caller?: import('./create-verifier.js').Caller;
    }
  }
}

export type { RequireOptions };

/**
 * Express middleware: a valid, unrevoked Tessera access token sets `req.caller`; anything else is
 * answered as Tessera answers it — 401 `invalid_token` / `unauthorized` or 403 `insufficient_scope`,
 * with the RFC 6750 `WWW-Authenticate` header and a JSON `{error, error_description}` body.
 */
export function requireAccessToken(verifier: Verifier, options: RequireOptions = {}) {
  return function tesseraAuth(req: ExpressRequest, res: ExpressResponse, next: Next): void {
    authenticate(verifier, req, options).then(
      (caller) => {
        req.caller = caller;
        next();
      },
      (error: unknown) => {
        const answer = refusalAnswer(error);
        res.status(answer.status).set(answer.headers).json(answer.body);
      },
    );
  };
}

async function authenticate(verifier: Verifier, req: ExpressRequest, options: RequireOptions): Promise<Caller> {
  const caller = await verifier.verify(readBearerToken(req.headers.authorization, req.rawHeaders));
  authorizeCaller(caller, options);
  return caller;
}

export { createVerifier } from './create-verifier.js';
