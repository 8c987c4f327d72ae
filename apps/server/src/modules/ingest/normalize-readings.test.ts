import { describe, expect, it } from 'vitest';
import type { IngestDevice } from './ingest-device.ts';
import { normalizeReadings } from './normalize-readings.ts';

const now = Date.parse('2026-11-21T12:00:00Z');
const window = { maxFutureMs: 5 * 60_000, maxAgeMs: 7 * 86_400_000 };
const device: IngestDevice = {
  id: 'd',
  tenantId: 't',
  assetId: null,
  transport: 'mqtt',
  disabled: false,
  credentialHash: null,
  credentialRotatedAt: null,
  seriesByKey: new Map([
    ['level_cm', { id: 1, key: 'level_cm', min: -50, max: 2000 }],
    ['pump_state', { id: 2, key: 'pump_state', min: 0, max: 1 }],
    ['pressure_bar', { id: 3, key: 'pressure_bar', min: -1, max: 25 }],
  ]),
  calibrations: [
    { seriesId: 3, scale: 1, offset: -0.05, from: Date.parse('2026-11-01T00:00:00Z'), to: null },
  ],
};

describe('normalizeReadings', () => {
  it('stores known metrics at the given time, or now, with booleans as 0/1', () => {
    const result = normalizeReadings(
      device,
      [
        { ts: '2026-11-21T11:59:00Z', values: { level_cm: 182.4, pump_state: true } },
        { values: { level_cm: 183 } },
      ],
      now,
      window,
    );

    expect(result.rejections).toEqual([]);
    expect(result.readings).toEqual([
      { seriesId: 1, time: now - 60_000, value: 182.4 },
      { seriesId: 2, time: now - 60_000, value: 1 },
      { seriesId: 1, time: now, value: 183 },
    ]);
  });

  it('applies the calibration valid at the reading’s time, not at arrival', () => {
    const result = normalizeReadings(
      device,
      [
        { ts: Date.parse('2026-10-31T23:00:00Z'), values: { pressure_bar: 2 } },
        { ts: Date.parse('2026-11-21T11:00:00Z'), values: { pressure_bar: 2 } },
      ],
      now,
      { ...window, maxAgeMs: 30 * 86_400_000 },
    );

    expect(result.readings.map((r) => r.value)).toEqual([2, 1.95]);
  });

  it('rejects unknown metrics, impossible values and implausible times, value by value', () => {
    const result = normalizeReadings(
      device,
      [
        { values: { level_cm: 5000, flow_lpm: 3, pump_state: 0 } },
        { ts: now + 3_600_000, values: { level_cm: 1 } },
        { ts: 0, values: { level_cm: 1 } },
      ],
      now,
      window,
    );

    expect(result.readings).toEqual([{ seriesId: 2, time: now, value: 0 }]);
    expect(result.rejections).toEqual([
      { message: 0, metric: 'level_cm', reason: 'out_of_range' },
      { message: 0, metric: 'flow_lpm', reason: 'unknown_metric' },
      { message: 1, metric: 'level_cm', reason: 'too_far_in_future' },
      { message: 2, metric: 'level_cm', reason: 'too_old' },
    ]);
  });

  it('rejects a value beyond the stored limits, or one calibration makes infinite, on a metric without a range', () => {
    const raw: IngestDevice = {
      ...device,
      seriesByKey: new Map([
        ['raw', { id: 4, key: 'raw', min: null, max: null }],
        ['scaled', { id: 5, key: 'scaled', min: null, max: null }],
      ]),
      calibrations: [{ seriesId: 5, scale: 10, offset: 0, from: null, to: null }],
    };

    const result = normalizeReadings(
      raw,
      [
        { values: { raw: 1.7e308, scaled: 1e308 } },
        { values: { raw: -Number.MAX_VALUE, scaled: 2 } },
        { values: { raw: 5e-324, scaled: -0 } },
        { values: { raw: 1e100, scaled: -1e100 } },
        { values: { raw: -1e-100, scaled: 1e-100 } },
      ],
      now,
      window,
    );

    expect(result.rejections).toEqual([
      { message: 0, metric: 'raw', reason: 'overflow' },
      { message: 0, metric: 'scaled', reason: 'overflow' },
      { message: 1, metric: 'raw', reason: 'overflow' },
      { message: 2, metric: 'raw', reason: 'underflow' },
      { message: 3, metric: 'scaled', reason: 'overflow' },
    ]);
    expect(result.readings.map((r) => r.value)).toEqual([20, 0, 1e100, -1e-100, 1e-99]);
  });
});
