import proxyAddr from '@fastify/proxy-addr';
import type { TrustProxy } from '../config.js';

/** Says whether the address `hop` steps from us (0: the TCP peer) is a proxy we trust. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as one function, given both to Fastify (client addresses from X-Forwarded-For) and to
 * what else believes a proxy's word: request ids, the per-client connection cap. A hop count trusts
 * the nearest N proxies; a list is compiled the way Fastify would compile it.
 */
export function proxyTrust(trust: TrustProxy): ProxyTrust {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyAddr.compile(trust);
}

/** Whether the TCP peer of a connection is a proxy we trust. */
export const peerIsTrusted = (trust: ProxyTrust, address: string | undefined): boolean =>
  address !== undefined && trust(address, 0);
