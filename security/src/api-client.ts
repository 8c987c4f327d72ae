import { DEFAULT_DEMO_PASSWORD } from '@tidewatch/db/testing';
import type { TokenResponse } from '@tidewatch/shared';
import { HttpClient, type HttpClientOptions } from './http-client.ts';

export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface ApiCall {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** JSON over the HTTP client, for arranging fixtures and for the targeted attacks. */
export class ApiClient {
  readonly http: HttpClient;

  constructor(
    readonly baseUrl: string,
    options: HttpClientOptions = {},
  ) {
    this.http = new HttpClient(baseUrl, options);
  }

  async call<T = unknown>(method: string, path: string, options: ApiCall = {}): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await this.http.send({
      method,
      path,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    let parsed: unknown = response.text;
    try {
      parsed = response.text === '' ? null : JSON.parse(response.text);
    } catch {
      // Not JSON (CSV, metrics): keep the text.
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text: response.text };
  }

  /** Signs in and fails loudly, for fixtures. */
  async login(email: string, password = DEFAULT_DEMO_PASSWORD): Promise<TokenResponse> {
    const answer = await this.call<TokenResponse>('POST', '/api/v1/auth/login', {
      body: { email, password },
    });
    if (answer.status !== 200) throw new Error(`login ${email}: ${String(answer.status)} ${answer.text}`);
    return answer.body;
  }

  /** Like `call`, but anything other than `expected` is an error: for arranging, not for asserting. */
  async expect<T = unknown>(
    expected: number,
    method: string,
    path: string,
    options: ApiCall = {},
  ): Promise<T> {
    const answer = await this.call<T>(method, path, options);
    if (answer.status !== expected) {
      throw new Error(
        `${method} ${path}: expected ${String(expected)}, got ${String(answer.status)} ${answer.text}`,
      );
    }
    return answer.body;
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
