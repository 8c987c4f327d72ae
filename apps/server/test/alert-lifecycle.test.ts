import {
  alertChangesSchema,
  alertKpisSchema,
  alertSchema,
  type Alert,
  type AlertChanges,
  type AlertKpis,
  type BulkAcknowledgeResult,
  type Page,
  type Problem,
} from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit, type TestDevice } from './alert-fixtures.ts';
import { adminQuery, tenantA, tenantB, tenantId } from './harness.ts';

describe('the alert lifecycle through the REST API', () => {
  let kit: AlertTestKit;
  let device: TestDevice;
  let setpoint = 0;

  /** A fresh rule on the test series, raised at once by a reading above it. */
  async function raised(
    fields: Record<string, unknown> = {},
  ): Promise<{ alert: Alert; clear: () => Promise<void> }> {
    setpoint += 10;
    const level = setpoint;
    const rule = await kit.rule({
      condition: 'high',
      seriesId: device.series.level_cm ?? 0,
      setpoint: level,
      ...fields,
    });
    await kit.send(device, 'level_cm', [[1, level + 5]]);
    const alert = await kit.only(rule);
    return {
      alert,
      clear: async () => {
        // Each rule has its own setpoint; moving this one's up clears only this rule (the others stay latched).
        const moved = await kit.api.request('PATCH', `/api/v1/alert-rules/${rule.id}`, {
          token: await kit.token('supervisor'),
          body: { setpoint: 100_000 },
        });
        expect(moved.status).toBe(200);
        await kit.send(device, 'level_cm', [[0, level + 5]]);
      },
    };
  }
  const state = async (id: string): Promise<Alert> =>
    (await kit.api.request<Alert>('GET', `/api/v1/alerts/${id}`, { token: await kit.token('viewer') })).body;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
    device = await kit.device(['level_cm']);
  });
  afterAll(async () => {
    await kit.close();
  });

  it('active-unacknowledged -> acknowledged (with a comment) -> normal when the condition clears', async () => {
    const { alert, clear } = await raised();

    const acked = await kit.action('operator', `${alert.id}/acknowledge`, { comment: 'Crew informed' });
    await clear();

    expect(acked.status).toBe(200);
    expect(alertSchema.parse(acked.body).state).toBe('active_acknowledged');
    expect(acked.body.acknowledgedBy).not.toBeNull();
    const closed = await state(alert.id);
    expect(closed.state).toBe('normal');
    expect(closed.closedAt).not.toBeNull();
    expect(await kit.transitions(alert.id)).toEqual([
      { from: 'normal', to: 'active_unacknowledged', comment: null },
      { from: 'active_unacknowledged', to: 'active_acknowledged', comment: 'Crew informed' },
      { from: 'active_acknowledged', to: 'normal', comment: 'Condition cleared' },
    ]);
  });

  it('active-unacknowledged -> returned-unacknowledged, which still needs an acknowledgement to close', async () => {
    const { alert, clear } = await raised();

    await clear();
    const returned = await state(alert.id);
    const acked = await kit.action('operator', `${alert.id}/acknowledge`);
    const again = await kit.action<Problem>('operator', `${alert.id}/acknowledge`);

    expect(returned.state).toBe('returned_unacknowledged');
    expect(returned.closedAt).toBeNull();
    expect(acked.body.state).toBe('normal');
    expect(again.status).toBe(409);
  });

  it('shelving: an operator up to an hour, longer only with shelve_long; expiry brings the alert back', async () => {
    const { alert } = await raised();

    const tooLong = await kit.action<Problem>('operator', `${alert.id}/shelve`, {
      durationS: 7200,
      reason: 'Sensor being replaced',
    });
    const shelved = await kit.action('operator', `${alert.id}/shelve`, {
      durationS: 600,
      reason: 'Sensor being replaced',
    });
    await adminQuery(`UPDATE alerts SET shelved_until = now() - interval '1 second' WHERE id = $1`, [
      alert.id,
    ]);
    await kit.jobs();
    const back = await state(alert.id);
    const long = await kit.action('supervisor', `${alert.id}/shelve`, {
      durationS: 7200,
      reason: 'Planned works',
    });
    const unshelved = await kit.action('operator', `${alert.id}/unshelve`, {
      comment: 'Works finished early',
    });

    expect(tooLong.status).toBe(403);
    expect(shelved.body.state).toBe('shelved');
    expect(shelved.body.shelveReason).toBe('Sensor being replaced');
    expect(back.state).toBe('active_unacknowledged');
    expect(back.shelvedUntil).toBeNull();
    expect(long.body.state).toBe('shelved');
    expect(unshelved.body.state).toBe('active_unacknowledged');
    expect((await kit.transitions(alert.id)).map((t) => t.comment)).toContain('Shelving expired');
  });

  it('a shelved alert whose condition cleared closes when its shelving expires', async () => {
    const { alert, clear } = await raised();
    await kit.action('operator', `${alert.id}/shelve`, { durationS: 600, reason: 'Known' });

    await clear();
    const whileShelved = await state(alert.id);
    await adminQuery(`UPDATE alerts SET shelved_until = now() - interval '1 second' WHERE id = $1`, [
      alert.id,
    ]);
    await kit.jobs();

    expect(whileShelved.state).toBe('shelved');
    expect(whileShelved.conditionActive).toBe(false);
    expect((await state(alert.id)).state).toBe('normal');
  });

  it('out of service: supervisors only; back in service it is annunciated again', async () => {
    const { alert } = await raised();

    const denied = await kit.action<Problem>('operator', `${alert.id}/out-of-service`, { comment: 'Broken' });
    const out = await kit.action('supervisor', `${alert.id}/out-of-service`, { comment: 'Sensor broken' });
    const ack = await kit.action<Problem>('operator', `${alert.id}/acknowledge`);
    const back = await kit.action('supervisor', `${alert.id}/return-to-service`, {});

    expect(denied.status).toBe(403);
    expect(out.body.state).toBe('out_of_service');
    expect(ack.status).toBe(409);
    expect(back.body.state).toBe('active_unacknowledged');
  });

  it('suppresses alerts of an asset in maintenance and brings them back when it ends', async () => {
    const tenant = await tenantId(tenantA.slug);
    const [valve] = await adminQuery<{ id: string }>(
      `SELECT id FROM assets WHERE tenant_id = $1 AND kind = 'valve' ORDER BY code LIMIT 1`,
      [tenant],
    );
    const assetId = valve?.id ?? '';
    const metricId = (
      await adminQuery<{ id: string }>(
        `SELECT id FROM metrics WHERE tenant_id = $1 AND key = 'pressure_bar'`,
        [tenant],
      )
    )[0]?.id;
    const onValve = await kit.device(['pressure_bar'], assetId);
    const rule = await kit.rule({
      condition: 'high',
      scope: 'asset',
      assetId,
      metricId: metricId ?? null,
      setpoint: 5,
    });
    const maintenance = await kit.token('maintenance');
    const setMaintenance = (inMaintenance: boolean) =>
      kit.api.request('PUT', `/api/v1/assets/${assetId}/maintenance`, {
        token: maintenance,
        body: { inMaintenance, reason: 'Valve overhaul' },
      });

    await kit.send(onValve, 'pressure_bar', [[5, 6]]);
    const active = await kit.only(rule);
    expect((await setMaintenance(true)).status).toBe(200);
    await kit.jobs();
    const suppressed = await state(active.id);
    await setMaintenance(false);
    await kit.jobs();

    expect(active.state).toBe('active_unacknowledged');
    expect(active.assetId).toBe(assetId);
    expect(suppressed.state).toBe('suppressed');
    expect((await state(active.id)).state).toBe('active_unacknowledged');
  });

  it('acknowledges in bulk with one comment, listing what it could not', async () => {
    const first = await raised();
    const second = await raised();
    const closed = await raised();
    await closed.clear();
    await kit.action('operator', `${closed.alert.id}/acknowledge`);
    const missing = '00000000-0000-4000-8000-000000000000';

    const result = await kit.action<BulkAcknowledgeResult>('operator', 'acknowledge', {
      ids: [first.alert.id, second.alert.id, closed.alert.id, missing],
      comment: 'Shift handover: all seen',
    });

    expect(result.status).toBe(200);
    expect(result.body.acknowledged.map((a) => a.id).sort()).toEqual(
      [first.alert.id, second.alert.id].sort(),
    );
    expect(result.body.acknowledged.every((a) => a.state === 'active_acknowledged')).toBe(true);
    expect(result.body.skipped).toEqual([
      { id: closed.alert.id, reason: 'not_unacknowledged' },
      { id: missing, reason: 'not_found' },
    ]);
  });

  it('a viewer can read but not acknowledge, shelve or comment', async () => {
    const { alert } = await raised();

    const responses = await Promise.all([
      kit.action<Problem>('viewer', `${alert.id}/acknowledge`),
      kit.action<Problem>('viewer', 'acknowledge', { ids: [alert.id] }),
      kit.action<Problem>('viewer', `${alert.id}/shelve`, { durationS: 600, reason: 'x' }),
      kit.action<Problem>('viewer', `${alert.id}/comments`, { comment: 'x' }),
    ]);

    expect(responses.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect((await state(alert.id)).state).toBe('active_unacknowledged');
  });

  it('records comments in the history', async () => {
    const { alert } = await raised();

    const commented = await kit.action('maintenance', `${alert.id}/comments`, {
      comment: 'Valve checked, OK',
    });

    expect(commented.status).toBe(201);
    expect((await kit.transitions(alert.id)).at(-1)).toEqual({
      from: 'active_unacknowledged',
      to: 'active_unacknowledged',
      comment: 'Valve checked, OK',
    });
  });

  it('tenant B never sees or touches tenant A’s alerts', async () => {
    const { alert } = await raised();
    const other = await kit.api.tokenFor(tenantB.email('supervisor'));
    const request = (method: string, path: string, body?: unknown) =>
      kit.api.request<Problem>(method, `/api/v1/alerts${path}`, { token: other, body });

    const [detail, ack, bulk, list, changes] = await Promise.all([
      request('GET', `/${alert.id}`),
      request('POST', `/${alert.id}/acknowledge`, {}),
      kit.api.request<BulkAcknowledgeResult>('POST', '/api/v1/alerts/acknowledge', {
        token: other,
        body: { ids: [alert.id] },
      }),
      kit.api.request<Page<Alert>>('GET', '/api/v1/alerts?open=true&limit=500', { token: other }),
      kit.api.request<AlertChanges>('GET', '/api/v1/alerts/changes?after=0&limit=1000', { token: other }),
    ]);

    expect(detail.status).toBe(404);
    expect(ack.status).toBe(404);
    expect(bulk.body.skipped).toEqual([{ id: alert.id, reason: 'not_found' }]);
    expect(list.body.items.some((a) => a.id === alert.id)).toBe(false);
    expect(changes.body.items.some((c) => c.alert.id === alert.id)).toBe(false);
    expect((await state(alert.id)).state).toBe('active_unacknowledged');
    const events = kit.events.filter((e) => e.alert.id === alert.id);
    expect(events.every((e) => e.tenantId === (kit.events[0]?.tenantId ?? ''))).toBe(true);
  });

  it('replays what a client missed after a sequence, in change order', async () => {
    const token = await kit.token('operator');
    const before = await kit.api.request<AlertChanges>('GET', '/api/v1/alerts/changes?after=0&limit=1', {
      token,
    });
    const start = kit.events.at(-1)?.sequence ?? 0;
    const { alert } = await raised();
    await kit.action('operator', `${alert.id}/acknowledge`);

    const missed = await kit.api.request<AlertChanges>(
      'GET',
      `/api/v1/alerts/changes?after=${String(start)}`,
      {
        token,
      },
    );

    expect(before.body.more).toBe(true);
    expect(alertChangesSchema.parse(missed.body)).toEqual(missed.body);
    const mine = missed.body.items.filter((c) => c.alert.id === alert.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.alert.state).toBe('active_acknowledged');
    const events = kit.events.filter((e) => e.alert.id === alert.id);
    expect(mine[0]?.sequence).toBe(events.at(-1)?.sequence);
    expect(missed.body.lastSequence).toBeGreaterThanOrEqual(events.at(-1)?.sequence ?? Infinity);
  });

  it('serves the alarm-management KPIs', async () => {
    const token = await kit.token('viewer');

    const kpis = await kit.api.request<AlertKpis>('GET', '/api/v1/alerts/kpis?staleAfterS=3600', { token });
    const bad = await kit.api.request<Problem>(
      'GET',
      '/api/v1/alerts/kpis?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      { token },
    );

    expect(kpis.status).toBe(200);
    expect(alertKpisSchema.parse(kpis.body)).toEqual(kpis.body);
    expect(kpis.body.alertsPerHour.length).toBeGreaterThanOrEqual(24);
    expect(kpis.body.alertsPerHour.reduce((n, h) => n + h.count, 0)).toBeGreaterThan(0);
    expect(kpis.body.timeToAcknowledge.count).toBeGreaterThan(0);
    expect(kpis.body.timeToAcknowledge.medianS).not.toBeNull();
    expect(kpis.body.topFrequent.length).toBeGreaterThan(0);
    expect(kpis.body.topFrequent.length).toBeLessThanOrEqual(10);
    expect(kpis.body.standing.count).toBeGreaterThanOrEqual(kpis.body.standing.oldest.length);
    expect(bad.status).toBe(400);
  });
});
