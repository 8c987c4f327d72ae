import {
  maxReadingMagnitude,
  minReadingMagnitude,
  readingRejectionReasons,
  telemetryPayloadSchema,
  type ReadingRejectionReason,
} from '@tidewatch/shared';
import type { Random } from '../random.ts';
import { depthBombText, hostileString } from './hostile-values.ts';

/** A metric the fuzzed device reports, with its valid range. */
export interface FuzzMetric {
  readonly key: string;
  readonly seriesId: number;
  readonly min: number | null;
  readonly max: number | null;
}

export interface MqttCase {
  readonly index: number;
  readonly kind: string;
  readonly subtopic: 'telemetry' | 'status' | 'commands/ack';
  readonly payload: Buffer;
  readonly qos: 0 | 1;
}

/** What the server should make of a case. */
export interface MqttPrediction {
  /** A whole message refused: malformed or too large (counted in ingest_messages_refused_total). */
  readonly refused: 'malformed' | 'too_large' | null;
  /** Each value's outcome (ingest_readings_total). */
  readonly outcomes: readonly ('accepted' | ReadingRejectionReason)[];
  /** The readings that must be stored: `seriesId|epoch ms|value`. */
  readonly stored: readonly string[];
}

export interface MqttWindow {
  readonly now: number;
  readonly maxFutureMs: number;
  readonly maxAgeMs: number;
  readonly maxPayloadBytes: number;
}

/** Issues timestamps no other valid reading of the run uses, so every stored reading is distinct. */
export class TimeSlots {
  private next: number;
  constructor(start: number) {
    this.next = start;
  }
  take(): number {
    this.next += 1000;
    return this.next;
  }
}

const HOUR = 3_600_000;

function goodValue(metric: FuzzMetric, random: Random): number | boolean {
  if (metric.min === 0 && metric.max === 1 && random.chance(0.5)) return random.chance(0.5);
  const low = metric.min ?? -1000;
  const high = metric.max ?? 1000;
  return low + Math.round(random.next() * (high - low) * 4) / 4;
}

/**
 * Builds MQTT case `index`: a valid message (one or many readings), a broken one (garbage, cut-short JSON,
 * NaN/Infinity tokens, deep nesting, wrong shapes, huge arrays, oversize), or one whose values are refused one by
 * one (unknown metrics, out of range, times at the extremes) — plus status and command-ack noise.
 */
export function buildMqttCase(
  index: number,
  metrics: readonly FuzzMetric[],
  slots: TimeSlots,
  window: MqttWindow,
  random: Random,
): MqttCase {
  // Every 500th message waits for its PUBACK, which comes once it is committed: the fuzzer never runs more
  // than that far ahead of the database, so it tests refusals, not the full-queue back-pressure.
  const qos: 0 | 1 = index % 500 === 499 || random.chance(0.1) ? 1 : 0;
  const text = (kind: string, body: string, subtopic: MqttCase['subtopic'] = 'telemetry'): MqttCase => ({
    index,
    kind,
    subtopic,
    payload: Buffer.from(body),
    qos,
  });
  const reading = (): Record<string, unknown> => {
    const values: Record<string, unknown> = {};
    for (const metric of metrics) if (random.chance(0.6)) values[metric.key] = goodValue(metric, random);
    if (Object.keys(values).length === 0) {
      const metric = random.pick(metrics);
      values[metric.key] = goodValue(metric, random);
    }
    return { ts: random.chance(0.5) ? slots.take() : new Date(slots.take()).toISOString(), values };
  };
  const kind = random.weighted<string>([
    [30, 'valid'],
    [8, 'valid-array'],
    [0.02, 'huge-array'],
    [6, 'garbage'],
    [5, 'truncated'],
    [4, 'nan-token'],
    [3, 'deep'],
    [6, 'wrong-shape'],
    [6, 'unknown-metric'],
    [5, 'out-of-range'],
    [6, 'time-extreme'],
    [1, 'oversize'],
    [3, 'status'],
    [3, 'ack'],
  ]);
  switch (kind) {
    case 'valid':
      return text(kind, JSON.stringify(reading()));
    case 'valid-array':
      return text(kind, JSON.stringify(Array.from({ length: random.int(1, 10) }, reading)));
    case 'huge-array': {
      // 1,000 messages is the most a payload may hold; 1,001 is refused whole.
      const count = random.pick([1000, 1001]);
      const metric = random.pick(metrics);
      return text(
        kind,
        JSON.stringify(
          Array.from({ length: count }, () => ({
            ts: slots.take(),
            values: { [metric.key]: goodValue(metric, random) },
          })),
        ),
      );
    }
    case 'garbage':
      return {
        index,
        kind,
        subtopic: 'telemetry',
        qos,
        payload: Buffer.from(Array.from({ length: random.int(0, 300) }, () => random.int(0, 255))),
      };
    case 'truncated': {
      const full = JSON.stringify(reading());
      return text(kind, full.slice(0, random.int(0, full.length - 1)));
    }
    case 'nan-token':
      return text(
        kind,
        `{"ts":${String(slots.take())},"values":{"${random.pick(metrics).key}":${random.pick(['NaN', 'Infinity', '-Infinity', '1e400', '-1e400', 'nan', '0x1F', '+1', '.5', '01'])}}}`,
      );
    case 'deep':
      return text(
        kind,
        random.chance(0.5)
          ? depthBombText(random)
          : `{"ts":${String(slots.take())},"values":{"level_cm":${'['.repeat(200)}1${']'.repeat(200)}}}`,
      );
    case 'wrong-shape':
      return text(
        kind,
        JSON.stringify(
          random.pick<unknown>([
            { values: [] },
            { values: {} },
            { values: { level_cm: '12.5' } },
            { values: { level_cm: null } },
            { values: { level_cm: { v: 1 } } },
            { values: { LEVEL: 1 } },
            { values: { level_cm: 1 }, extra: true },
            { ts: -1, values: { level_cm: 1 } },
            { ts: 1.5, values: { level_cm: 1 } },
            { ts: '2026-13-45T99:00:00Z', values: { level_cm: 1 } },
            { ts: 'yesterday', values: { level_cm: 1 } },
            { ts: 8.64e15 + 1, values: { level_cm: 1 } },
            { __proto__: { values: { level_cm: 1 } } },
            { values: Object.fromEntries(Array.from({ length: 65 }, (_v, i) => [`m${String(i)}`, 1])) },
            [],
            'text',
            42,
            null,
            { values: { [hostileString(random).slice(0, 30)]: 1 } },
          ]),
        ),
      );
    case 'unknown-metric':
      return text(
        kind,
        JSON.stringify({
          values: { [`no_such_${random.string(5)}`]: 1, ...(random.chance(0.5) ? { wind_kph: 3 } : {}) },
        }),
      );
    case 'out-of-range': {
      const bounded = metrics.filter((m) => m.max !== null);
      const metric = random.pick(bounded.length > 0 ? bounded : metrics);
      return text(
        kind,
        JSON.stringify({
          ts: slots.take(),
          values: {
            [metric.key]: random.pick([(metric.max ?? 0) + 1, (metric.min ?? 0) - 1, 1e308, -1e308]),
          },
        }),
      );
    }
    case 'time-extreme': {
      const metric = random.pick(metrics);
      const ts = random.pick<number | string>([
        0,
        8.64e15,
        window.now + window.maxFutureMs + 24 * HOUR,
        window.now - window.maxAgeMs - 24 * HOUR,
        '9999-12-31T23:59:59Z',
        '0001-01-01T00:00:00Z',
        '1970-01-01T00:00:00+14:00',
      ]);
      return text(kind, JSON.stringify({ ts, values: { [metric.key]: goodValue(metric, random) } }));
    }
    case 'oversize':
      return text(
        kind,
        JSON.stringify({
          values: { level_cm: 1 },
          pad: 'x'.repeat(window.maxPayloadBytes + random.int(1, 1000)),
        }),
      );
    case 'status':
      return text(
        kind,
        random.pick([
          'online',
          'offline',
          '{"status":"online"}',
          'maybe',
          '',
          '{"status":1}',
          hostileString(random).slice(0, 300),
        ]),
        'status',
      );
    default:
      return text(
        'ack',
        random.pick([
          'not json',
          '{}',
          JSON.stringify({ id: 'x', status: 'ok' }),
          JSON.stringify({ id: random.uuid(), status: 'maybe' }),
          JSON.stringify({ id: random.uuid(), status: 'ok', extra: 1 }),
          JSON.stringify({ id: random.uuid(), status: 'error', message: 'x'.repeat(600) }),
          JSON.stringify({ id: random.uuid(), status: 'ok', result: { note: 'nul \u0000 byte' } }),
          JSON.stringify({ id: random.uuid(), status: 'error', message: 'nul \u0000 byte' }),
          JSON.stringify({
            id: random.uuid(),
            status: 'ok',
            result: { deep: JSON.parse('['.repeat(100) + ']'.repeat(100)) as unknown },
          }),
        ]),
        'commands/ack',
      );
  }
}

/** The server's rules, restated independently: what it must do with a telemetry payload. */
export function predictTelemetry(
  payload: Buffer,
  metrics: readonly FuzzMetric[],
  window: MqttWindow,
): MqttPrediction {
  if (payload.length > window.maxPayloadBytes) return { refused: 'too_large', outcomes: [], stored: [] };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { refused: 'malformed', outcomes: [], stored: [] };
  }
  const parsed = telemetryPayloadSchema.safeParse(json);
  if (!parsed.success) return { refused: 'malformed', outcomes: [], stored: [] };
  const messages = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  const outcomes: MqttPrediction['outcomes'][number][] = [];
  const stored: string[] = [];
  for (const message of messages) {
    const time =
      message.ts === undefined
        ? window.now
        : typeof message.ts === 'number'
          ? message.ts
          : Date.parse(message.ts);
    for (const [key, raw] of Object.entries(message.values)) {
      const metric = metrics.find((m) => m.key === key);
      const value = typeof raw === 'boolean' ? Number(raw) : raw;
      if (!metric) outcomes.push('unknown_metric');
      else if (time > window.now + window.maxFutureMs) outcomes.push('too_far_in_future');
      else if (time < window.now - window.maxAgeMs) outcomes.push('too_old');
      else if (!Number.isFinite(value)) outcomes.push('not_a_number');
      else if ((metric.min !== null && value < metric.min) || (metric.max !== null && value > metric.max))
        outcomes.push('out_of_range');
      else if (Math.abs(value) > maxReadingMagnitude) outcomes.push('overflow');
      else if (value !== 0 && Math.abs(value) < minReadingMagnitude) outcomes.push('underflow');
      else {
        outcomes.push('accepted');
        stored.push(`${String(metric.seriesId)}|${String(time)}|${String(value)}`);
      }
    }
  }
  return { refused: null, outcomes, stored };
}

/** Status and command-ack messages: what is refused as malformed. */
export function predictOther(testCase: MqttCase): MqttPrediction {
  const text = testCase.payload.toString('utf8').trim();
  if (testCase.subtopic === 'status') {
    let status: unknown = text;
    try {
      const json: unknown = JSON.parse(text);
      status = typeof json === 'object' && json !== null ? (json as { status?: unknown }).status : undefined;
    } catch {
      // plain text
    }
    const ok = testCase.payload.length <= 256 && (status === 'online' || status === 'offline');
    return { refused: ok ? null : 'malformed', outcomes: [], stored: [] };
  }
  // Every ack here names no open command of this device: well-formed or not, it is ignored and counted.
  return { refused: 'malformed', outcomes: [], stored: [] };
}

export const READING_OUTCOMES: readonly string[] = ['accepted', ...readingRejectionReasons];
