import type { AlertRulePreview, CreateAlertRule, IngestResult, Problem } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit, type TestDevice } from './alert-fixtures.ts';
import { adminQuery, tenantA, tenantB, tenantId } from './harness.ts';

const MINUTE = 60_000;
/** Readings five minutes apart from a whole minute three hours ago, so times are known to the millisecond. */
const BASE = Math.floor(Date.now() / MINUTE) * MINUTE - 180 * MINUTE;
const at = (minutes: number) => BASE + minutes * MINUTE;
const iso = (minutes: number) => new Date(at(minutes)).toISOString();

/** Values at 0, 5, 10, ... minutes after BASE. */
const everyFive = (values: readonly number[]): [number, number][] =>
  values.map((value, i) => [at(i * 5), value]);

describe('alert rule preview: the last seven days replayed through the engine', () => {
  let kit: AlertTestKit;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA, {
      ALERT_PREVIEW_MAX_TARGETS: '5',
      ALERT_PREVIEW_MAX_POINTS: '200',
    });
  });
  afterAll(async () => {
    await kit.close();
  });

  /** Stores readings at absolute times (epoch ms) through the ingest path and waits for the engine. */
  async function store(device: TestDevice, metric: string, readings: readonly [number, number][]) {
    const response = await kit.api.request<IngestResult>('POST', '/api/v1/ingest', {
      headers: {
        authorization: `Basic ${Buffer.from(`${device.id}:${device.secret}`).toString('base64')}`,
      },
      body: readings.map(([ts, value]) => ({ ts, values: { [metric]: value } })),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body.accepted).toBe(readings.length);
    await kit.evaluated();
  }

  async function preview<T = AlertRulePreview>(
    fields: Partial<CreateAlertRule> & Pick<CreateAlertRule, 'condition'>,
    role = 'supervisor',
  ) {
    return kit.api.request<T>('POST', '/api/v1/alert-rules/preview', {
      token: await kit.token(role),
      body: { name: 'Preview', priority: 'high', scope: 'series', ...fields },
    });
  }

  /** Tenant A's water-level metric, for rules on an asset. */
  async function levelMetric(): Promise<string | null> {
    const [row] = await adminQuery<{ id: string }>(
      'SELECT id FROM metrics WHERE key = $1 AND tenant_id = $2',
      ['level_cm', await tenantId(tenantA.slug)],
    );
    return row?.id ?? null;
  }

  async function previewOk(fields: Partial<CreateAlertRule> & Pick<CreateAlertRule, 'condition'>) {
    const response = await preview(fields);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body;
  }

  it('counts raises with and without a deadband, as the engine raised them, and writes nothing', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    const rule = await kit.rule({ condition: 'high', seriesId, setpoint: 100, deadband: 5 });
    const rulesBefore = await adminQuery('SELECT id FROM alert_rules');
    await store(device, 'level_cm', everyFive([90, 101, 97, 103, 96, 101, 94, 102, 90]));

    const banded = await previewOk({ condition: 'high', seriesId, setpoint: 100, deadband: 5 });
    const plain = await previewOk({ condition: 'high', seriesId, setpoint: 100, deadband: 0 });

    expect(banded.resolution).toBe('raw');
    expect(banded.points).toBe(9);
    expect(banded.totalRaises).toBe(2);
    expect(banded.raises).toEqual([
      { at: iso(5), seriesId, value: 101 },
      { at: iso(35), seriesId, value: 102 },
    ]);
    expect(banded.timeInAlarmS).toBe(30 * 60);
    expect(banded.targets).toEqual([
      expect.objectContaining({
        targetKey: `series:${String(seriesId)}`,
        seriesId,
        deviceId: device.id,
        points: 9,
        raiseCount: 2,
        activeAtEnd: false,
      }),
    ]);
    expect(plain.totalRaises).toBe(4);
    expect(plain.raises.map((r) => r.at)).toEqual([iso(5), iso(15), iso(25), iso(35)]);
    // The engine, fed the same readings live, made the alert active exactly as often.
    const activations = await adminQuery<{ n: number }>(
      `SELECT count(*)::integer AS n FROM alert_transitions t JOIN alerts a ON a.id = t.alert_id
        WHERE a.rule_id = $1 AND t.to_state = 'active_unacknowledged'`,
      [rule.id],
    );
    expect(activations[0]?.n).toBe(2);
    expect(await adminQuery('SELECT id FROM alert_rules')).toHaveLength(rulesBefore.length);
    expect(
      await adminQuery(
        `SELECT 1 FROM alert_rule_states WHERE rule_id = '00000000-0000-0000-0000-000000000000'`,
      ),
    ).toHaveLength(0);
  });

  it('waits out the on-delay, restarting it when a reading lapses, and raises when it runs out between readings', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    // Pending from 0, lapsed at 5; pending from 10, due at 20.
    await store(device, 'level_cm', everyFive([101, 90, 101, 102, 103, 90]));
    // Pending from 60, no reading until 90: the delay job raises at 70.
    await store(device, 'level_cm', [
      [at(60), 101],
      [at(65), 101],
      [at(90), 90],
    ]);

    const delayed = await previewOk({ condition: 'high', seriesId, setpoint: 100, onDelayS: 600 });
    const immediate = await previewOk({ condition: 'high', seriesId, setpoint: 100 });

    expect(delayed.totalRaises).toBe(2);
    expect(delayed.raises.map((r) => r.at)).toEqual([iso(20), iso(70)]);
    expect(delayed.timeInAlarmS).toBe((25 - 20 + 90 - 70) * 60);
    expect(immediate.totalRaises).toBe(3);
    expect(immediate.raises.map((r) => r.at)).toEqual([iso(0), iso(10), iso(60)]);
  });

  it('holds the alarm through the off-delay, and keeps raises inside the cooldown back', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    // 0 raise; 5 clearing, 10 back above; below from 15: the nine-minute off-delay runs out at 24 (between
    // readings); 30 raise; below from 35, clear at 44.
    await store(device, 'level_cm', everyFive([60, 40, 60, 40, 40, 40, 60, 40, 40, 40]));

    const offDelay = await previewOk({ condition: 'high', seriesId, setpoint: 50, offDelayS: 540 });
    const plain = await previewOk({ condition: 'high', seriesId, setpoint: 50 });
    const cooled = await previewOk({ condition: 'high', seriesId, setpoint: 50, cooldownS: 2400 });

    expect(offDelay.raises.map((r) => r.at)).toEqual([iso(0), iso(30)]);
    expect(offDelay.timeInAlarmS).toBe((24 + 14) * 60);
    expect(plain.raises.map((r) => r.at)).toEqual([iso(0), iso(10), iso(30)]);
    expect(plain.timeInAlarmS).toBe(15 * 60);
    // Cleared at 5: nothing may raise before 45, and the value is below by then.
    expect(cooled.raises.map((r) => r.at)).toEqual([iso(0)]);
  });

  it('judges a rate of change against the first reading of its window', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    await store(device, 'level_cm', everyFive([0, 2, 4, 20, 22, 22, 22]));

    const rise = await previewOk({
      condition: 'rate_of_change',
      seriesId,
      setpoint: 10,
      windowS: 600,
      params: { direction: 'rise' },
    });
    const fall = await previewOk({
      condition: 'rate_of_change',
      seriesId,
      setpoint: 10,
      windowS: 600,
      params: { direction: 'fall' },
    });

    expect(rise.raises.map((r) => r.at)).toEqual([iso(15)]);
    expect(rise.timeInAlarmS).toBe(10 * 60);
    expect(fall.totalRaises).toBe(0);
  });

  it('resolves an asset rule to each series of its metric and adds them up', async () => {
    const admin = await kit.token('admin');
    const asset = await kit.api.request<{ id: string }>('POST', '/api/v1/assets', {
      token: admin,
      body: {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [73.86, 18.52] },
        properties: { code: `PRV-${String(Date.now())}`, name: 'Preview tank', kind: 'tank' },
      },
    });
    expect(asset.status, JSON.stringify(asset.body)).toBe(201);
    const first = await kit.device(['level_cm', 'battery_v'], asset.body.id);
    const second = await kit.device(['level_cm'], asset.body.id);
    await store(first, 'level_cm', everyFive([90, 120, 90, 120, 90]));
    await store(first, 'battery_v', everyFive([3.6, 3.6, 3.6]));
    await store(second, 'level_cm', everyFive([120, 90]));

    const result = await previewOk({
      condition: 'high',
      scope: 'asset',
      assetId: asset.body.id,
      metricId: await levelMetric(),
      setpoint: 100,
    });

    expect(result.totalRaises).toBe(3);
    expect(result.points).toBe(7);
    expect(
      result.targets
        .map((t) => [t.seriesId, t.raiseCount, t.label])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual([
      [first.series.level_cm, 2, 'Preview tank'],
      [second.series.level_cm, 1, 'Preview tank'],
    ]);
  });

  it("refuses another tenant's series and asset, telling nothing of them", async () => {
    const [foreign] = await adminQuery<{ id: number; asset_id: string }>(
      `SELECT s.id, d.asset_id FROM series s JOIN devices d ON d.id = s.device_id
        WHERE s.tenant_id = $1 AND d.asset_id IS NOT NULL AND EXISTS (SELECT 1 FROM telemetry t WHERE t.series_id = s.id)
        LIMIT 1`,
      [await tenantId(tenantB.slug)],
    );
    expect(foreign).toBeDefined();

    const bySeries = await preview<Problem>({ condition: 'high', seriesId: foreign?.id ?? 0, setpoint: 0 });
    const byAsset = await preview<Problem>({
      condition: 'high',
      scope: 'asset',
      assetId: foreign?.asset_id ?? '',
      metricId: await levelMetric(),
      setpoint: 0,
    });

    expect(bySeries.status).toBe(400);
    expect(bySeries.body.errors).toEqual([{ path: 'seriesId', message: 'No such series in this tenant' }]);
    expect(JSON.stringify(bySeries.body)).not.toContain('totalRaises');
    expect(byAsset.status).toBe(400);
    expect(byAsset.body.errors?.[0]?.path).toBe('assetId');
  });

  it('reads the 1-minute rollup when the readings are too many, and refuses past that with a problem', async () => {
    const dense = await kit.device(['level_cm']);
    const denser = await kit.device(['level_cm']);
    // 240 readings ten seconds apart: 40 minutes of rollup.
    await store(
      dense,
      'level_cm',
      Array.from({ length: 240 }, (_, i): [number, number] => [at(i / 6), i % 60 === 30 ? 150 : 50]),
    );
    // 240 readings a minute apart: as many minutes.
    await store(
      denser,
      'level_cm',
      Array.from({ length: 240 }, (_, i): [number, number] => [at(i - 60), 50]),
    );

    const rolled = await previewOk({
      condition: 'high',
      seriesId: dense.series.level_cm ?? 0,
      setpoint: 100,
    });
    const refused = await preview<Problem>({
      condition: 'high',
      seriesId: denser.series.level_cm ?? 0,
      setpoint: 100,
    });

    expect(rolled.resolution).toBe('1m');
    expect(rolled.points).toBe(40);
    // Each minute stands for its highest reading: the four spikes survive.
    expect(rolled.totalRaises).toBe(4);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.type).toBe('urn:tidewatch:problem:validation_failed');
    expect(refused.body.errors?.[0]?.path).toBe('scope');
    expect(refused.body.errors?.[0]?.message).toContain('240 readings');
  });

  it('refuses a rule covering more series than a preview evaluates', async () => {
    const admin = await kit.token('admin');
    const asset = await kit.api.request<{ id: string }>('POST', '/api/v1/assets', {
      token: admin,
      body: {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [73.87, 18.53] },
        properties: { code: `PRV-MANY-${String(Date.now())}`, name: 'Busy tank', kind: 'tank' },
      },
    });
    for (let i = 0; i < 6; i += 1) await kit.device(['level_cm'], asset.body.id);

    const response = await preview<Problem>({
      condition: 'high',
      scope: 'asset',
      assetId: asset.body.id,
      setpoint: 1,
      metricId: await levelMetric(),
    });

    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toContain('covers 6 series');
  });

  it('is for those who write rules, and covers the conditions that replay readings', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;

    const operator = await preview({ condition: 'high', seriesId, setpoint: 1 }, 'operator');
    const noData = await preview<Problem>({ condition: 'no_data', seriesId, windowS: 600 });

    expect(operator.status).toBe(403);
    expect(noData.status).toBe(400);
    expect(noData.body.errors?.[0]?.path).toBe('condition');
  });
});
