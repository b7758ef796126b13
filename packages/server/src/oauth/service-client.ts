/** A service allowed to obtain access tokens of its own (client credentials) and to introspect and revoke tokens. */
export interface ServiceClientRecord {
  /** Unique among services not revoked; how operators name it. */
  name: string;
  /** RFC 6749 client identifier: random, never reused. */
  clientId: string;
  /** SHA-256 of the client secret (base64url): the secret is 256 random bits, shown once. */
  secretHash: string;
  /** The `aud` of its tokens when its token requests name no `resource`; null: they must name one. */
  audience: string | null;
  createdAt: number;
  revokedAt: number | null;
  /** Since when the service may exchange its signed-in users for token pairs (RFC 8693); null: it may not. */
  tokenExchangeAt: number | null;
}

/** Where service clients are kept. */
export interface ServiceClientRepository {
  /** Stores a new client; throws `ServiceNameTakenError` when a service of that name is active. */
  insert(record: ServiceClientRecord): Promise<void>;
  findByClientId(clientId: string): Promise<ServiceClientRecord | null>;
  /** Every client, active and revoked, oldest first. */
  list(): Promise<ServiceClientRecord[]>;
  /** Revokes the active service of that name; returns it, or null when there is none. */
  revoke(name: string, now: number): Promise<ServiceClientRecord | null>;
  /** Allows (`since` an instant) or forbids (null) token exchange for the active service of that name; null when there is none. */
  setTokenExchange(name: string, since: number | null): Promise<ServiceClientRecord | null>;
}
