import { Registry } from 'prom-client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventBus } from '../src/events/event-bus.ts';
import { createLogger } from '../src/logger.ts';
import { AlertEngine } from '../src/modules/alert-engine/alert-engine.ts';
import { raiseAlert } from '../src/modules/alert-engine/alert-lifecycle.ts';
import { AlertTestKit } from './alert-fixtures.ts';
import { adminQuery, tenantA, tenantId } from './harness.ts';

describe('the alert engine, driven through the ingest path', () => {
  let kit: AlertTestKit;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
  });
  afterAll(async () => {
    await kit.close();
  });

  it('raises a high alert once while the value oscillates inside the deadband, and returns it beyond', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({
      condition: 'high',
      seriesId: device.series.level_cm ?? 0,
      setpoint: 100,
      deadband: 5,
    });

    await kit.send(device, 'level_cm', [
      [600, 101],
      [540, 98],
      [480, 102],
      [420, 96],
      [360, 101],
      [300, 99],
    ]);
    const raised = await kit.only(rule);
    await kit.send(device, 'level_cm', [[240, 94]]);
    const returned = await kit.only(rule);

    expect(raised.state).toBe('active_unacknowledged');
    expect(raised.raisedValue).toBe(101);
    expect(raised.message).toContain('above 100');
    expect(returned.state).toBe('returned_unacknowledged');
    expect(returned.conditionActive).toBe(false);
    expect((await kit.transitions(raised.id)).map((t) => t.to)).toEqual([
      'active_unacknowledged',
      'returned_unacknowledged',
    ]);
    const events = kit.events.filter((e) => e.alert.ruleId === rule.id);
    expect(events.map((e) => e.alert.state)).toEqual(['active_unacknowledged', 'returned_unacknowledged']);
    expect(events[1]?.sequence).toBeGreaterThan(events[0]?.sequence ?? Infinity);
  });

  it('applies low and low-low limits with their deadband', async () => {
    const device = await kit.device(['pressure_bar']);
    const series = device.series.pressure_bar ?? 0;
    const low = await kit.rule({ condition: 'low', seriesId: series, setpoint: 2, deadband: 0.2 });
    const lowLow = await kit.rule({
      condition: 'low_low',
      seriesId: series,
      setpoint: 1,
      priority: 'critical',
    });

    await kit.send(device, 'pressure_bar', [
      [300, 2.5],
      [240, 1.9],
      [180, 2.1],
      [120, 0.8],
    ]);

    expect((await kit.only(low)).state).toBe('active_unacknowledged');
    const critical = await kit.only(lowLow);
    expect(critical.priority).toBe('critical');
    expect(critical.raisedValue).toBe(0.8);
  });

  it('waits out the on-delay in reading time, and a reading in between restarts it', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({
      condition: 'high_high',
      seriesId: device.series.level_cm ?? 0,
      setpoint: 50,
      onDelayS: 120,
    });

    await kit.send(device, 'level_cm', [
      [900, 60],
      [840, 40],
      [780, 60],
      [700, 61],
    ]);
    expect(await kit.alertsOf(rule)).toHaveLength(0);
    await kit.send(device, 'level_cm', [[650, 62]]);

    expect((await kit.only(rule)).raisedValue).toBe(62);
  });

  it('waits out the off-delay before the alert returns', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({
      condition: 'high',
      seriesId: device.series.level_cm ?? 0,
      setpoint: 50,
      offDelayS: 120,
    });

    await kit.send(device, 'level_cm', [
      [900, 60],
      [840, 40],
      [780, 60],
      [720, 40],
      [660, 40],
    ]);
    expect((await kit.only(rule)).state).toBe('active_unacknowledged');
    await kit.send(device, 'level_cm', [[590, 40]]);

    expect((await kit.only(rule)).state).toBe('returned_unacknowledged');
  });

  it('raises a delayed alert from the job when no newer reading comes', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({
      condition: 'high',
      seriesId: device.series.level_cm ?? 0,
      setpoint: 50,
      onDelayS: 60,
    });

    await kit.send(device, 'level_cm', [[90, 70]]);
    expect(await kit.alertsOf(rule)).toHaveLength(0);
    await kit.jobs();

    const alert = await kit.only(rule);
    expect(alert.state).toBe('active_unacknowledged');
    expect(alert.raisedValue).toBe(70);
  });

  it('raises on a rate of change over the window, in the configured direction', async () => {
    const device = await kit.device(['flow_lpm']);
    const series = device.series.flow_lpm ?? 0;
    const rise = await kit.rule({
      condition: 'rate_of_change',
      seriesId: series,
      setpoint: 50,
      windowS: 600,
      params: { direction: 'rise' },
    });
    const fall = await kit.rule({
      condition: 'rate_of_change',
      seriesId: series,
      setpoint: 50,
      windowS: 600,
      params: { direction: 'fall' },
    });

    await kit.send(device, 'flow_lpm', [
      [1500, 100],
      [1400, 120],
      [1300, 210],
    ]);

    expect((await kit.only(rise)).message).toContain('changed by 110');
    expect(await kit.alertsOf(fall)).toHaveLength(0);
  });

  it('learns an anomaly baseline (EWMA) and raises on a reading far from it, also for a rule added later', async () => {
    const device = await kit.device(['flow_lpm']);
    const series = device.series.flow_lpm ?? 0;
    const params = { alpha: 0.1, sigmas: 4, warmupSamples: 20 };
    const first = await kit.rule({ condition: 'anomaly', seriesId: series, windowS: 86_400, params });
    const normal = Array.from({ length: 30 }, (_, i) => [3600 - i * 60, 500 + (i % 3) - 1] as const);

    await kit.send(device, 'flow_lpm', normal);
    expect(await kit.alertsOf(first)).toHaveLength(0);
    const later = await kit.rule({ condition: 'anomaly', seriesId: series, windowS: 86_400, params });
    await kit.send(device, 'flow_lpm', [[1500, 900]]);

    expect((await kit.only(first)).message).toContain('standard deviations');
    // Its state was new: it learned the series from the stored history before judging the spike.
    expect((await kit.only(later)).raisedValue).toBe(900);
    const [state] = await adminQuery<{ samples: number }>(
      'SELECT samples FROM alert_rule_states WHERE rule_id = $1',
      [later.id],
    );
    // The 20 readings of its warm-up; the spike it flagged is not learnt, so it cannot become the new normal.
    expect(state?.samples).toBe(20);
  });

  it('does not re-raise within the rule’s cooldown, and raises again after it', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({
      condition: 'high',
      seriesId: device.series.level_cm ?? 0,
      setpoint: 50,
      cooldownS: 3600,
    });
    await kit.send(device, 'level_cm', [
      [900, 60],
      [840, 40],
    ]);
    const first = await kit.only(rule);
    expect((await kit.action('operator', `${first.id}/acknowledge`)).status).toBe(200);

    await kit.send(device, 'level_cm', [[780, 70]]);
    expect(await kit.alertsOf(rule)).toHaveLength(1);
    await adminQuery(`UPDATE alerts SET closed_at = now() - interval '2 hours' WHERE id = $1`, [first.id]);
    await kit.send(device, 'level_cm', [[720, 71]]);

    const alerts = await kit.alertsOf(rule);
    expect(alerts).toHaveLength(2);
    expect(alerts[1]?.raisedValue).toBe(71);
  });

  it('raises no-data for a silent series and returns it when data comes', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({ condition: 'no_data', seriesId: device.series.level_cm ?? 0, windowS: 60 });
    await kit.send(device, 'level_cm', [[300, 10]]);

    await kit.jobs();
    const silent = await kit.only(rule);
    await kit.send(device, 'level_cm', [[1, 11]]);
    await kit.jobs();

    expect(silent.state).toBe('active_unacknowledged');
    expect(silent.message).toContain('no level_cm for 60 s');
    expect((await kit.only(rule)).state).toBe('returned_unacknowledged');
  });

  it('raises device-offline when the device is offline past the window, and returns it when it is back', async () => {
    const device = await kit.device(['battery_v']);
    const rule = await kit.rule({
      condition: 'device_offline',
      seriesId: device.series.battery_v ?? 0,
      windowS: 5,
    });
    await kit.send(device, 'battery_v', [[30, 3.6]]);
    await adminQuery(
      `UPDATE device_states SET connectivity = 'offline', last_seen_at = now() - interval '1 minute' WHERE device_id = $1`,
      [device.id],
    );
    const tenant = await tenantId(tenantA.slug);

    kit.server.bus.emit('device.connectivity', {
      tenantId: tenant,
      deviceId: device.id,
      connectivity: 'offline',
      at: Date.now(),
    });
    await expect.poll(() => kit.alertsOf(rule).then((a) => a.length)).toBe(1);
    await kit.send(device, 'battery_v', [[1, 3.6]]);
    await kit.jobs();

    const alert = await kit.only(rule);
    expect(alert.deviceId).toBe(device.id);
    expect(alert.state).toBe('returned_unacknowledged');
  });

  it('escalates an unacknowledged alert past its rule’s limit, once', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({
      condition: 'high',
      seriesId: device.series.level_cm ?? 0,
      setpoint: 50,
      escalateAfterS: 60,
    });
    await kit.send(device, 'level_cm', [[30, 60]]);
    const alert = await kit.only(rule);
    await kit.jobs();
    expect((await kit.only(rule)).escalatedAt).toBeNull();

    await adminQuery(`UPDATE alerts SET raised_at = now() - interval '2 minutes' WHERE id = $1`, [alert.id]);
    await kit.jobs();
    await kit.jobs();

    const escalated = await kit.only(rule);
    expect(escalated.priority).toBe('critical');
    expect(escalated.originalPriority).toBe('high');
    expect(escalated.escalatedAt).not.toBeNull();
    expect((await kit.transitions(alert.id)).filter((t) => t.comment?.startsWith('Escalated'))).toHaveLength(
      1,
    );
  });

  it('marks a flood above 10 new alerts in 10 minutes, visible through the API and events, until the rate falls', async () => {
    const tenant = await tenantId(tenantA.slug);
    // Earlier tests raised alerts too: let them age out of the window first, so the flood starts here.
    const ageOut = () =>
      adminQuery(
        `UPDATE alerts SET raised_at = raised_at - interval '1 hour'
          WHERE tenant_id = $1 AND raised_at > now() - interval '10 minutes'`,
        [tenant],
      );
    await ageOut();
    await kit.jobs();
    const device = await kit.device(['level_cm']);
    for (let i = 0; i < 11; i += 1) {
      await kit.rule({ condition: 'high', seriesId: device.series.level_cm ?? 0, setpoint: i });
    }
    const token = await kit.token('viewer');
    const before = await kit.api.request<{ active: boolean }>('GET', '/api/v1/alerts/flood', { token });

    await kit.send(device, 'level_cm', [[10, 1000]]);
    await expect.poll(() => kit.floods.at(-1)?.active).toBe(true);
    const during = await kit.api.request<{ active: boolean; count: number }>('GET', '/api/v1/alerts/flood', {
      token,
    });
    await ageOut();
    await kit.jobs();
    const after = await kit.api.request<{ active: boolean }>('GET', '/api/v1/alerts/flood', { token });

    expect(before.body.active).toBe(false);
    expect(during.body.active).toBe(true);
    expect(during.body.count).toBe(11);
    expect(after.body.active).toBe(false);
    expect(
      kit.floods
        .filter((f) => f.tenantId === tenant)
        .slice(-2)
        .map((f) => f.active),
    ).toEqual([true, false]);
  });
});

describe('two evaluators racing', () => {
  let kit: AlertTestKit;
  let second: { engine: AlertEngine; bus: EventBus; pool: pg.Pool };

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
    const pool = new pg.Pool({ connectionString: inject('appUrl'), max: 5 });
    const bus = new EventBus();
    const engine = new AlertEngine(pool, bus, new Registry(), createLogger('silent', false), {
      queueCapacity: 1000,
      maxBatch: 100,
      jobIntervalMs: 3_600_000,
      ruleCacheMs: 0,
      floodThreshold: 10,
      floodWindowS: 600,
      nightFlowIntervalMs: 60_000,
      stateLagMs: 4000,
      notifications: {
        maxAttempts: 1,
        retryBaseMs: 1000,
        timeoutMs: 1000,
        smtpUrl: undefined,
        emailFrom: 'x@y.z',
        webhookPolicy: { allowNetworks: [] },
        secrets: kit.server.secrets,
      },
    });
    engine.start();
    second = { engine, bus, pool };
  });
  afterAll(async () => {
    await second.engine.close();
    await second.pool.end();
    await kit.close();
  });

  it('on the same reading, on two connections, produce exactly one alert', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    const rule = await kit.rule({ condition: 'high', seriesId, setpoint: 10 });
    const tenant = await tenantId(tenantA.slug);
    const time = Date.now() - 5000;
    // Stored behind the server's back, so both engines hear of it only from the events below.
    await adminQuery('SELECT telemetry_ensure_partitions(current_date - 1, current_date + 1)');
    await adminQuery('INSERT INTO telemetry (series_id, time, value) VALUES ($1, $2, 99)', [
      seriesId,
      new Date(time),
    ]);
    const event = { tenantId: tenant, deviceId: device.id, readings: [{ seriesId, time, value: 99 }] };

    kit.server.bus.emit('telemetry.stored', event);
    second.bus.emit('telemetry.stored', event);
    await Promise.all([kit.evaluated(), second.engine.drained()]);

    const alert = await kit.only(rule);
    expect(await kit.transitions(alert.id)).toHaveLength(1);
  });

  it('raising directly ten times at once leaves one open alert per rule and target', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    const rule = await kit.rule({ condition: 'high', seriesId, setpoint: 10 });
    const tenant = await tenantId(tenantA.slug);

    const outcomes = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const client = await second.pool.connect();
        try {
          await client.query('BEGIN');
          await client.query('SELECT app_set_context($1, NULL, NULL)', [tenant]);
          const outcome = await raiseAlert(client, {
            ruleId: rule.id,
            targetKey: `series:${String(seriesId)}`,
            seriesId,
            deviceId: device.id,
            assetId: null,
            zoneId: null,
            priority: 'high',
            message: 'race',
            value: 1,
            cooldownS: 0,
          });
          await client.query('COMMIT');
          return outcome.kind;
        } finally {
          client.release();
        }
      }),
    );

    expect(outcomes.filter((k) => k === 'raised')).toHaveLength(1);
    expect(await kit.alertsOf(rule)).toHaveLength(1);
  });
});
