/** A value as an OPC UA server delivered it, reduced to what the connector judges. */
export interface SampledValue {
  /** The Variant's value: a number, boolean, a 64-bit integer as [high, low] words, or anything else. */
  readonly value: unknown;
  /** The Variant's built-in type name (`Double`, `Int64`, `Boolean`...). */
  readonly dataType: string;
  /** Good status; Uncertain and Bad values are not stored. */
  readonly good: boolean;
  readonly statusName: string;
  readonly sourceTimestamp: Date | null;
  readonly serverTimestamp: Date | null;
}

export type ValueRejection = 'bad_status' | 'not_a_number';

const WORD = 4_294_967_296;

/**
 * The number a value stands for: numbers as they are, booleans as 1 and 0, 64-bit integers (node-opcua gives
 * them as [high, low] 32-bit words) as the nearest double; anything else (text, arrays, structures) is not one.
 * @example numericValue({ value: [0, 42], dataType: 'UInt64', ... }) // 42
 */
export function numericValue(sample: Pick<SampledValue, 'value' | 'dataType'>): number | 'not_a_number' {
  const { value, dataType } = sample;
  if (typeof value === 'number') return Number.isFinite(value) ? value : 'not_a_number';
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (
    (dataType === 'Int64' || dataType === 'UInt64') &&
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((word) => typeof word === 'number')
  ) {
    const [high, low] = value as [number, number];
    const signedHigh = dataType === 'Int64' && high >= 0x8000_0000 ? high - WORD : high;
    return signedHigh * WORD + low;
  }
  return 'not_a_number';
}

/**
 * What a binding's item stores of a sample: `value * scale + offset`, or why nothing is stored. The series'
 * calibration is applied after, by ingest.
 * @example mappedValue({ value: 180, dataType: 'Double', good: true, ... }, { scale: 0.5, offset: 10 }) // 100
 */
export function mappedValue(
  sample: SampledValue,
  mapping: { readonly scale: number; readonly offset: number },
): number | ValueRejection {
  if (!sample.good) return 'bad_status';
  const number = numericValue(sample);
  if (number === 'not_a_number') return number;
  const value = number * mapping.scale + mapping.offset;
  return Number.isFinite(value) ? value : 'not_a_number';
}

/**
 * The time a reading is stored under: the source's own timestamp, which stays the same when a value is
 * delivered again (after a reconnection, or a subscription made anew), so the database keeps it once. A server
 * that sends none falls back to its server timestamp, then to the time it arrived.
 */
export function readingTime(sample: SampledValue, receivedAt: number): number {
  const source = sample.sourceTimestamp?.getTime();
  if (source !== undefined && Number.isFinite(source) && source > 0) return source;
  const server = sample.serverTimestamp?.getTime();
  if (server !== undefined && Number.isFinite(server) && server > 0) return server;
  return receivedAt;
}

/** A value as text for the preview: numbers and booleans as they read, others as JSON, cut short. */
export function rawText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.slice(0, 200);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  try {
    return JSON.stringify(value).slice(0, 200);
  } catch {
    return '(not shown)';
  }
}
