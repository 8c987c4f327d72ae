import type { Calibration, DeviceAvailability } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit } from './alert-fixtures.ts';
import { adminQuery, tenantA, tenantB } from './harness.ts';

describe('device records: calibrations applied at ingest, firmware, availability', () => {
  let kit: AlertTestKit;

  beforeAll(async () => {
    // The device cache kept (the default): a calibration must reach ingest through the change event.
    kit = await AlertTestKit.start(tenantA, { INGEST_DEVICE_CACHE_MS: '600000' });
  });
  afterAll(async () => {
    await kit.close();
  });

  it('stores readings calibrated from the calibration’s start on, and keeps the history', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    await kit.send(device, 'level_cm', [[120, 10]]);
    const maintenance = await kit.token('maintenance');
    const from = new Date(Date.now() - 60_000).toISOString();
    const first = await kit.api.request<Calibration>('POST', `/api/v1/devices/${device.id}/calibrations`, {
      token: maintenance,
      body: { seriesId, scale: 2, offset: 1, validFrom: from, note: 'Bench check' },
    });
    expect(first.status).toBe(201);
    const second = await kit.api.request<Calibration>('POST', `/api/v1/devices/${device.id}/calibrations`, {
      token: maintenance,
      body: { seriesId, scale: 3, offset: 0, validFrom: new Date(Date.now() - 30_000).toISOString() },
    });
    expect(second.status).toBe(201);
    const earlier = await kit.api.request('POST', `/api/v1/devices/${device.id}/calibrations`, {
      token: maintenance,
      body: { seriesId, scale: 5, offset: 0, validFrom: from },
    });
    expect(earlier.status).toBe(409);
    await kit.send(device, 'level_cm', [
      [45, 10],
      [10, 10],
    ]);
    const stored = await adminQuery<{ value: number }>(
      'SELECT value FROM telemetry WHERE series_id = $1 ORDER BY time',
      [seriesId],
    );
    expect(stored.map((row) => row.value)).toEqual([10, 21, 30]);
    const history = await kit.api.request<{ items: Calibration[] }>(
      'GET',
      `/api/v1/devices/${device.id}/calibrations`,
      { token: await kit.token('viewer') },
    );
    expect(history.body.items.map((c) => [c.scale, c.validTo === null])).toEqual([
      [3, true],
      [2, false],
    ]);
    const foreign = await kit.api.request('GET', `/api/v1/devices/${device.id}/calibrations`, {
      token: await kit.api.tokenFor(tenantB.email('admin')),
    });
    expect(foreign.status).toBe(404);
  });

  it('records firmware and measures up time from recorded downtimes, as JSON and CSV', async () => {
    const device = await kit.device(['level_cm']);
    const maintenance = await kit.token('maintenance');
    const firmware = await kit.api.request('POST', `/api/v1/devices/${device.id}/firmware`, {
      token: maintenance,
      body: { version: '2.4.1', note: 'OTA' },
    });
    expect(firmware.status).toBe(201);
    const shown = await kit.api.request<{ firmwareVersion: string }>('GET', `/api/v1/devices/${device.id}`, {
      token: maintenance,
    });
    expect(shown.body.firmwareVersion).toBe('2.4.1');
    const to = new Date();
    const from = new Date(to.getTime() - 3_600_000);
    await adminQuery(`UPDATE devices SET created_at = $2 WHERE id = $1`, [
      device.id,
      new Date(from.getTime() - 1000),
    ]);
    await adminQuery(
      `INSERT INTO device_downtimes (tenant_id, device_id, started_at, ended_at, reason)
       SELECT tenant_id, id, $2::timestamptz, $2::timestamptz + interval '6 minutes', 'silence' FROM devices WHERE id = $1`,
      [device.id, new Date(from.getTime() + 600_000)],
    );
    const query = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    const availability = await kit.api.request<DeviceAvailability>(
      'GET',
      `/api/v1/devices/${device.id}/availability?${query}`,
      { token: await kit.token('viewer') },
    );
    expect(availability.status).toBe(200);
    expect(availability.body.downtimeS).toBeCloseTo(360, 0);
    expect(availability.body.uptimePercent).toBeCloseTo(90, 1);
    const csv = await kit.api.request<string>(
      'GET',
      `/api/v1/devices/${device.id}/availability?${query}&format=csv`,
      {
        token: await kit.token('viewer'),
      },
    );
    expect(csv.body.split('\n')[1]).toMatch(/,360,silence$/);
  });
});
