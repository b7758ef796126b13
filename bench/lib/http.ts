import { Agent, type Dispatcher } from 'undici';

export interface Reply {
  status: number;
  ms: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The load generator's HTTP client: undici over a bounded pool of keep-alive connections shared by all
 * virtual users (a virtual user is a client identity and a loop, not a socket).
 */
export class HttpClient {
  private readonly agent: Dispatcher;

  constructor(
    private readonly origin: string,
    connections: number,
  ) {
    this.agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  async send(method: 'GET' | 'POST', path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
    const started = performance.now();
    const response = await this.agent.request({
      origin: this.origin,
      method,
      path,
      headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.body !== undefined ? JSON.stringify(options.body) : null,
    });
    const text = await response.body.text();
    const ms = performance.now() - started;
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.statusCode, ms, body, headers: response.headers };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
