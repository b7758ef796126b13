import type { ClientInfo } from '../tokens/refresh-family.js';

/** A token request as `POST /oauth/token` received it: the form parameters and the authenticated client. */
export interface TokenRequest<Client> {
  client: Client;
  /** Form parameters; a parameter sent twice has every value, in order. */
  params: Record<string, string | string[] | undefined>;
  /** Where the request came from (address, User-Agent), for the audit trail and a new login's device entry. */
  from: ClientInfo;
}

/** RFC 6749 §5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  [extra: string]: unknown;
}

export type GrantHandler<Client> = (request: TokenRequest<Client>) => Promise<TokenResponse>;

/**
 * The grant types `POST /oauth/token` accepts, one handler each (`client_credentials`, and whatever a
 * later feature registers, such as RFC 8693 token exchange). The discovery documents list the same set.
 */
export class TokenGrants<Client> {
  private readonly handlers = new Map<string, GrantHandler<Client>>();

  register(grantType: string, handler: GrantHandler<Client>): this {
    if (this.handlers.has(grantType)) throw new Error(`grant type ${grantType} registered twice`);
    this.handlers.set(grantType, handler);
    return this;
  }

  get types(): string[] {
    return [...this.handlers.keys()];
  }

  handler(grantType: string): GrantHandler<Client> | undefined {
    return this.handlers.get(grantType);
  }
}
