import { Agent, request } from 'undici';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
}

export interface HttpClient {
  call(method: 'GET' | 'POST', url: string, options?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<HttpResponse>;
  close(): Promise<void>;
}

/**
 * A real HTTP client whose connections leave from `localAddress`: any address in 127.0.0.0/8 is this
 * machine, so tests can play several clients with different IPs.
 */
export function httpClient(localAddress = '127.0.0.1'): HttpClient {
  const agent = new Agent({ localAddress });
  return {
    async call(method, url, options = {}) {
      const response = await request(url, {
        method,
        dispatcher: agent,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, json: text ? (JSON.parse(text) as unknown) : undefined };
    },
    close: () => agent.close(),
  };
}
