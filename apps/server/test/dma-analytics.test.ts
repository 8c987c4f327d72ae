import type { AlertRulePreview, Dma, DmaBalance, DmaLeague, DmaNights, Zone } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit, type TestDevice } from './alert-fixtures.ts';
import { adminQuery, Api, tenantA, tenantB, tenantId } from './harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Tenant A keeps Indian time: UTC+05:30 all year, so local hours begin at half past in UTC. */
const OFFSET = 330 * MINUTE;
const CONNECTIONS = 500;
const LEGITIMATE_PER_CONNECTION = 2;
const LEAK_LPM = 8;

const localHour = (t: number): number => new Date(t + OFFSET).getUTCHours();
/** Days since 1970 of the local date: the night number, so flows vary from night to night as the test sets. */
const localDay = (t: number): number => Math.floor((t + OFFSET) / DAY);
const localMidnight = (day: number): number => day * DAY - OFFSET;
const isoDate = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);

/**
 * The synthetic DMA, in litres per minute, constant within each local hour: two inlets and an outlet, busy by
 * day and quiet in the 02:00-04:00 window (hour 2 a little above hour 3), varying by a known step from night to
 * night; from local midnight of the leak night, inlet A carries a burst of 8 L/min more for good.
 */
function flows(t: number, leakFrom: number): { a: number; b: number; out: number } {
  const hour = localHour(t);
  const night = hour === 2 || hour === 3;
  const wobble = localDay(t) % 3;
  return {
    a: (night ? (hour === 2 ? 30 : 28) + wobble : 400) + (t >= leakFrom ? LEAK_LPM : 0),
    b: night ? 12 : 150,
    out: night ? 5 : 50,
  };
}

describe('district metered areas: water balance, night flow, leakage and the night-flow step rule', () => {
  let kit: AlertTestKit;
  let zone: Zone;
  let meters: { a: TestDevice; b: TestDevice; out: TestDevice };
  const today = localDay(Date.now());
  /** The burst starts at local midnight two nights ago: the night of `today - 2` is the first with it. */
  const leakNight = today - 2;
  const leakFrom = localMidnight(leakNight);
  const firstDay = today - 24;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA, { ALERT_NIGHT_FLOW_INTERVAL_MS: '0' });
    const admin = await kit.token('admin');
    const created = await kit.api.request<Zone>('POST', '/api/v1/zones', {
      token: admin,
      body: {
        code: `DMA-TEST-${String(Date.now())}`,
        name: 'Test DMA',
        kind: 'dma',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [73.9, 18.5],
              [73.91, 18.5],
              [73.91, 18.51],
              [73.9, 18.5],
            ],
          ],
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    zone = created.body;
    meters = {
      a: await kit.device(['flow_lpm']),
      b: await kit.device(['flow_lpm']),
      out: await kit.device(['flow_lpm']),
    };
    // Readings every 30 minutes from local midnight 24 days ago to now, written straight to storage.
    const start = localMidnight(firstDay);
    await adminQuery('SELECT telemetry_ensure_partitions($1::date, $2::date)', [
      new Date(start - DAY).toISOString().slice(0, 10),
      new Date(Date.now() + DAY).toISOString().slice(0, 10),
    ]);
    const ids: number[] = [];
    const times: Date[] = [];
    const values: number[] = [];
    for (let t = start; t < Date.now() - MINUTE; t += 30 * MINUTE) {
      const f = flows(t, leakFrom);
      for (const [device, value] of [
        [meters.a, f.a],
        [meters.b, f.b],
        [meters.out, f.out],
      ] as const) {
        ids.push(device.series.flow_lpm ?? 0);
        times.push(new Date(t));
        values.push(value);
      }
    }
    await adminQuery('SELECT telemetry_write($1::integer[], $2::timestamptz[], $3::float8[])', [
      ids,
      times,
      values,
    ]);
  });
  afterAll(async () => {
    await kit.close();
  });

  it('refuses a meter that does not read a flow, and a zone that is not a DMA', async () => {
    const admin = await kit.token('admin');
    const level = await kit.device(['level_cm']);
    const wrongUnit = await kit.api.request('PUT', `/api/v1/dmas/${zone.id}`, {
      token: admin,
      body: { connections: 10, meters: [{ seriesId: level.series.level_cm, direction: 'inlet' }] },
    });
    expect(wrongUnit.status).toBe(400);
    const [district] = await adminQuery<{ id: string }>(
      `SELECT id FROM zones WHERE tenant_id = $1 AND kind <> 'dma' AND archived_at IS NULL LIMIT 1`,
      [await tenantId(tenantA.slug)],
    );
    if (district) {
      const notDma = await kit.api.request('PUT', `/api/v1/dmas/${district.id}`, {
        token: admin,
        body: { connections: 10, meters: [{ seriesId: meters.a.series.flow_lpm, direction: 'inlet' }] },
      });
      expect(notDma.status).toBe(400);
    }
    const viewer = await kit.api.request('PUT', `/api/v1/dmas/${zone.id}`, {
      token: await kit.token('viewer'),
      body: { connections: 10, meters: [{ seriesId: meters.a.series.flow_lpm, direction: 'inlet' }] },
    });
    expect(viewer.status).toBe(403);
  });

  it('makes the zone a DMA with its meters', async () => {
    const response = await kit.api.request<Dma>('PUT', `/api/v1/dmas/${zone.id}`, {
      token: await kit.token('admin'),
      body: {
        connections: CONNECTIONS,
        legitimateNightUseLph: LEGITIMATE_PER_CONNECTION,
        meters: [
          { seriesId: meters.a.series.flow_lpm, direction: 'inlet' },
          { seriesId: meters.b.series.flow_lpm, direction: 'inlet' },
          { seriesId: meters.out.series.flow_lpm, direction: 'outlet' },
        ],
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({
      zoneId: zone.id,
      connections: CONNECTIONS,
      nightStartHour: 2,
      nightEndHour: 4,
      legitimateNightUseLph: LEGITIMATE_PER_CONNECTION,
    });
    expect(response.body.meters.map((m) => m.direction).sort()).toEqual(['inlet', 'inlet', 'outlet']);
  });

  it('balances a local day and its hours to the litre', async () => {
    const day = today - 5;
    const token = await kit.token('operator');
    const from = new Date(localMidnight(day)).toISOString();
    const to = new Date(localMidnight(day + 1)).toISOString();
    const daily = await kit.api.request<DmaBalance>(
      'GET',
      `/api/v1/dmas/${zone.id}/balance?from=${from}&to=${to}&resolution=day`,
      { token },
    );
    expect(daily.status, JSON.stringify(daily.body)).toBe(200);
    let inflow = 0;
    let outflow = 0;
    for (let hour = 0; hour < 24; hour += 1) {
      const f = flows(localMidnight(day) + hour * HOUR, leakFrom);
      inflow += (f.a + f.b) * 60;
      outflow += f.out * 60;
    }
    expect(daily.body.timeZone).toBe('Asia/Kolkata');
    expect(daily.body.buckets).toHaveLength(1);
    const [bucket] = daily.body.buckets;
    expect(bucket?.start).toBe(from);
    expect(bucket?.complete).toBe(true);
    expect(Math.abs((bucket?.inflowL ?? 0) - inflow)).toBeLessThan(0.5);
    expect(Math.abs((bucket?.outflowL ?? 0) - outflow)).toBeLessThan(0.5);
    expect(Math.abs((bucket?.netL ?? 0) - (inflow - outflow))).toBeLessThan(0.5);

    const hourly = await kit.api.request<DmaBalance>(
      'GET',
      `/api/v1/dmas/${zone.id}/balance?from=${from}&to=${to}&resolution=hour`,
      { token },
    );
    expect(hourly.body.buckets).toHaveLength(24);
    const twoAm = hourly.body.buckets[2];
    const f = flows(localMidnight(day) + 2 * HOUR, leakFrom);
    expect(twoAm?.start).toBe(new Date(localMidnight(day) + 2 * HOUR).toISOString());
    expect(Math.abs((twoAm?.netL ?? 0) - (f.a + f.b - f.out) * 60)).toBeLessThan(0.5);
  });

  it('gives each night its minimum night flow, legitimate use and leakage, and the leakage trend', async () => {
    const response = await kit.api.request<DmaNights>('GET', `/api/v1/dmas/${zone.id}/nights?nights=10`, {
      token: await kit.token('operator'),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const nights = response.body.nights;
    expect(nights.length).toBe(10);
    for (const night of nights) {
      const day = Math.round((Date.parse(night.windowStart) + OFFSET) / DAY - 2 / 24);
      expect(night.date).toBe(isoDate(day));
      const net = (hour: number) => {
        const f = flows(localMidnight(day) + hour * HOUR, leakFrom);
        return (f.a + f.b - f.out) * 60;
      };
      const minimum = Math.min(net(2), net(3));
      expect(night.complete).toBe(true);
      expect(Math.abs((night.minNightFlowLph ?? 0) - minimum)).toBeLessThan(0.5);
      expect(night.legitimateNightUseLph).toBe(CONNECTIONS * LEGITIMATE_PER_CONNECTION);
      expect(Math.abs((night.leakageLph ?? 0) - (minimum - 1000))).toBeLessThan(0.5);
      expect(night.leakagePerConnectionLph).toBeCloseTo((minimum - 1000) / CONNECTIONS, 3);
    }
    // The burst adds 480 L/h over the last nights: the trend rises.
    expect(response.body.leakageTrendLphPerDay).toBeGreaterThan(0);
  });

  it('ranks the DMA in the league table by leakage per connection and by its change', async () => {
    const response = await kit.api.request<DmaLeague>('GET', '/api/v1/dmas/league', {
      token: await kit.token('operator'),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const row = response.body.rows.find((r) => r.zoneId === zone.id);
    expect(row).toBeDefined();
    expect(row?.rankByLeakage).not.toBeNull();
    // The last night carries the burst; the week before holds five nights without it and two with it.
    expect(row?.changeLph).toBeGreaterThan(LEAK_LPM * 60 * 0.5);
  });

  it('previews a night-flow step rule: it raises the morning after the burst, at the end of that night window, and not before', async () => {
    const response = await kit.api.request<AlertRulePreview>('POST', '/api/v1/alert-rules/preview', {
      token: await kit.token('supervisor'),
      body: { name: 'Burst', priority: 'high', condition: 'night_flow_step', scope: 'zone', zoneId: zone.id },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.totalRaises).toBe(1);
    expect(response.body.raises[0]?.at).toBe(new Date(localMidnight(leakNight) + 4 * HOUR).toISOString());
    expect(response.body.targets[0]).toMatchObject({ targetKey: `zone:${zone.id}`, activeAtEnd: true });
  });

  it('raises a night-flow step alert for the DMA from its job, and only for the nights with the burst', async () => {
    const rule = await kit.rule({
      name: 'Night flow step',
      condition: 'night_flow_step',
      scope: 'zone',
      zoneId: zone.id,
    });
    await kit.jobs();
    const alert = await kit.only(rule);
    expect(alert.zoneId).toBe(zone.id);
    expect(alert.state).toBe('active_unacknowledged');
    expect(alert.message).toMatch(/minimum night flow \d+ L\/h on the night of .*, up \d+ L\/h/);
    expect(alert.raisedValue).not.toBeNull();
  });

  it("keeps the DMA from another tenant's users: 404 to read, change or balance it, and nothing changes", async () => {
    const other = new Api(kit.server.url);
    const token = await other.tokenFor(tenantB.email('admin'));
    const read = await kit.api.request('GET', `/api/v1/dmas/${zone.id}`, { token });
    const nights = await kit.api.request('GET', `/api/v1/dmas/${zone.id}/nights`, { token });
    const put = await kit.api.request('PUT', `/api/v1/dmas/${zone.id}`, {
      token,
      body: { connections: 1, meters: [{ seriesId: meters.a.series.flow_lpm, direction: 'inlet' }] },
    });
    const removed = await kit.api.request('DELETE', `/api/v1/dmas/${zone.id}`, { token });
    expect([read.status, nights.status, put.status, removed.status]).toEqual([404, 404, 404, 404]);
    const league = await kit.api.request<DmaLeague>('GET', '/api/v1/dmas/league', { token });
    expect(league.body.rows.some((row) => row.zoneId === zone.id)).toBe(false);
    const [dma] = await adminQuery<{ connections: number }>(
      'SELECT connections FROM dmas WHERE zone_id = $1',
      [zone.id],
    );
    expect(dma?.connections).toBe(CONNECTIONS);
  });

  it('refuses a night-flow rule on a zone that is not a DMA, and any other condition on a zone', async () => {
    const token = await kit.token('supervisor');
    const notZone = await kit.api.request('POST', '/api/v1/alert-rules', {
      token,
      body: { name: 'x', priority: 'high', condition: 'high', scope: 'zone', zoneId: zone.id, setpoint: 1 },
    });
    expect(notZone.status).toBe(400);
    const [other] = await adminQuery<{ id: string }>(
      `SELECT id FROM zones WHERE tenant_id = $1 AND id <> $2 AND archived_at IS NULL
          AND id NOT IN (SELECT zone_id FROM dmas) LIMIT 1`,
      [await tenantId(tenantA.slug), zone.id],
    );
    const notDma = await kit.api.request('POST', '/api/v1/alert-rules', {
      token,
      body: { name: 'x', priority: 'high', condition: 'night_flow_step', scope: 'zone', zoneId: other?.id },
    });
    expect(notDma.status).toBe(400);
  });
});
