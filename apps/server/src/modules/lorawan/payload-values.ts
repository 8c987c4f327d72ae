import { parseFieldValue } from '../thingspeak/feed-readings.ts';

/** A path of the decoded payload mapped to a series of the device, with a linear conversion to its unit. */
export interface PayloadMapping {
  readonly path: string;
  readonly seriesId: number;
  readonly metricKey: string;
  readonly scale: number;
  readonly offset: number;
}

/** Why a mapped value is not used: absent (or null) in the payload, or not a number. */
export type PayloadValueRejection = 'missing' | 'not_a_number';

/**
 * The value at a dotted path of a decoded payload; a segment of digits indexes an array.
 * @example valueAt({ sensors: [{ value: 2.5 }] }, 'sensors.0.value') // 2.5
 */
export function valueAt(payload: unknown, path: string): unknown {
  let node = payload;
  for (const segment of path.split('.')) {
    if (Array.isArray(node)) {
      if (!/^\d{1,4}$/.test(segment)) return undefined;
      node = node[Number(segment)];
    } else if (typeof node === 'object' && node !== null && Object.hasOwn(node, segment)) {
      node = (node as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return node;
}

/**
 * One value of the payload as its mapping converts it, `raw * scale + offset`: numbers, decimal text, and
 * booleans as 1 and 0 (a pump's state, a door contact); anything else is skipped and counted.
 * @example mapPayloadValue(true, { scale: 1, offset: 0 }) // 1
 */
export function mapPayloadValue(
  raw: unknown,
  mapping: Pick<PayloadMapping, 'scale' | 'offset'>,
): number | PayloadValueRejection {
  if (raw === undefined || raw === null) return 'missing';
  const parsed = typeof raw === 'boolean' ? Number(raw) : parseFieldValue(raw);
  if (typeof parsed !== 'number') return parsed;
  const value = parsed * mapping.scale + mapping.offset;
  return Number.isFinite(value) ? value : 'not_a_number';
}

export interface PayloadValues {
  /** Metric key → value, for ingest. */
  readonly values: Record<string, number>;
  readonly rejected: Readonly<Record<PayloadValueRejection, number>>;
}

/** Every mapped value of a decoded payload; the series' calibration is applied after, by ingest. */
export function payloadValues(payload: unknown, mappings: readonly PayloadMapping[]): PayloadValues {
  const values: Record<string, number> = {};
  const rejected: Record<PayloadValueRejection, number> = { missing: 0, not_a_number: 0 };
  for (const mapping of mappings) {
    const value = mapPayloadValue(valueAt(payload, mapping.path), mapping);
    if (typeof value === 'number') values[mapping.metricKey] = value;
    else rejected[value] += 1;
  }
  return { values, rejected };
}
