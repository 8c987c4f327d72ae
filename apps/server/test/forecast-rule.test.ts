import type { AlertRulePreview, AssetFeature, AssetForecast } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit } from './alert-fixtures.ts';
import { tenantA } from './harness.ts';

const FULL = 390;
const RATE_PER_MIN = 2;

describe('forecast rule: a tank filling towards overflow', () => {
  let kit: AlertTestKit;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
  });
  afterAll(async () => {
    await kit.close();
  });

  it('raises when overflow is predicted within the horizon, to the minute, and clears when the level stops rising', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    const fields = {
      condition: 'forecast' as const,
      seriesId,
      windowS: 600,
      params: { fullLevel: FULL, horizonS: 1800 },
    };
    const rule = await kit.rule(fields);
    // 40 to 20 minutes ago: 300 cm rising 2 cm/min (it would overflow 45 minutes after the start), then steady.
    const rising = Array.from({ length: 21 }, (_, i) => [2400 - i * 60, 300 + RATE_PER_MIN * i] as const);
    const steady = Array.from({ length: 20 }, (_, i) => [1140 - i * 60, 340] as const);
    const sentAt = Date.now();
    await kit.send(device, 'level_cm', [...rising, ...steady]);

    const alert = await kit.only(rule);
    // First raised at 330 cm, 15 minutes in: 30 minutes before the overflow at 45.
    expect(alert.raisedValue).toBe(330);
    const predicted = /overflows in (\d+) min/.exec(alert.message);
    expect(predicted, alert.message).not.toBeNull();
    const raisedAtMinute = 15;
    const overflowMinute = (FULL - 300) / RATE_PER_MIN;
    expect(Math.abs(raisedAtMinute + Number(predicted?.[1]) - overflowMinute)).toBeLessThanOrEqual(1);
    // Once steady, the prediction moved out of the horizon and the condition cleared.
    expect(alert.conditionActive).toBe(false);
    expect(alert.state).toBe('returned_unacknowledged');

    const preview = await kit.api.request<AlertRulePreview>('POST', '/api/v1/alert-rules/preview', {
      token: await kit.token('supervisor'),
      body: { name: 'Preview', priority: 'high', scope: 'series', ...fields },
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.totalRaises).toBe(1);
    expect(preview.body.raises[0]?.value).toBe(330);
    const raisedAt = Date.parse(preview.body.raises[0]?.at ?? '');
    // The reading 15 minutes after the start, within the second the test sent it.
    expect(Math.abs(raisedAt - (sentAt - (2400 - 15 * 60) * 1000))).toBeLessThan(2000);
    expect(preview.body.targets[0]?.activeAtEnd).toBe(false);
  });

  it('shows the time to full of a tank from its live level, within a minute of when it overflows', async () => {
    const created = await kit.api.request<AssetFeature>('POST', '/api/v1/assets', {
      token: await kit.token('admin'),
      body: {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [73.91, 18.55] },
        properties: {
          code: `TANK-FC-${String(Date.now())}`,
          name: 'Forecast tank',
          kind: 'tank',
          attributes: { overflowCm: FULL, heightCm: 400 },
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const device = await kit.device(['level_cm'], created.body.id);
    // The last 20 minutes: 300 cm rising 2 cm/min, so 340 now and full at 390 in 25 minutes.
    const start = Date.now();
    await kit.send(
      device,
      'level_cm',
      Array.from({ length: 21 }, (_, i) => [1200 - i * 60, 300 + RATE_PER_MIN * i] as const),
    );
    const overflowAt = start + ((FULL - 340) / RATE_PER_MIN) * 60_000;

    const response = await kit.api.request<AssetForecast>(
      'GET',
      `/api/v1/assets/${created.body.id}/forecast`,
      {
        token: await kit.token('viewer'),
      },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const [level] = response.body.series;
    expect(level).toMatchObject({
      metricKey: 'level_cm',
      fullLevel: FULL,
      emptyLevel: 0,
      timeToEmptyS: null,
    });
    expect(level?.ratePerMin).toBeCloseTo(RATE_PER_MIN, 6);
    const predicted = Date.parse(level?.at ?? '') + (level?.timeToFullS ?? 0) * 1000;
    expect(Math.abs(predicted - overflowAt)).toBeLessThanOrEqual(60_000);

    const pump = await kit.api.request('GET', `/api/v1/assets/${created.body.id}x/forecast`, {
      token: await kit.token('viewer'),
    });
    expect(pump.status).toBe(400);
  });

  it('refuses a forecast rule without a window or without a level to watch', async () => {
    const device = await kit.device(['level_cm']);
    const token = await kit.token('supervisor');
    const base = {
      name: 'x',
      priority: 'high',
      scope: 'series',
      condition: 'forecast',
      seriesId: device.series.level_cm,
    };
    const noWindow = await kit.api.request('POST', '/api/v1/alert-rules', {
      token,
      body: { ...base, params: { fullLevel: 390 } },
    });
    expect(noWindow.status).toBe(400);
    const noLevel = await kit.api.request('POST', '/api/v1/alert-rules', {
      token,
      body: { ...base, windowS: 600, params: {} },
    });
    expect(noLevel.status).toBe(400);
  });
});
