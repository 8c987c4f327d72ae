import { randomUUID } from 'node:crypto';
import { DEFAULT_DEMO_PASSWORD, demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { TokenResponse } from '@tidewatch/shared';
import type pg from 'pg';
import { inject } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { adminQuery as adminQueryAt } from '../src/testing/admin-query.ts';
import { testSecretKeyFile } from '../src/testing/secret-key-file.ts';
import { startServer, type RunningServer } from '../src/server.ts';

export const DEMO_PASSWORD = DEFAULT_DEMO_PASSWORD;
export const [hyderabad, pune] = demoTenants;

/** Tenant A is Pune, tenant B is Hyderabad (the one with the binding and the incident). */
export const tenantA = { slug: pune.slug, email: (local: string) => demoEmail(local, pune) };
export const tenantB = { slug: hyderabad.slug, email: (local: string) => demoEmail(local, hyderabad) };

/** Starts the real server on port 0 against the run's seeded database. */
export async function startTestServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    // The machine's development key, given explicitly so a test may run the server as in production.
    TIDEWATCH_SECRET_KEY_FILE: await testSecretKeyFile(),
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MQTT_PORT: '0',
    DATABASE_URL: inject('appUrl'),
    LOGIN_RATE_LIMIT_PER_IP: '100000',
    // Every test signs in from 127.0.0.1 and the throttle's counts live in the run's database: lifted, so only
    // the tests about throttling meet it.
    LOGIN_THROTTLE_PAIR_FAILURES: '1000000',
    LOGIN_THROTTLE_ADDRESS_FAILURES: '1000000',
    LOGIN_THROTTLE_ACCOUNT_FAILURES: '1000000',
    // Tests make many devices and wrong secrets from one address, and sign many in at once: device sign-in
    // limits and the hashing line are lifted unless a test sets them.
    DEVICE_SIGNIN_PAIR_FAILURES: '1000000',
    DEVICE_SIGNIN_ADDRESS_FAILURES: '1000000',
    DEVICE_SIGNIN_DEVICE_FAILURES: '1000000',
    CREDENTIAL_CHECKS_WAITING: '1000000',
    // Tests expect the seeded network frozen: the demo simulator runs only where a test asks for it.
    SIMULATOR: 'off',
    // Yesterday's report would be made (once per database) by whichever test's server came first.
    DAILY_REPORT: 'off',
    ...env,
  });
  return startServer(config, createLogger('silent', false));
}

/**
 * Instances of the server on the run's database, sharing Socket.IO through Redis on a channel prefix of the
 * run's own (other runs on the same Redis hear nothing of it), with the rule and device caches off so a change
 * made on one is seen by all at once, and no background alert jobs. `envOf` adds each instance's own settings.
 */
export async function startInstances(
  count: number,
  redisUrl: string,
  envOf: (index: number) => Record<string, string> = () => ({}),
): Promise<RunningServer[]> {
  const prefix = `tidewatch-test-${randomUUID()}`;
  const instances: RunningServer[] = [];
  for (let i = 0; i < count; i += 1) {
    instances.push(
      await startTestServer({
        REDIS_URL: redisUrl,
        REALTIME_REDIS_PREFIX: prefix,
        ALERT_RULE_CACHE_MS: '0',
        INGEST_DEVICE_CACHE_MS: '0',
        ALERT_JOB_INTERVAL_MS: '3600000',
        ...envOf(i),
      }),
    );
  }
  return instances;
}

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is, for malformed bodies. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

/** A thin fetch wrapper that returns status, parsed body and headers. */
export class Api {
  private readonly tokens = new Map<string, TokenResponse>();

  constructor(readonly baseUrl: string) {}

  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  async login(email: string, password = DEMO_PASSWORD): Promise<TokenResponse> {
    const response = await this.request<TokenResponse>('POST', '/api/v1/auth/login', {
      body: { email, password },
    });
    if (response.status !== 200)
      throw new Error(`login ${email}: ${String(response.status)} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** A token for a demo user, logging in once per test file. */
  async tokenFor(email: string): Promise<string> {
    const cached = this.tokens.get(email);
    if (cached) return cached.accessToken;
    const tokens = await this.login(email);
    this.tokens.set(email, tokens);
    return tokens.accessToken;
  }
}

/** An owner connection, for arranging and checking data behind the API's back. */
export const adminQuery = <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> =>
  adminQueryAt<T>(inject('adminUrl'), sql, params);

export async function tenantId(slug: string): Promise<string> {
  const rows = await adminQuery<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
  if (!rows[0]) throw new Error(`no tenant ${slug}`);
  return rows[0].id;
}
