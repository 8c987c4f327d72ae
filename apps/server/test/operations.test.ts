import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
