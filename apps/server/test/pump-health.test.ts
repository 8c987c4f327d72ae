import type { AlertRulePreview, AssetFeature, AssetHealth, AssetHealthList } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit } from './alert-fixtures.ts';
import { tenantA } from './harness.ts';

describe('pump starts rule and asset health', () => {
  let kit: AlertTestKit;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
  });
  afterAll(async () => {
    await kit.close();
  });

  it('raises on the fourth start within the hour, and reports runtime, starts and health with reasons', async () => {
    const created = await kit.api.request<AssetFeature>('POST', '/api/v1/assets', {
      token: await kit.token('admin'),
      body: {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [73.92, 18.56] },
        properties: { code: `PUMP-HS-${String(Date.now())}`, name: 'Cycling pump', kind: 'pump' },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const assetId = created.body.id;
    const device = await kit.device(['pump_state'], assetId);
    const seriesId = device.series.pump_state ?? 0;
    const fields = { condition: 'pump_starts' as const, seriesId, setpoint: 3, windowS: 3600 };
    const rule = await kit.rule(fields);

    // Every 5 minutes from 60 to 5 minutes ago: stopped, running, stopped, ... (6 starts, each run 5 minutes).
    const readings = Array.from({ length: 12 }, (_, i) => [(60 - 5 * i) * 60, i % 2] as const);
    const sentAt = Date.now();
    await kit.send(device, 'pump_state', readings);

    const alert = await kit.only(rule);
    expect(alert.message).toContain('4 starts in 60 min (limit 3)');
    expect(alert.raisedValue).toBe(1);

    const preview = await kit.api.request<AlertRulePreview>('POST', '/api/v1/alert-rules/preview', {
      token: await kit.token('supervisor'),
      body: { name: 'Preview', priority: 'high', scope: 'series', ...fields },
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.totalRaises).toBe(1);
    // The fourth start: the reading 25 minutes ago (index 7).
    const raisedAt = Date.parse(preview.body.raises[0]?.at ?? '');
    expect(Math.abs(raisedAt - (sentAt - 25 * 60_000))).toBeLessThan(2000);

    const health = await kit.api.request<AssetHealth>('GET', `/api/v1/assets/${assetId}/health`, {
      token: await kit.token('viewer'),
    });
    expect(health.status, JSON.stringify(health.body)).toBe(200);
    const pump = health.body.pump;
    expect(pump).toMatchObject({
      seriesId,
      metricKey: 'pump_state',
      runningAbove: 0.5,
      starts: 6,
      running: true,
    });
    // Six runs of 5 minutes (the last one still running, 5 minutes to now).
    expect(pump?.runtimeHours ?? 0).toBeCloseTo(0.5, 2);
    expect(pump?.startsPerHour).toBeCloseTo(6 / 24, 9);
    // Known for the last 60 of 24 × 60 minutes.
    expect(pump?.availability ?? 0).toBeCloseTo(1 / 24, 3);
    const penalties = Object.fromEntries(health.body.reasons.map((r) => [r.code, r.penalty]));
    expect(penalties.alarms).toBe(10);
    // One or two hours of 24 have data, as the hour boundary falls.
    expect([28, 29]).toContain(penalties.completeness);
    expect(health.body.score).toBe(100 - health.body.reasons.reduce((sum, r) => sum + r.penalty, 0));

    const list = await kit.api.request<AssetHealthList>('GET', '/api/v1/asset-health', {
      token: await kit.token('viewer'),
    });
    expect(list.status).toBe(200);
    expect(list.body.items.find((i) => i.assetId === assetId)?.score).toBe(health.body.score);

    const missing = await kit.api.request('GET', `/api/v1/assets/${assetId.replace(/.$/, '0')}0/health`, {
      token: await kit.token('viewer'),
    });
    expect(missing.status).toBe(400);
  });

  it('answers a preview for every rule kind that replays readings', async () => {
    const device = await kit.device(['flow_lpm']);
    const seriesId = device.series.flow_lpm ?? 0;
    await kit.send(
      device,
      'flow_lpm',
      Array.from({ length: 30 }, (_, i) => [(30 - i) * 60, 20 + (i % 5)] as const),
    );
    const kinds = [
      { condition: 'high', setpoint: 22 },
      { condition: 'high_high', setpoint: 23 },
      { condition: 'low', setpoint: 21 },
      { condition: 'low_low', setpoint: 20.5 },
      { condition: 'rate_of_change', setpoint: 2, windowS: 120 },
      { condition: 'anomaly', params: { warmupSamples: 5 } },
      { condition: 'anomaly', params: { cycle: 'week', cycleWarmup: 1 } },
      { condition: 'forecast', windowS: 600, params: { fullLevel: 100 } },
      { condition: 'pump_starts', setpoint: 2, windowS: 600, params: { runningAbove: 22.5 } },
    ];
    const token = await kit.token('supervisor');
    for (const kind of kinds) {
      const preview = await kit.api.request<AlertRulePreview>('POST', '/api/v1/alert-rules/preview', {
        token,
        body: { name: 'Preview', priority: 'high', scope: 'series', seriesId, ...kind },
      });
      expect(preview.status, `${kind.condition}: ${JSON.stringify(preview.body)}`).toBe(200);
      expect(preview.body.points).toBe(30);
    }
  });
});
