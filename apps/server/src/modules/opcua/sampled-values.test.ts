import { describe, expect, it } from 'vitest';
import { mappedValue, numericValue, readingTime, type SampledValue } from './sampled-values.ts';

const sample = (value: unknown, extra: Partial<SampledValue> = {}): SampledValue => ({
  value,
  dataType: 'Double',
  good: true,
  statusName: 'Good',
  sourceTimestamp: new Date(Date.UTC(2026, 11, 5, 6, 0, 0)),
  serverTimestamp: new Date(Date.UTC(2026, 11, 5, 6, 0, 1)),
  ...extra,
});

describe('numericValue', () => {
  it.each([
    [{ value: 12.5, dataType: 'Double' }, 12.5],
    [{ value: true, dataType: 'Boolean' }, 1],
    [{ value: false, dataType: 'Boolean' }, 0],
    [{ value: [0, 42], dataType: 'UInt64' }, 42],
    [{ value: [1, 0], dataType: 'UInt64' }, 4_294_967_296],
    [{ value: [0xffff_ffff, 0xffff_fffe], dataType: 'Int64' }, -2],
  ])('reads %j as %d', (input, expected) => {
    expect(numericValue(input)).toBe(expected);
  });

  it.each([
    [{ value: 'high', dataType: 'String' }],
    [{ value: Number.NaN, dataType: 'Double' }],
    [{ value: [1, 2, 3], dataType: 'Double' }],
    [{ value: null, dataType: 'Null' }],
  ])('refuses %j', (input) => {
    expect(numericValue(input)).toBe('not_a_number');
  });
});

describe('mappedValue', () => {
  it('applies scale and offset to a Good value', () => {
    expect(mappedValue(sample(180), { scale: 0.5, offset: 10 })).toBe(100);
  });

  it('stores nothing of an Uncertain or Bad value', () => {
    expect(
      mappedValue(sample(180, { good: false, statusName: 'BadSensorFailure' }), { scale: 1, offset: 0 }),
    ).toBe('bad_status');
  });

  it('refuses a result too large for a double', () => {
    expect(mappedValue(sample(1e308), { scale: 1e10, offset: 0 })).toBe('not_a_number');
  });
});

describe('readingTime', () => {
  it('is the source timestamp, then the server timestamp, then the time of arrival', () => {
    const s = sample(1);
    expect(readingTime(s, 5)).toBe(s.sourceTimestamp?.getTime());
    expect(readingTime({ ...s, sourceTimestamp: null }, 5)).toBe(s.serverTimestamp?.getTime());
    expect(readingTime({ ...s, sourceTimestamp: null, serverTimestamp: null }, 5)).toBe(5);
    // node-opcua reports a missing timestamp as the OPC UA minimum date.
    expect(readingTime({ ...s, sourceTimestamp: new Date(-11644473600000), serverTimestamp: null }, 5)).toBe(
      5,
    );
  });
});
