import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../tokens/refresh-family.js';

const MAX_USER_AGENT = 512;

/** The caller's address (as TRUST_PROXY resolves it) and User-Agent, for device lists and audit. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  const ip = request.ip?.startsWith('::ffff:') ? request.ip.slice(7) : request.ip;
  return { ip: ip ?? null, userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null };
}
