import type {
  Alert,
  AlertChanges,
  Page,
  Problem,
  SubscriptionResult,
  TokenResponse,
} from '@tidewatch/shared';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB } from './harness.ts';
import { dataOf, eventually, TestSocket } from './realtime-client.ts';

// A key of the test's own, so it can make tokens that expire when it wants.
const KEY = Buffer.alloc(32, 7);

type Tenant = typeof tenantA;

describe('the realtime gateway', () => {
  let server: RunningServer;
  let api: Api;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      ACCESS_TOKEN_KEY: KEY.toString('base64'),
      REALTIME_REVALIDATE_MS: '200',
      REALTIME_COALESCE_MS: '50',
      INGEST_DEVICE_CACHE_MS: '0',
      // No background alert jobs: every alert change in these tests is one the test made.
      ALERT_JOB_INTERVAL_MS: '3600000',
    });
    api = new Api(server.url);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  async function connect(email: string, extra: { lastSequence?: number; tenantId?: string } = {}) {
    const socket = await TestSocket.connect(server.url, { token: await api.tokenFor(email), ...extra });
    sockets.push(socket);
    return socket;
  }

  async function userId(email: string): Promise<string> {
    const rows = await adminQuery<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
    return rows[0]?.id ?? '';
  }

  async function openAlerts(tenant: Tenant): Promise<Alert[]> {
    const page = await api.request<Page<Alert>>('GET', '/api/v1/alerts?open=true&limit=500', {
      token: await api.tokenFor(tenant.email('supervisor')),
    });
    expect(page.status).toBe(200);
    return page.body.items;
  }

  /** The tenant slug of each alert id, to prove what a socket received. */
  async function tenantsOf(alertIds: readonly string[]): Promise<Set<string>> {
    const rows = await adminQuery<{ slug: string }>(
      'SELECT DISTINCT t.slug FROM alerts a JOIN tenants t ON t.id = a.tenant_id WHERE a.id = ANY($1::uuid[])',
      [alertIds],
    );
    return new Set(rows.map((row) => row.slug));
  }

  const comment = async (tenant: Tenant, alertId: string, text: string) => {
    const response = await api.request<Alert>('POST', `/api/v1/alerts/${alertId}/comments`, {
      token: await api.tokenFor(tenant.email('supervisor')),
      body: { comment: text },
    });
    expect(response.status).toBe(201);
  };

  /** A token of a new session of `email` that expires `inSeconds` from now (negative: already expired). */
  async function tokenExpiringIn(
    email: string,
    inSeconds: number,
  ): Promise<{ token: string; refreshToken: string }> {
    const session = await api.login(email);
    const claims = decodeJwt(session.accessToken);
    const token = await new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(claims.sub))
      .setIssuer('tidewatch')
      .setAudience('tidewatch-api')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + inSeconds)
      .sign(KEY);
    return { token, refreshToken: session.refreshToken };
  }

  /** A device of the test's own with a level series, on an asset of `zoneId` (or none). */
  async function device(tenant: Tenant, zoneId: string | null) {
    const asset = zoneId
      ? (
          await adminQuery<{ id: string }>(
            "SELECT id FROM assets WHERE zone_id = $1 AND kind <> 'pipeline' ORDER BY code LIMIT 1",
            [zoneId],
          )
        )[0]?.id
      : null;
    const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
      'POST',
      '/api/v1/devices',
      {
        token: await api.tokenFor(tenant.email('admin')),
        body: {
          name: `Realtime test ${String(Date.now())}`,
          metricKeys: ['level_cm'],
          assetId: asset ?? null,
        },
      },
    );
    expect(created.status).toBe(201);
    const { device: made, secret } = created.body;
    return {
      id: made.id,
      seriesId: made.series[0]?.id ?? 0,
      async send(readings: readonly (readonly [number, number])[]) {
        const now = Date.now();
        const response = await api.request('POST', '/api/v1/ingest', {
          headers: { authorization: `Basic ${Buffer.from(`${made.id}:${secret}`).toString('base64')}` },
          body: readings.map(([secondsAgo, value]) => ({
            ts: now - secondsAgo * 1000,
            values: { level_cm: value },
          })),
        });
        expect(response.status).toBe(202);
      },
    };
  }

  async function zonesOf(tenant: Tenant): Promise<string[]> {
    const rows = await adminQuery<{ id: string }>(
      'SELECT z.id FROM zones z JOIN tenants t ON t.id = z.tenant_id WHERE t.slug = $1 ORDER BY z.code',
      [tenant.slug],
    );
    return rows.map((row) => row.id);
  }

  it('refuses a connection without a valid token and sends it nothing', async () => {
    const problems: Problem[] = [];
    const { token: expired } = await tokenExpiringIn(tenantB.email('operator'), -10);
    for (const auth of [
      undefined,
      {},
      { token: 'not-a-token-at-all' },
      { token: `${expired.slice(0, -4)}AAAA` },
      { token: expired },
    ]) {
      const { problem, received } = await TestSocket.refused(server.url, auth);
      expect(received).toEqual([]);
      problems.push(problem);
    }
    const superAdmin = await TestSocket.refused(server.url, {
      token: await api.tokenFor('superadmin@tidewatch.example'),
    });

    expect(problems.map((p) => p.type)).toEqual(Array(5).fill('urn:tidewatch:problem:unauthenticated'));
    expect(problems.at(-1)?.detail).toBe('The access token has expired');
    expect(superAdmin.problem.type).toBe('urn:tidewatch:problem:tenant_required');
  });

  it("an operator's acknowledgement over the socket reaches the other operator's socket, and no other tenant's", async () => {
    const first = await connect(tenantB.email('operator'));
    const second = await connect(tenantB.email('operator2'));
    const otherTenant = await connect(tenantA.email('supervisor'));
    const alert = (await openAlerts(tenantB)).find((a) => a.state === 'active_unacknowledged');
    if (!alert) throw new Error('the demo has an unacknowledged alert');

    const answer = await first.request('alert:acknowledge', { id: alert.id, comment: 'Crew on the way' });
    const seen = await second.waitFor('alert', (e) => e.alert.id === alert.id);
    await first.waitFor('alert', (e) => e.alert.id === alert.id);

    expect(dataOf(answer).state).toBe('active_acknowledged');
    expect(seen.alert.state).toBe('active_acknowledged');
    expect(seen.alert.acknowledgedBy).toBe(await userId(tenantB.email('operator')));
    expect(seen.sequence).toBeGreaterThan(second.ready?.sequence ?? Infinity);
    const foreign = otherTenant.all('alert').map((e) => e.alert.id);
    expect(foreign.length === 0 || !(await tenantsOf(foreign)).has(tenantB.slug)).toBe(true);
  });

  it('a zone-limited operator receives alerts of their zones only, and cannot act on others', async () => {
    const zoneOperator = await connect(tenantB.email('zone-operator'));
    const wholeTenant = await connect(tenantB.email('viewer'));
    const zones = zoneOperator.ready?.zoneIds ?? [];
    const alerts = await openAlerts(tenantB);
    const inside = alerts.find((a) => a.zoneId !== null && zones.includes(a.zoneId));
    const outside = alerts.find((a) => a.zoneId === null || !zones.includes(a.zoneId));
    if (!inside || !outside) throw new Error('the demo has alerts inside and outside the zone');

    await comment(tenantB, outside.id, 'Outside the zone');
    await comment(tenantB, inside.id, 'Inside the zone');
    await zoneOperator.waitFor('alert', (e) => e.alert.id === inside.id);
    await wholeTenant.waitFor('alert', (e) => e.alert.id === inside.id);
    const refused = await zoneOperator.request('alert:comment', { id: outside.id, comment: 'Not mine' });

    expect(zones.length).toBeGreaterThan(0);
    expect(wholeTenant.all('alert').some((e) => e.alert.id === outside.id)).toBe(true);
    expect(zoneOperator.all('alert').some((e) => e.alert.id === outside.id)).toBe(false);
    expect(refused.ok ? null : refused.problem.status).toBe(404);
  });

  it('checks requests as REST does: permission, payload and acknowledgement', async () => {
    const viewer = await connect(tenantB.email('viewer'));
    const operator = await connect(tenantB.email('operator'));
    const alert = (await openAlerts(tenantB))[0];
    if (!alert) throw new Error('the demo has open alerts');

    const forbidden = await viewer.request('alert:acknowledge', { id: alert.id });
    const malformed = (await operator.raw('alert:acknowledge', 'nonsense')) as {
      ok: boolean;
      problem: Problem;
    };
    const unknownField = (await operator.raw('alert:shelve', {
      id: alert.id,
      durationS: 600,
      reason: 'x',
      y: 1,
    })) as {
      ok: boolean;
      problem: Problem;
    };
    const tooLong = await operator.request('alert:shelve', {
      id: alert.id,
      durationS: 7200,
      reason: 'Night',
    });
    // No acknowledgement callback: refused and counted.
    (operator.socket.emit as (event: string, payload: unknown) => void)('alert:comment', {
      id: alert.id,
      comment: 'x',
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();

    expect(forbidden.ok ? null : forbidden.problem).toMatchObject({
      status: 403,
      type: 'urn:tidewatch:problem:forbidden',
    });
    expect(malformed.problem).toMatchObject({ status: 400, type: 'urn:tidewatch:problem:validation_failed' });
    expect(unknownField.problem.status).toBe(400);
    expect(tooLong.ok ? null : tooLong.problem.status).toBe(403);
    expect(metrics).toMatch(/realtime_requests_total\{event="alert:acknowledge",status="403"\} 1/);
    expect(metrics).toMatch(/realtime_requests_total\{event="alert:comment",status="400"\} 1/);
    expect(viewer.socket.connected && operator.socket.connected).toBe(true);
  });

  it('sends telemetry only for visible series, coalesced to the latest reading', async () => {
    const own = await device(tenantB, null);
    const hyderabad = await connect(tenantB.email('operator'));
    const pune = await connect(tenantA.email('operator'));

    const foreign = dataOf(await pune.request('telemetry:subscribe', { seriesIds: [own.seriesId] }));
    const mine = dataOf(
      await hyderabad.request('telemetry:subscribe', { seriesIds: [own.seriesId, 2_000_000_000] }),
    );
    await own.send([
      [5, 150],
      [4, 151],
      [1, 154],
      [3, 152],
      [2, 153],
    ]);
    const live = await hyderabad.waitFor('telemetry');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const unsubscribed = dataOf(
      await hyderabad.request('telemetry:unsubscribe', { seriesIds: [own.seriesId] }),
    );
    await own.send([[0, 155]]);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(foreign).toEqual<SubscriptionResult>({ subscribed: [], refused: [own.seriesId] });
    expect(mine).toEqual<SubscriptionResult>({ subscribed: [own.seriesId], refused: [2_000_000_000] });
    expect(live.readings).toEqual([[own.seriesId, expect.any(Number), 154]]);
    expect(hyderabad.all('telemetry').flatMap((t) => t.readings)).toHaveLength(1);
    expect(unsubscribed.subscribed).toEqual([]);
    expect(pune.all('telemetry')).toEqual([]);
  });

  it('a zone-limited user cannot subscribe to series outside their zones', async () => {
    const zoneOperator = await connect(tenantB.email('zone-operator'));
    const [inside] = zoneOperator.ready?.zoneIds ?? [];
    const outside = (await zonesOf(tenantB)).find((zone) => zone !== inside) ?? null;
    const near = await device(tenantB, inside ?? null);
    const far = await device(tenantB, outside);

    const answer = dataOf(
      await zoneOperator.request('telemetry:subscribe', { seriesIds: [near.seriesId, far.seriesId] }),
    );

    expect(answer).toEqual({ subscribed: [near.seriesId], refused: [far.seriesId] });
  });

  it('shares telemetry among sockets that see the same series, and never carries a series one may not see', async () => {
    const whole = await connect(tenantB.email('operator'));
    const sameScope = await connect(tenantB.email('operator'));
    const zoneOperator = await connect(tenantB.email('zone-operator'));
    const pune = await connect(tenantA.email('operator'));
    const [inside] = zoneOperator.ready?.zoneIds ?? [];
    const outside = (await zonesOf(tenantB)).find((zone) => zone !== inside) ?? null;
    const near = await device(tenantB, inside ?? null);
    const far = await device(tenantB, outside);
    const elsewhere = await device(tenantA, null);

    dataOf(await whole.request('telemetry:subscribe', { seriesIds: [near.seriesId, far.seriesId] }));
    dataOf(await sameScope.request('telemetry:subscribe', { seriesIds: [near.seriesId] }));
    const limited = dataOf(
      await zoneOperator.request('telemetry:subscribe', { seriesIds: [near.seriesId, far.seriesId] }),
    );
    dataOf(await pune.request('telemetry:subscribe', { seriesIds: [elsewhere.seriesId] }));
    await Promise.all([near.send([[0, 101]]), far.send([[0, 102]]), elsewhere.send([[0, 103]])]);
    await Promise.all([whole, sameScope, zoneOperator, pune].map((socket) => socket.waitFor('telemetry')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seriesOf = (socket: TestSocket) =>
      new Set(socket.all('telemetry').flatMap((t) => t.readings.map((reading) => reading[0])));

    expect(limited.refused).toEqual([far.seriesId]);
    expect([...seriesOf(whole)].sort()).toEqual([near.seriesId, far.seriesId].sort());
    // Same tenant, role and zones: it may be handed `far` with the other's message; it may see it.
    expect(seriesOf(sameScope).has(near.seriesId)).toBe(true);
    expect([...seriesOf(sameScope)].every((id) => id === near.seriesId || id === far.seriesId)).toBe(true);
    expect([...seriesOf(zoneOperator)]).toEqual([near.seriesId]);
    expect([...seriesOf(pune)]).toEqual([elsewhere.seriesId]);
  });

  it('a reconnecting client receives the alert changes it missed', async () => {
    const [one, two] = await openAlerts(tenantB);
    if (!one || !two) throw new Error('the demo has two open alerts');
    const before = await connect(tenantB.email('operator'));
    const lastSequence = before.lastSequence();
    before.close();

    await comment(tenantB, one.id, 'Missed one');
    await comment(tenantB, two.id, 'Missed two');
    const after = await connect(tenantB.email('operator'), { lastSequence });
    const resync = dataOf(await after.request('alerts:resync', { after: lastSequence }));
    const lost = await connect(tenantB.email('operator'), { lastSequence: 1_000_000_000 });

    const replayed = after.all('alert');
    expect(replayed.map((e) => e.alert.id)).toEqual(expect.arrayContaining([one.id, two.id]));
    expect(after.ready).toMatchObject({ replayed: replayed.length, reload: false });
    expect(after.ready?.sequence).toBeGreaterThanOrEqual(lastSequence + 2);
    // The replay came before session:ready.
    expect(after.received.findIndex((r) => r.event === 'session:ready')).toBe(after.received.length - 1);
    expect(resync).toMatchObject<Partial<AlertChanges>>({
      more: false,
      lastSequence: after.ready?.sequence ?? 0,
    });
    expect(lost.ready).toMatchObject({ reload: true, replayed: 0 });
  });

  it('an incident and a device coming back online reach the tenant, and nobody else', async () => {
    const own = await device(tenantB, null);
    const hyderabad = await connect(tenantB.email('operator'));
    const pune = await connect(tenantA.email('operator'));
    await adminQuery(
      `INSERT INTO device_downtimes (tenant_id, device_id, started_at, reason)
       SELECT tenant_id, id, now() - interval '1 hour', 'test' FROM devices WHERE id = $1`,
      [own.id],
    );

    const incident = await api.request<{ id: string }>('POST', '/api/v1/incidents', {
      token: await api.tokenFor(tenantB.email('operator')),
      body: { title: 'Realtime incident', priority: 'high' },
    });
    await own.send([[0, 150]]);
    const opened = await hyderabad.waitFor('incident', (e) => e.incident.id === incident.body.id);
    const online = await hyderabad.waitFor('device:status', (e) => e.deviceId === own.id);
    server.bus.emit('alert.flood', {
      tenantId: hyderabad.ready?.tenantId ?? '',
      active: true,
      count: 12,
      at: Date.now(),
    });
    await hyderabad.waitFor('flood');
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(incident.status).toBe(201);
    expect(opened.incident.title).toBe('Realtime incident');
    expect(online).toMatchObject({ connectivity: 'online', assetId: null, zoneId: null });
    expect(pune.all('incident')).toEqual([]);
    expect(pune.all('device:status').filter((e) => e.deviceId === own.id)).toEqual([]);
    expect(pune.all('flood')).toEqual([]);
  });

  it('follows role and zone changes, and closes when the user is disabled or signs out', async () => {
    const email = tenantA.email('operator2');
    const id = await userId(email);
    const admin = await api.tokenFor(tenantA.email('admin'));
    const patch = (body: object) => api.request('PATCH', `/api/v1/users/${id}`, { token: admin, body });
    const [zone, otherZone] = await zonesOf(tenantA);
    const far = await device(tenantA, otherZone ?? null);
    const socket = await connect(email);
    dataOf(await socket.request('telemetry:subscribe', { seriesIds: [far.seriesId] }));

    await patch({ role: 'viewer' });
    const demoted = await socket.waitFor('session:changed', (e) => e.role === 'viewer');
    const refused = await socket.request('alert:acknowledge', { id: '00000000-0000-4000-8000-000000000000' });
    await patch({ role: 'operator', zoneIds: [zone] });
    const limited = await socket.waitFor('session:changed', (e) => e.zoneIds.length === 1);
    await patch({ zoneIds: [] });
    await socket.waitFor('session:changed', (e) => e.role === 'operator' && e.zoneIds.length === 0);
    await patch({ disabled: true });
    const ended = await socket.waitFor('session:ended');
    await patch({ disabled: false });
    await eventually(() => (socket.socket.disconnected ? true : undefined));

    const session = await api.login(email);
    const signedIn = await TestSocket.connect(server.url, { token: session.accessToken });
    sockets.push(signedIn);
    await api.request('POST', '/api/v1/auth/logout', { token: session.accessToken });
    const signedOut = await signedIn.waitFor('session:ended');

    expect(demoted.zoneIds).toEqual([]);
    expect(refused.ok ? null : refused.problem.status).toBe(403);
    expect(limited).toMatchObject({ zoneIds: [zone], droppedSeriesIds: [far.seriesId] });
    expect(ended.reason).toBe('revoked');
    expect(signedOut.reason).toBe('revoked');
  });

  it('closes a socket when its token expires, unless the client renews it', async () => {
    const email = tenantA.email('operator');
    const expiring = await TestSocket.connect(server.url, { token: (await tokenExpiringIn(email, 2)).token });
    const session = await tokenExpiringIn(email, 2);
    const renewed = await TestSocket.connect(server.url, { token: session.token });
    sockets.push(expiring, renewed);

    const refreshed = await api.request<TokenResponse>('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: session.refreshToken },
    });
    const renewal = await renewed.request('session:renew', { token: refreshed.body.accessToken });
    const stranger = await renewed.request('session:renew', { token: await api.tokenFor(email) });
    const ended = await expiring.waitFor('session:ended', () => true, 5000);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    expect(ended.reason).toBe('token_expired');
    expect(Date.parse(dataOf(renewal).expiresAt)).toBeGreaterThan(Date.now() + 60_000);
    expect(stranger.ok ? null : stranger.problem.status).toBe(401);
    expect(renewed.socket.connected).toBe(true);
    expect(renewed.all('session:ended')).toEqual([]);
  });
  it('tells its sockets on shutdown and closes promptly, even with a client that does not read', async () => {
    const stopping = await startTestServer();
    const stoppingApi = new Api(stopping.url);
    const token = await stoppingApi.tokenFor(tenantB.email('operator'));
    const reading = await TestSocket.connect(stopping.url, { token });
    const stalled = await TestSocket.connect(stopping.url, { token });
    sockets.push(reading, stalled);
    (
      stalled.socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }
    ).ws._socket.pause();

    const started = Date.now();
    await stopping.close();

    expect(Date.now() - started).toBeLessThan(5000);
    expect((await reading.waitFor('session:ended')).reason).toBe('server_shutdown');
    await eventually(() => (reading.socket.disconnected ? true : undefined));
  });
});
