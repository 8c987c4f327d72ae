import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { RunningServer } from '../src/server.ts';
import { Api, startTestServer, tenantA } from './harness.ts';

describe('operations', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startTestServer({ CORS_ORIGINS: 'http://console.example:5173' });
    api = new Api(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers liveness and readiness', async () => {
    const live = await api.request('GET', '/health/live');
    const ready = await api.request<{ checks: Record<string, boolean> }>('GET', '/health/ready');

    expect(live.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: true, broker: true, accepting: true });
  });

  it('returns a request id on every response, keeping a sane one the caller sent', async () => {
    const given = await api.request('GET', '/health/live', { headers: { 'x-request-id': 'trace-12345678' } });
    const made = await api.request('GET', '/api/v1/nothing-here');
    const insane = await api.request('GET', '/health/live', {
      headers: { 'x-request-id': 'bad id\twith tabs' },
    });

    expect(given.headers.get('x-request-id')).toBe('trace-12345678');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((made.body as { requestId: string }).requestId).toBe(made.headers.get('x-request-id'));
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes request latency by route, errors and pool usage to Prometheus', async () => {
    const token = await api.tokenFor(tenantA.email('operator'));
    await api.request('GET', '/api/v1/alerts', { token });
    await api.request('GET', '/api/v1/alerts/not-a-uuid', { token });

    const metrics = await api.request<string>('GET', '/metrics');

    expect(metrics.body).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/alerts"[^}]*status="200"/,
    );
    expect(metrics.body).toMatch(/http_errors_total\{code="validation_failed"\} [1-9]/);
    for (const pool of ['api', 'ingest', 'jobs'])
      expect(metrics.body).toMatch(new RegExp(`db_pool_connections\\{pool="${pool}",state="total"\\} [0-9]`));
    expect(metrics.body).toMatch(/auth_login_attempts_total\{outcome="success"\} [1-9]/);
  });

  it('allows the console origin and no other, and sets the security headers', async () => {
    const allowed = await api.request('GET', '/api/v1/openapi.json', {
      headers: { origin: 'http://console.example:5173' },
    });
    const foreign = await api.request('GET', '/api/v1/openapi.json', {
      headers: { origin: 'http://evil.example' },
    });

    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://console.example:5173');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('x-powered-by')).toBeNull();
  });

  it('drains a request in flight on shutdown, then refuses new connections', async () => {
    const other = await startTestServer();
    const client = new Api(other.url);
    const token = await client.tokenFor(tenantA.email('operator'));

    // Shut down the moment the server has the request in hand.
    const closing = new Promise<void>((resolve, reject) => {
      other.server.once('request', () => {
        other.close(5000).then(resolve, reject);
      });
    });
    const response = await client.request('GET', '/api/v1/assets?limit=500', { token });
    await closing;

    expect(response.status).toBe(200);
    await expect(fetch(`${other.url}/health/live`)).rejects.toThrow();
  });
});

/** The machine's first non-loopback IPv4 address: a scraper elsewhere on the network reaches the server by it. */
const lan = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;

const TOKEN = 'metrics-token-0123456789abcdef0123456789abcdef';

describe('who may read /metrics', () => {
  const started: RunningServer[] = [];

  /** A server listening on every address (the demo's published logins would otherwise keep it on loopback). */
  async function serverWith(env: Record<string, string>): Promise<{ local: string; remote: string }> {
    const server = await startTestServer({ HOST: '0.0.0.0', DEMO_EXPOSE: 'true', ...env });
    started.push(server);
    const port = new URL(server.url).port;
    return {
      local: `http://127.0.0.1:${port}/metrics`,
      remote: `http://${lan ?? '127.0.0.1'}:${port}/metrics`,
    };
  }
  const scrape = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { headers });
    const body = await response.text();
    return { status: response.status, body, challenge: response.headers.get('www-authenticate') };
  };

  afterAll(async () => {
    await Promise.all(started.map((server) => server.close()));
  });

  it.skipIf(!lan)('answers this machine, and 403 to another without a token configured', async () => {
    const { local, remote } = await serverWith({});

    expect((await scrape(local)).status).toBe(200);
    expect(await scrape(remote)).toMatchObject({ status: 403, challenge: null });
    // Not a proxy it was told to trust: the header is the client's own word.
    expect((await scrape(remote, { 'x-forwarded-for': '127.0.0.1' })).status).toBe(403);
  });

  it.skipIf(!lan)('answers METRICS_ALLOW_NETWORKS', async () => {
    const { remote } = await serverWith({ METRICS_ALLOW_NETWORKS: `198.51.100.0/24, ${String(lan)}/32` });

    const answer = await scrape(remote);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/db_pool_connections/);
  });

  it.skipIf(!lan)(
    'answers the bearer METRICS_TOKEN, and 401 with a challenge to a missing or wrong one',
    async () => {
      const { remote } = await serverWith({ METRICS_TOKEN: TOKEN });

      const missing = await scrape(remote);
      const wrong = await scrape(remote, { authorization: `Bearer ${TOKEN.slice(0, -1)}x` });
      const basic = await scrape(remote, {
        authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
      });
      const right = await scrape(remote, { authorization: `Bearer ${TOKEN}` });

      expect([missing.status, wrong.status, basic.status]).toEqual([401, 401, 401]);
      expect(missing.challenge).toMatch(/^Bearer realm=/);
      expect(right.status).toBe(200);
      expect(right.body).toMatch(/http_request_duration_seconds/);
    },
  );

  it('takes the address from X-Forwarded-For only behind a trusted proxy', async () => {
    const { local } = await serverWith({ TRUST_PROXY: 'loopback' });

    expect((await scrape(local)).status).toBe(200);
    expect((await scrape(local, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
  });

  it('refuses a METRICS_TOKEN shorter than 32 characters and a malformed network', () => {
    const base = { DATABASE_URL: 'postgresql://tidewatch_app@127.0.0.1/x' };
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short-token' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ ...base, METRICS_ALLOW_NETWORKS: '10.0.0.0/40' })).toThrow(
      /METRICS_ALLOW_NETWORKS/,
    );
  });
});
