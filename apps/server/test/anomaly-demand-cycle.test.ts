import type { AlertRulePreview } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit } from './alert-fixtures.ts';
import { adminQuery, tenantA } from './harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Litres per minute through the day: 20 at night, a morning peak of 100 at 08:00, 55 at noon, 90 at 19:00. */
const profile: readonly (readonly [number, number])[] = [
  [0, 20],
  [5, 20],
  [8, 100],
  [10, 70],
  [13, 55],
  [17, 60],
  [19, 90],
  [22, 35],
  [24, 20],
];

/** The demand at a local hour of the day (fractional), linear between the points of the profile. */
function demand(hourOfDay: number): number {
  for (let i = 1; i < profile.length; i += 1) {
    const [h1, q1] = profile[i] as readonly [number, number];
    const [h0, q0] = profile[i - 1] as readonly [number, number];
    if (hourOfDay <= h1) return q0 + ((q1 - q0) * (hourOfDay - h0)) / (h1 - h0);
  }
  return 20;
}

/** The local hour of the day (fractional) of an instant in a time zone: 07:30 in India reads 7.5. */
function localHour(time: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(time);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return (part('hour') % 24) + part('minute') / 60;
}

/** A small deterministic wobble (±3 %), so the spread of each hour is not zero. */
const wobble = (i: number): number => 1 + 0.03 * Math.sin(i * 12.9898);

describe('anomaly rule with the demand cycle', () => {
  let kit: AlertTestKit;
  let timeZone: string;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
    const [tenant] = await adminQuery<{ time_zone: string }>(
      'SELECT time_zone FROM tenants WHERE slug = $1',
      [tenantA.slug],
    );
    timeZone = tenant?.time_zone ?? 'UTC';
  });
  afterAll(async () => {
    await kit.close();
  });

  it('learns two weeks of the daily cycle without raising, and raises on a morning flow at 03:00', async () => {
    const device = await kit.device(['flow_lpm']);
    const seriesId = device.series.flow_lpm ?? 0;
    const flow = (time: number, i: number) => demand(localHour(time, timeZone)) * wobble(i);
    // The injection: the last 03:15 local time at least 10 minutes ago, on a whole minute.
    let inject = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
    while (Math.abs(localHour(inject, timeZone) - 3.25) > 1e-6) inject -= MINUTE;
    const every10 = (from: number, to: number) =>
      Array.from({ length: Math.ceil((to - from) / (10 * MINUTE)) }, (_, i) => from + i * 10 * MINUTE);

    // Two weeks of history, stored as a backfill would be, then rolled up by the rollup job.
    const history = every10(inject - 15 * DAY, inject - DAY);
    await adminQuery('SELECT telemetry_ensure_partitions($1::date, $2::date)', [
      new Date(inject - 16 * DAY),
      new Date(inject + DAY),
    ]);
    await adminQuery('SELECT count(*) FROM telemetry_store($1::integer[], $2::timestamptz[], $3::float8[])', [
      history.map(() => seriesId),
      history.map((t) => new Date(t)),
      history.map((t, i) => flow(t, i)),
    ]);
    await adminQuery('SELECT telemetry_rollup_dirty(100000)');
    const rule = await kit.rule({ condition: 'anomaly', seriesId, params: { cycle: 'week', sigmas: 4 } });

    // The last day before the injection through the real ingest path: morning and evening peaks, quiet nights.
    const sendAt = (times: readonly number[], value: (t: number, i: number) => number) =>
      kit.sendAt(
        device,
        'flow_lpm',
        times.map((t, i) => [t, value(t, i)] as const),
      );
    const day = every10(inject - DAY, inject);
    await sendAt(day.slice(0, 100), (t, i) => flow(t, 9000 + i));
    await sendAt(day.slice(100), (t, i) => flow(t, 9100 + i));
    expect((await kit.alertsOf(rule)).map((a) => a.message)).toEqual([]);
    const [state] = await adminQuery<{ learnt: number; samples: number }>(
      `SELECT (SELECT count(*) FROM jsonb_array_elements(cycle) e WHERE e <> 'null'::jsonb)::integer AS learnt,
              samples FROM alert_rule_states WHERE rule_id = $1`,
      [rule.id],
    );
    expect(state?.learnt).toBe(168);
    // Every stored reading of the two weeks (through the rollup) and of the day (one by one) was learnt.
    expect(state?.samples).toBe(history.length + day.length);

    // 03:15: a flow that belongs at 08:00 (100 l/min) where this hour sees 20. It raises and is not learnt.
    await sendAt([inject], () => demand(8));
    const alert = await kit.only(rule);
    expect(alert.raisedValue).toBe(100);
    expect(alert.message).toMatch(/usual (19\.\d+|20(\.\d+)?) at this hour of the week/);
    const [after] = await adminQuery<{ samples: number }>(
      'SELECT samples FROM alert_rule_states WHERE rule_id = $1',
      [rule.id],
    );
    expect(after?.samples).toBe(state?.samples);

    // The night flow back to normal ten minutes later clears it.
    await sendAt([inject + 10 * MINUTE], (t) => flow(t, 1));
    expect((await kit.only(rule)).conditionActive).toBe(false);

    // The preview replays the same readings with the same steps: the one raise, at 03:15.
    const preview = await kit.api.request<AlertRulePreview>('POST', '/api/v1/alert-rules/preview', {
      token: await kit.token('supervisor'),
      body: {
        name: 'Preview',
        priority: 'high',
        scope: 'series',
        condition: 'anomaly',
        seriesId,
        params: { cycle: 'week', sigmas: 4 },
      },
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.totalRaises).toBe(1);
    expect(Date.parse(preview.body.raises[0]?.at ?? '')).toBe(inject);
  });
});
