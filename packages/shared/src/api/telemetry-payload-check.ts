import type { ReadingMessage, TelemetryPayload } from './telemetry.schema.ts';

// The hot-path twin of `telemetryPayloadSchema`, which stays the contract (OpenAPI, error messages): every
// device message is checked here, in a few hundred nanoseconds and without allocating, instead of through the
// zod union. security/test/telemetry-payload-check.test.ts proves both accept and refuse the same payloads.

const METRIC_KEY = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_VALUES = 64;
const MAX_MESSAGES = 1000;
const MAX_EPOCH_MS = 8.64e15;
// RFC 3339 with seconds and a `Z` or an offset, as z.iso.datetime({ offset: true }); the day is checked below.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function isDateTime(text: string): boolean {
  const match = DATE_TIME.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day <= days;
}

function isReadingTime(ts: unknown): boolean {
  if (typeof ts === 'number') return Number.isInteger(ts) && ts >= 0 && ts <= MAX_EPOCH_MS;
  return typeof ts === 'string' && isDateTime(ts);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The values of a message, or null when refused. zod skips an own `__proto__` key without checking it (it would
 * replace the result's prototype), so such values come back as a copy without it; any other comes back as is.
 */
function checkValues(values: unknown): Record<string, number | boolean> | null {
  if (!isRecord(values)) return null;
  let count = 0;
  let hasProtoKey = false;
  for (const key in values) {
    if (!Object.prototype.hasOwnProperty.call(values, key)) continue;
    if (key === '__proto__') {
      hasProtoKey = true;
      continue;
    }
    const value = values[key];
    if (!METRIC_KEY.test(key)) return null;
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'boolean') return null;
    count += 1;
  }
  if (count === 0 || count > MAX_VALUES) return null;
  if (!hasProtoKey) return values as Record<string, number | boolean>;
  const copy: Record<string, number | boolean> = {};
  for (const key of Object.keys(values)) if (key !== '__proto__') copy[key] = values[key] as number | boolean;
  return copy;
}

function checkMessage(message: unknown): ReadingMessage | null {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return null;
  const fields = message as Record<string, unknown>;
  for (const key in fields) if (key !== 'ts' && key !== 'values') return null;
  if (fields.ts !== undefined && !isReadingTime(fields.ts)) return null;
  const values = checkValues(fields.values);
  if (values === null) return null;
  if (values === fields.values) return message as ReadingMessage;
  return fields.ts === undefined ? { values } : ({ ts: fields.ts, values } as ReadingMessage);
}

/**
 * Checks a decoded telemetry payload (JSON of one reading message or an array of 1 to 1,000) against the rules
 * of `telemetryPayloadSchema`: the payload typed when valid, null when the schema would refuse it. Meant for
 * values `JSON.parse` produces; run the schema on a refused payload to tell the sender why.
 * @example
 * const payload = checkTelemetryPayload(JSON.parse(body));
 * if (payload === null) telemetryPayloadSchema.parse(body); // throws the ZodError the sender is shown
 */
export function checkTelemetryPayload(payload: unknown): TelemetryPayload | null {
  if (!Array.isArray(payload)) return checkMessage(payload);
  if (payload.length < 1 || payload.length > MAX_MESSAGES) return null;
  let checked: ReadingMessage[] | null = null;
  for (let i = 0; i < payload.length; i += 1) {
    const item: unknown = payload[i];
    const message = checkMessage(item);
    if (message === null) return null;
    if (message !== item && checked === null) checked = payload.slice(0, i) as ReadingMessage[];
    checked?.push(message);
  }
  return checked ?? (payload as ReadingMessage[]);
}
