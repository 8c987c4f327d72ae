import {
  alertDetailSchema,
  alertSchema,
  assetCollectionSchema,
  assetFeatureSchema,
  pageOf,
  type Alert,
  type AssetCollection,
  type Page,
} from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantB, tenantId } from './harness.ts';

describe('alert and asset lists serialized by PostgreSQL', () => {
  let server: RunningServer;
  let api: Api;
  let token: string;
  let tenant: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    token = await api.tokenFor(tenantB.email('operator'));
    tenant = await tenantId(tenantB.slug);
  });
  afterAll(async () => {
    await server.close();
  });

  it('match the response schemas field for field', async () => {
    const alerts = await api.request<Page<Alert>>('GET', '/api/v1/alerts?limit=5', { token });
    const detail = await api.request<Record<string, unknown>>(
      'GET',
      `/api/v1/alerts/${alerts.body.items[0]?.id ?? ''}`,
      { token },
    );
    const assets = await api.request<AssetCollection>('GET', '/api/v1/assets?limit=5&kind=pipeline', {
      token,
    });

    expect(pageOf(alertSchema).parse(alerts.body)).toEqual(alerts.body);
    expect(Object.keys(alerts.body.items[0] ?? {}).sort()).toEqual(Object.keys(alertSchema.shape).sort());
    expect(alertDetailSchema.parse(detail.body)).toEqual(detail.body);
    expect(assetCollectionSchema.parse(assets.body)).toEqual(assets.body);
    expect(Object.keys(assets.body.features[0]?.properties ?? {}).sort()).toEqual(
      Object.keys(assetFeatureSchema.shape.properties.shape).sort(),
    );
    expect(alerts.body.items[0]?.raisedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('pages through every alert once, newest first', async () => {
    const seen: Alert[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page<Alert> } = await api.request<Page<Alert>>(
        'GET',
        `/api/v1/alerts?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const [count] = await adminQuery<{ count: string }>('SELECT count(*) FROM alerts WHERE tenant_id = $1', [
      tenant,
    ]);

    expect(seen.length).toBe(Number(count?.count));
    expect(new Set(seen.map((a) => a.id)).size).toBe(seen.length);
    const times = seen.map((a) => a.raisedAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('filters by open, state and priority', async () => {
    const open = await api.request<Page<Alert>>('GET', '/api/v1/alerts?open=true&limit=500', { token });
    const critical = await api.request<Page<Alert>>(
      'GET',
      '/api/v1/alerts?priority=critical,high&limit=500',
      { token },
    );
    const returned = await api.request<Page<Alert>>('GET', '/api/v1/alerts?state=returned_unacknowledged', {
      token,
    });
    const [expected] = await adminQuery<{ count: string }>(
      'SELECT count(*) FROM alerts WHERE tenant_id = $1 AND closed_at IS NULL',
      [tenant],
    );

    expect(open.body.items.length).toBe(Number(expected?.count));
    expect(open.body.items.every((a) => a.closedAt === null)).toBe(true);
    expect(critical.body.items.every((a) => ['critical', 'high'].includes(a.priority))).toBe(true);
    expect(returned.body.items.length).toBeGreaterThan(0);
    expect(returned.body.items.every((a) => a.state === 'returned_unacknowledged')).toBe(true);
  });

  it('shows an alert with its whole history', async () => {
    const [closed] = await adminQuery<{ id: string; n: string }>(
      `SELECT a.id, count(t.id) AS n FROM alerts a JOIN alert_transitions t ON t.alert_id = a.id
        WHERE a.tenant_id = $1 AND a.closed_at IS NOT NULL GROUP BY a.id LIMIT 1`,
      [tenant],
    );

    const detail = await api.request<{ transitions: { toState: string }[] }>(
      'GET',
      `/api/v1/alerts/${closed?.id ?? ''}`,
      { token },
    );

    expect(detail.body.transitions.length).toBe(Number(closed?.n));
    expect(detail.body.transitions.at(-1)?.toState).toBe('normal');
  });
});
