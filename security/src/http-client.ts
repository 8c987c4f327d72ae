import { Pool } from 'undici';

export interface RawRequest {
  readonly method: string;
  /** Path and query, already encoded as they should go on the wire. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface HttpClientOptions {
  /** Keep-alive connections at most: the bound on requests in flight. */
  readonly connections?: number;
  /** No answer within this long counts as a hang. */
  readonly timeoutMs?: number;
  /** Connect from this loopback address (127.0.0.0/8), to be another client IP. */
  readonly localAddress?: string;
}

/**
 * Keep-alive HTTP to one server, sending exactly what it is given: any method may carry a body, headers go as
 * written, and the answer comes back as text whatever its status.
 */
export class HttpClient {
  private readonly pool: Pool;

  constructor(
    readonly origin: string,
    options: HttpClientOptions = {},
  ) {
    const timeout = options.timeoutMs ?? 15_000;
    this.pool = new Pool(origin, {
      connections: options.connections ?? 8,
      keepAliveTimeout: 30_000,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
  }

  async send(request: RawRequest): Promise<RawResponse> {
    const response = await this.pool.request({
      method: request.method,
      path: request.path,
      headers: { ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const text = await response.body.text();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { status: response.statusCode, headers, text };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
