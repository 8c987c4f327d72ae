import { describe, expect, it } from 'vitest';
import { feedToReadings, parseFieldValue, type FieldMapping } from './feed-readings.ts';
import type { FeedEntry } from './thingspeak-feed.ts';

const mappings: FieldMapping[] = [
  { field: 1, seriesId: 11, metricKey: 'level_cm', scale: 0.1, offset: 5 },
  { field: 3, seriesId: 13, metricKey: 'tds_ppm', scale: 1, offset: 0 },
];

function entry(entryId: number, fields: Record<number, unknown>): FeedEntry {
  return { entryId, createdAt: Date.UTC(2026, 10, 20, 6, entryId), fields };
}

describe('parseFieldValue', () => {
  it.each([
    ['180.0', 180],
    [' 3e2 ', 300],
    ['-0.5', -0.5],
    ['.25', 0.25],
    ['7.', 7],
    [42, 42],
  ])('reads %j as %d', (raw, value) => {
    expect(parseFieldValue(raw)).toBe(value);
  });

  it.each([null, undefined, '', '   '])('calls %j missing', (raw) => {
    expect(parseFieldValue(raw)).toBe('missing');
  });

  it.each(['NaN', 'nan', 'Infinity', '1e999', '0x10', '12,5', '12 cm', 'abc', true, {}, [], Number.NaN])(
    'refuses %j as not a number',
    (raw) => {
      expect(parseFieldValue(raw)).toBe('not_a_number');
    },
  );
});

describe('feedToReadings', () => {
  it('maps fields to metric keys as raw * scale + offset, one message per entry at its time', () => {
    const result = feedToReadings([entry(1, { 1: '1800', 2: '24.6', 3: '306' })], mappings, null);

    expect(result.messages).toEqual([
      { ts: Date.UTC(2026, 10, 20, 6, 1), values: { level_cm: 185, tds_ppm: 306 } },
    ]);
    expect(result.newest).toEqual({ entryId: 1, createdAt: Date.UTC(2026, 10, 20, 6, 1) });
    expect(result.newEntries).toBe(1);
  });

  it('takes only entries after the cursor', () => {
    const result = feedToReadings(
      [entry(4, { 1: '1' }), entry(5, { 1: '2' }), entry(6, { 1: '3' })],
      mappings,
      5,
    );

    expect(result.messages.map((m) => m.values)).toEqual([{ level_cm: 5.3 }]);
    expect(result.newEntries).toBe(1);
    expect(result.newest?.entryId).toBe(6);
  });

  it('skips and counts null, empty and junk values; an entry with none left still moves the cursor', () => {
    const result = feedToReadings(
      [entry(1, { 1: null, 3: '310' }), entry(2, { 1: 'NaN', 3: '' }), entry(3, { 1: 'err', 3: 'x' })],
      mappings,
      null,
    );

    expect(result.messages.map((m) => m.values)).toEqual([{ tds_ppm: 310 }]);
    expect(result.rejectedFields).toEqual({ missing: 2, not_a_number: 3 });
    expect(result.newest?.entryId).toBe(3);
    expect(result.newEntries).toBe(3);
  });

  it('has nothing to do when no entry is new', () => {
    const result = feedToReadings([entry(1, { 1: '1' })], mappings, 1);

    expect(result).toEqual({
      messages: [],
      newest: null,
      newEntries: 0,
      rejectedFields: { missing: 0, not_a_number: 0 },
    });
  });
});
