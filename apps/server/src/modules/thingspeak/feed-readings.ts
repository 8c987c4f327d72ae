import type { FeedEntry } from './thingspeak-feed.ts';

/** field1..field8 of a channel mapped to a series of the device, with a linear conversion to its unit. */
export interface FieldMapping {
  readonly field: number;
  readonly seriesId: number;
  readonly metricKey: string;
  readonly scale: number;
  readonly offset: number;
}

/** Why a field's value was skipped: null or empty (the device did not send it), or not a number. */
export type FieldRejection = 'missing' | 'not_a_number';

export interface ChannelMessage {
  /** Epoch milliseconds. */
  readonly ts: number;
  readonly values: Record<string, number>;
}

export interface FeedReadings {
  /** One message per new entry that has at least one usable value, oldest first. */
  readonly messages: ChannelMessage[];
  /** The newest entry after the cursor, usable or not: the cursor moves past it once the messages are stored. */
  readonly newest: { readonly entryId: number; readonly createdAt: number } | null;
  readonly newEntries: number;
  readonly rejectedFields: Readonly<Record<FieldRejection, number>>;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A ThingSpeak field value as a number. ThingSpeak stores whatever a device wrote, so only plain decimals
 * count: `"12.5"`, `" 3e2 "`; not `"NaN"`, `"0x10"`, `"12,5"` or `"12 cm"`.
 * @example parseFieldValue('180.0') // 180
 */
export function parseFieldValue(raw: unknown): number | FieldRejection {
  if (raw === null || raw === undefined) return 'missing';
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : 'not_a_number';
  if (typeof raw !== 'string') return 'not_a_number';
  const text = raw.trim();
  if (text === '') return 'missing';
  if (!DECIMAL.test(text)) return 'not_a_number';
  const value = Number(text);
  return Number.isFinite(value) ? value : 'not_a_number';
}

/**
 * One field of an entry as its mapping converts it, `raw * scale + offset`, or why it is skipped.
 * @example mapFieldValue('180.0', { field: 1, seriesId: 7, metricKey: 'level_cm', scale: 0.5, offset: 10 }) // 100
 */
export function mapFieldValue(
  raw: unknown,
  mapping: Pick<FieldMapping, 'scale' | 'offset'>,
): number | FieldRejection {
  const parsed = parseFieldValue(raw);
  if (typeof parsed !== 'number') return parsed;
  const value = parsed * mapping.scale + mapping.offset;
  return Number.isFinite(value) ? value : 'not_a_number';
}

/**
 * Turns the entries after `afterEntryId` into ingest messages keyed by metric, each value converted as
 * `raw * scale + offset` (the series' calibration is applied after, by ingest). Unusable values are skipped
 * and counted; an entry left with no value still moves the cursor.
 */
export function feedToReadings(
  entries: readonly FeedEntry[],
  mappings: readonly FieldMapping[],
  afterEntryId: number | null,
): FeedReadings {
  const messages: ChannelMessage[] = [];
  const rejectedFields: Record<FieldRejection, number> = { missing: 0, not_a_number: 0 };
  let newest: FeedReadings['newest'] = null;
  let newEntries = 0;
  for (const entry of entries) {
    if (afterEntryId !== null && entry.entryId <= afterEntryId) continue;
    newEntries += 1;
    if (newest === null || entry.entryId > newest.entryId)
      newest = { entryId: entry.entryId, createdAt: entry.createdAt };
    const values: Record<string, number> = {};
    for (const mapping of mappings) {
      const value = mapFieldValue(entry.fields[mapping.field], mapping);
      if (typeof value === 'number') values[mapping.metricKey] = value;
      else rejectedFields[value] += 1;
    }
    if (Object.keys(values).length > 0) messages.push({ ts: entry.createdAt, values });
  }
  return { messages, newest, newEntries, rejectedFields };
}
