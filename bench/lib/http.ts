import { Agent, type Dispatcher } from 'undici';

/** A reply as the scenarios read it; `body` is a getter (parsed on first read), not a plain property. */
export interface Reply {
  readonly status: number;
  readonly ms: number;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
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
    return new TextReply(response.statusCode, performance.now() - started, text, response.headers);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * A reply whose body is parsed as JSON when first read (the text if it is not JSON). Most replies are
 * pages of users that only their status is checked for; parsing each one cost the load generator about a
 * tenth of its CPU and much of its garbage, time its event loop then took from every other request.
 */
class TextReply implements Reply {
  #text: string | undefined;
  #value: unknown;

  constructor(
    readonly status: number,
    readonly ms: number,
    text: string,
    readonly headers: Record<string, string | string[] | undefined>,
  ) {
    this.#text = text;
  }

  get body(): unknown {
    const text = this.#text;
    if (text !== undefined) {
      this.#text = undefined;
      try {
        this.#value = text ? JSON.parse(text) : null;
      } catch {
        this.#value = text; // not JSON: keep the text
      }
    }
    return this.#value;
  }
}
