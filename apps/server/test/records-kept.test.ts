import type {
  AlertRule,
  AssetFeature,
  Incident,
  MapLayers,
  Me,
  Page,
  Problem,
  User,
  Zone,
} from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInFirstTime } from './account-fixtures.ts';
import { AlertTestKit, type TestDevice } from './alert-fixtures.ts';
import { adminQuery, tenantA, tenantId } from './harness.ts';

/** Codes of this run, so the test finds only its own rows. */
const PREFIX = `RK${String(Date.now())}`;

const square = (lng: number, lat: number) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [lng, lat],
      [lng + 0.01, lat],
      [lng + 0.01, lat + 0.01],
      [lng, lat + 0.01],
      [lng, lat],
    ],
  ],
});

describe('records that removing things does not erase', () => {
  let kit: AlertTestKit;
  let admin: string;
  let supervisor: string;
  let tenant: string;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
    admin = await kit.token('admin');
    supervisor = await kit.token('supervisor');
    tenant = await tenantId(tenantA.slug);
  });
  afterAll(async () => {
    await kit.close();
  });

  const call = <T = unknown>(token: string, method: string, path: string, body?: unknown) =>
    kit.api.request<T>(method, `/api/v1${path}`, { token, ...(body === undefined ? {} : { body }) });

  async function zone(code: string, lng: number): Promise<Zone> {
    const created = await call<Zone>(admin, 'POST', '/zones', {
      code: `${PREFIX}-${code}`,
      name: `Zone ${code}`,
      geometry: square(lng, 18.6),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body;
  }

  async function asset(code: string, zoneId: string | null, lng = 73.95): Promise<AssetFeature> {
    const created = await call<AssetFeature>(admin, 'POST', '/assets', {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [lng, 18.605] },
      properties: { code: `${PREFIX}-${code}`, name: `Tank ${code}`, kind: 'tank', zoneId },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body;
  }

  /** A device on `assetId` whose level rule has raised one alert (and returned it): history that names all three. */
  async function raisedAlert(assetId: string | null): Promise<{ device: TestDevice; rule: AlertRule }> {
    const device = await kit.device(['level_cm'], assetId);
    const rule = await kit.rule({ condition: 'high', seriesId: device.series.level_cm ?? 0, setpoint: 100 });
    await kit.send(device, 'level_cm', [
      [120, 130],
      [60, 90],
    ]);
    expect(await kit.alertsOf(rule)).toHaveLength(1);
    return { device, rule };
  }

  const historyOf = async (ruleId: string) =>
    (
      await adminQuery<{ alerts: number; transitions: number }>(
        `SELECT count(DISTINCT a.id)::int AS alerts, count(t.id)::int AS transitions
           FROM alerts a LEFT JOIN alert_transitions t ON t.alert_id = a.id WHERE a.rule_id = $1`,
        [ruleId],
      )
    )[0];

  it('archives an alert rule that raised alerts: its alerts and transitions stay, it never evaluates again', async () => {
    const { device, rule } = await raisedAlert(null);
    const before = await historyOf(rule.id);

    const removed = await call(supervisor, 'DELETE', `/alert-rules/${rule.id}`);

    expect(removed.status).toBe(204);
    expect(await historyOf(rule.id)).toEqual({
      alerts: before?.alerts,
      // The open alert closed, with who archived the rule on its last transition.
      transitions: (before?.transitions ?? 0) + 1,
    });
    const [alert] = await kit.alertsOf(rule);
    expect(alert?.state).toBe('normal');
    const last = (await kit.transitions(alert?.id ?? '')).at(-1);
    expect(last).toMatchObject({ to: 'normal', comment: 'Alert rule archived' });

    const archived = await call<AlertRule>(supervisor, 'GET', `/alert-rules/${rule.id}`);
    expect(archived.body).toMatchObject({ enabled: false });
    expect(archived.body.archivedAt).not.toBeNull();
    const live = await call<Page<AlertRule>>(supervisor, 'GET', '/alert-rules?limit=500');
    expect(live.body.items.map((r) => r.id)).not.toContain(rule.id);
    const listed = await call<Page<AlertRule>>(supervisor, 'GET', '/alert-rules?archived=true&limit=500');
    expect(listed.body.items.map((r) => r.id)).toContain(rule.id);
    expect(
      (await call<Problem>(supervisor, 'PATCH', `/alert-rules/${rule.id}`, { enabled: true })).status,
    ).toBe(409);
    expect((await call(supervisor, 'DELETE', `/alert-rules/${rule.id}`)).status).toBe(409);

    await kit.send(device, 'level_cm', [[30, 150]]);
    expect(await kit.alertsOf(rule)).toHaveLength(1);
    const audit = await adminQuery<{ action: string }>(
      'SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id DESC LIMIT 1',
      [rule.id],
    );
    expect(audit[0]?.action).toBe('alert_rule.archive');
  });

  it('deletes an alert rule that never raised an alert', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({ condition: 'high', seriesId: device.series.level_cm ?? 0, setpoint: 100 });

    expect((await call(supervisor, 'DELETE', `/alert-rules/${rule.id}`)).status).toBe(204);

    expect((await call(supervisor, 'GET', `/alert-rules/${rule.id}`)).status).toBe(404);
    expect(await adminQuery('SELECT 1 FROM alert_rules WHERE id = $1', [rule.id])).toEqual([]);
  });

  it('archives an asset that history names: off the map and lists, devices unbound, its code free again', async () => {
    const tank = await asset('TANK', null);
    const { device } = await raisedAlert(tank.id);

    expect((await call(admin, 'DELETE', `/assets/${tank.id}`)).status).toBe(204);

    const alerts = await adminQuery<{ asset_id: string }>(
      'SELECT asset_id FROM alerts WHERE device_id = $1',
      [device.id],
    );
    expect(alerts.map((a) => a.asset_id)).toEqual([tank.id]);
    const kept = await call<AssetFeature>(admin, 'GET', `/assets/${tank.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body.properties.archivedAt).not.toBeNull();
    const code = tank.properties.code;
    const live = await call<{ features: AssetFeature[] }>(admin, 'GET', `/assets?q=${code}`);
    expect(live.body.features).toEqual([]);
    const archived = await call<{ features: AssetFeature[] }>(
      admin,
      'GET',
      `/assets?q=${code}&archived=true`,
    );
    expect(archived.body.features.map((f) => f.id)).toEqual([tank.id]);
    const layers = await call<MapLayers>(admin, 'GET', '/map/layers');
    expect(layers.body.points.ids).not.toContain(tank.id);
    const exported = await call<{ features: AssetFeature[] }>(admin, 'GET', `/assets/export?q=${code}`);
    expect(exported.body.features).toEqual([]);
    const bound = await adminQuery<{ asset_id: string | null }>(
      'SELECT asset_id FROM devices WHERE id = $1',
      [device.id],
    );
    expect(bound[0]?.asset_id).toBeNull();
    expect((await call(admin, 'PATCH', `/assets/${tank.id}`, { name: 'Renamed' })).status).toBe(409);

    const again = await asset('TANK', null);
    expect(again.id).not.toBe(tank.id);
  });

  it('deletes an asset that nothing names', async () => {
    const valve = await asset('LONE', null);
    expect((await call(admin, 'DELETE', `/assets/${valve.id}`)).status).toBe(204);
    expect((await call(admin, 'GET', `/assets/${valve.id}`)).status).toBe(404);
  });

  it('archives a zone with history or limited users: a user limited to it stays limited, never sees the whole tenant', async () => {
    const own = await zone('Z-HIST', 73.95);
    const tank = await asset('ZTANK', own.id, 73.955);
    await raisedAlert(tank.id);
    const created = await call<User>(admin, 'POST', '/users', {
      email: `${PREFIX.toLowerCase()}-limited@pune-east.example`,
      displayName: 'Limited to one zone',
      role: 'viewer',
      password: 'a-long-enough-password',
      zoneIds: [own.id],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    expect((await call(admin, 'DELETE', `/zones/${own.id}`)).status).toBe(204);

    const { tokens } = await signInFirstTime(kit.api, {
      user: created.body,
      email: created.body.email,
      password: 'a-long-enough-password',
    });
    const viewer = tokens.accessToken;
    const me = await call<Me>(viewer, 'GET', '/me');
    expect(me.body.zoneIds).toEqual([own.id]);
    const seen = await call<{ features: AssetFeature[] }>(viewer, 'GET', '/assets?limit=500');
    expect(seen.body.features).toEqual([]);
    const kept = await call<Zone>(admin, 'GET', `/zones/${own.id}`);
    expect(kept.body.archivedAt).not.toBeNull();
    const listed = await call<Page<Zone>>(admin, 'GET', '/zones?limit=500');
    expect(listed.body.items.map((z) => z.id)).not.toContain(own.id);
    const archived = await call<Page<Zone>>(admin, 'GET', '/zones?archived=true&limit=500');
    expect(archived.body.items.map((z) => z.id)).toContain(own.id);
    const alertZones = await adminQuery<{ zone_id: string }>(
      'SELECT zone_id FROM alerts WHERE asset_id = $1',
      [tank.id],
    );
    expect(alertZones.map((a) => a.zone_id)).toEqual([own.id]);
    // The code is free for a new zone (removed again: other test files count the tenant's zones).
    const again = await zone('Z-HIST', 73.97);
    expect((await call(admin, 'DELETE', `/zones/${again.id}`)).status).toBe(204);
  });

  it('deletes a zone nothing names', async () => {
    const lone = await zone('Z-LONE', 73.99);
    expect((await call(admin, 'DELETE', `/zones/${lone.id}`)).status).toBe(204);
    expect((await call(admin, 'GET', `/zones/${lone.id}`)).status).toBe(404);
  });

  it('puts whole-network exports on the audit record: the asset GeoJSON and the trend CSV', async () => {
    const exported = await call(admin, 'GET', '/assets/export?kind=tank');
    expect(exported.status).toBe(200);
    const series = await adminQuery<{ id: number }>('SELECT id FROM series WHERE tenant_id = $1 LIMIT 1', [
      tenant,
    ]);
    const to = new Date().toISOString();
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const csv = await call(
      admin,
      'GET',
      `/telemetry?series=${String(series[0]?.id)}&from=${from}&to=${to}&format=csv`,
    );
    expect(csv.status).toBe(200);

    const audit = await adminQuery<{ action: string; details: Record<string, unknown> }>(
      `SELECT action, details FROM audit_log WHERE tenant_id = $1 AND action IN ('asset.export', 'telemetry.export')
        ORDER BY id DESC LIMIT 2`,
      [tenant],
    );
    expect(audit.map((a) => a.action).sort()).toEqual(['asset.export', 'telemetry.export']);
    expect(audit.find((a) => a.action === 'asset.export')?.details).toMatchObject({ kind: 'tank' });
    expect(audit.find((a) => a.action === 'telemetry.export')?.details).toMatchObject({
      series: [series[0]?.id],
    });
  });

  it('puts a change of a notification rule on the audit record, with what it was before', async () => {
    const created = await call<{ rule: { id: string } }>(supervisor, 'POST', '/notification-rules', {
      channel: 'email',
      target: 'duty-desk@utility.example',
      minPriority: 'high',
    });
    expect(created.status).toBe(201);
    const id = created.body.rule.id;

    const changed = await call(supervisor, 'PATCH', `/notification-rules/${id}`, {
      minPriority: 'low',
      enabled: false,
    });
    expect(changed.status).toBe(200);

    const audit = await adminQuery<{ details: Record<string, unknown>; actor_id: string }>(
      `SELECT details, actor_id FROM audit_log WHERE action = 'notification_rule.update' AND resource_id = $1`,
      [id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({
      changes: { minPriority: 'low', enabled: false },
      previous: { minPriority: 'high', enabled: true },
    });
  });
});

describe('zone limits hold', () => {
  let kit: AlertTestKit;
  let admin: string;
  let mine: string;
  let other: string;
  let limitedAdmin: { id: string; token: string };

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
    admin = await kit.token('admin');
    const zones = await adminQuery<{ id: string }>(
      `SELECT id FROM zones WHERE tenant_id = $1 AND code NOT LIKE 'RK%' ORDER BY code LIMIT 2`,
      [await tenantId(tenantA.slug)],
    );
    mine = zones[0]?.id ?? '';
    other = zones[1]?.id ?? '';
    const email = `${PREFIX.toLowerCase()}-zone-admin@pune-east.example`;
    const created = await kit.api.request<User>('POST', '/api/v1/users', {
      token: admin,
      body: {
        email,
        displayName: 'Zone admin',
        role: 'tenant_admin',
        password: 'a-long-enough-password',
        zoneIds: [mine],
      },
    });
    expect(created.status).toBe(201);
    const { tokens } = await signInFirstTime(kit.api, {
      user: created.body,
      email,
      password: 'a-long-enough-password',
    });
    limitedAdmin = { id: created.body.id, token: tokens.accessToken };
  });
  afterAll(async () => {
    await kit.close();
  });

  const call = <T = unknown>(token: string, method: string, path: string, body?: unknown) =>
    kit.api.request<T>(method, `/api/v1${path}`, { token, ...(body === undefined ? {} : { body }) });

  it('keeps a zone-limited admin from changing or removing a zone outside their set', async () => {
    expect((await call(limitedAdmin.token, 'DELETE', `/zones/${other}`)).status).toBe(404);
    expect((await call(limitedAdmin.token, 'PATCH', `/zones/${other}`, { name: 'Mine now' })).status).toBe(
      404,
    );
    const still = await adminQuery<{ archived_at: Date | null; name: string }>(
      'SELECT archived_at, name FROM zones WHERE id = $1',
      [other],
    );
    expect(still[0]?.archived_at).toBeNull();
    expect(still[0]?.name).not.toBe('Mine now');
  });

  it('keeps a zone-limited admin from lifting or widening a limit, their own or anyone’s', async () => {
    const attempts: [string, string, unknown][] = [
      ['PATCH', `/users/${limitedAdmin.id}`, { zoneIds: [] }],
      ['PATCH', `/users/${limitedAdmin.id}`, { zoneIds: [mine, other] }],
      [
        'POST',
        '/users',
        {
          email: `${PREFIX.toLowerCase()}-wide@pune-east.example`,
          displayName: 'Wide',
          role: 'operator',
          password: 'a-long-enough-password',
          zoneIds: [],
        },
      ],
      [
        'POST',
        '/users',
        {
          email: `${PREFIX.toLowerCase()}-other@pune-east.example`,
          displayName: 'Other',
          role: 'operator',
          password: 'a-long-enough-password',
          zoneIds: [other],
        },
      ],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await call<Problem>(limitedAdmin.token, method, path, body);
      expect([400, 403], `${method} ${path} ${JSON.stringify(body)}`).toContain(answer.status);
    }
    const me = await call<Me>(limitedAdmin.token, 'GET', '/me');
    expect(me.body.zoneIds).toEqual([mine]);
    const made = await adminQuery('SELECT 1 FROM users WHERE email LIKE $1', [
      `${PREFIX.toLowerCase()}-wide%`,
    ]);
    expect(made).toEqual([]);
  });

  it('keeps a zone-limited user from linking another zone’s alert to an incident', async () => {
    const theirs = await adminQuery<{ id: string }>(
      'SELECT id FROM alerts WHERE zone_id = $1 ORDER BY raised_at DESC LIMIT 1',
      [other],
    );
    const ownAlert = await adminQuery<{ id: string }>(
      'SELECT id FROM alerts WHERE zone_id = $1 ORDER BY raised_at DESC LIMIT 1',
      [mine],
    );
    const foreign = theirs[0]?.id ?? '';
    expect(foreign).not.toBe('');
    const opened = await call<Problem>(limitedAdmin.token, 'POST', '/incidents', {
      title: 'Pulls in another zone',
      priority: 'low',
      alertIds: [foreign],
    });
    expect(opened.status).toBe(400);
    const own = await call<Incident>(limitedAdmin.token, 'POST', '/incidents', {
      title: 'Our own',
      priority: 'low',
      zoneId: mine,
      alertIds: ownAlert[0] ? [ownAlert[0].id] : [],
    });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    const linked = await call<Problem>(limitedAdmin.token, 'PATCH', `/incidents/${own.body.id}`, {
      addAlertIds: [foreign],
    });
    expect(linked.status).toBe(400);
    expect(
      await adminQuery('SELECT 1 FROM incident_alerts WHERE alert_id = $1 AND incident_id = $2', [
        foreign,
        own.body.id,
      ]),
    ).toEqual([]);
  });
});
