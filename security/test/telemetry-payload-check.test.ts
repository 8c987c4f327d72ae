import { checkTelemetryPayload, telemetryPayloadSchema } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { buildMqttCase, TimeSlots, type FuzzMetric, type MqttWindow } from '../src/fuzz/mqtt-cases.ts';
import { telemetryPayloadText } from '../src/fuzz/telemetry-payload-cases.ts';
import { Random, runSeed } from '../src/random.ts';

// The hand-written payload check on the ingest hot path must accept and refuse exactly what the shared zod
// schema (the contract) does, and hand on the same payload. Over the MQTT fuzzer's corpus and over generated
// payloads aimed at the rules' edges; no server needed.

const CORPUS_CASES = Number(process.env.SECURITY_PAYLOAD_CORPUS_CASES ?? '20000');
const GENERATED_CASES = Number(process.env.SECURITY_PAYLOAD_GENERATED_CASES ?? '40000');

const METRICS: readonly FuzzMetric[] = [
  { key: 'level_cm', seriesId: 1, min: 0, max: 2000 },
  { key: 'pressure_bar', seriesId: 2, min: 0, max: 16 },
  { key: 'pump_state', seriesId: 3, min: 0, max: 1 },
];

interface Disagreement {
  readonly text: string;
  readonly zod: boolean;
  readonly check: boolean;
}

/** Both verdicts on one payload text; a payload both accept must come out the same. */
function compare(text: string): Disagreement | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const zod = telemetryPayloadSchema.safeParse(json);
  const checked = checkTelemetryPayload(json);
  if (zod.success !== (checked !== null)) return { text, zod: zod.success, check: checked !== null };
  if (zod.success) expect(checked, text).toEqual(zod.data);
  return null;
}

function firstDisagreements(texts: Iterable<string>): { compared: number; disagreements: Disagreement[] } {
  let compared = 0;
  const disagreements: Disagreement[] = [];
  for (const text of texts) {
    compared += 1;
    const disagreement = compare(text);
    if (disagreement && disagreements.length < 10)
      disagreements.push({ ...disagreement, text: disagreement.text.slice(0, 300) });
  }
  return { compared, disagreements };
}

describe('the hand-written telemetry payload check', () => {
  const seed = runSeed();
  console.log(`[security] payload check seed ${String(seed)} (replay with SECURITY_SEED=${String(seed)})`);

  it('agrees with the payload schema over the MQTT fuzzer’s corpus', () => {
    const random = new Random(seed).fork('mqtt');
    const now = Date.now();
    const window: MqttWindow = {
      now,
      maxFutureMs: 300_000,
      maxAgeMs: 30 * 86_400_000,
      maxPayloadBytes: 262_144,
    };
    const slots = new TimeSlots(now - 86_400_000);
    function* texts(): Generator<string> {
      for (let index = 0; index < CORPUS_CASES; index += 1) {
        const testCase = buildMqttCase(index, METRICS, slots, window, random);
        if (testCase.subtopic === 'telemetry') yield testCase.payload.toString('utf8');
      }
    }
    const { compared, disagreements } = firstDisagreements(texts());
    expect(compared).toBeGreaterThan(CORPUS_CASES * 0.8);
    expect(disagreements).toEqual([]);
  });

  it('agrees with the payload schema over generated edge cases', () => {
    const random = new Random(seed).fork('payloads');
    let accepted = 0;
    function* texts(): Generator<string> {
      for (let i = 0; i < GENERATED_CASES; i += 1) {
        const text = telemetryPayloadText(random);
        if (checkTelemetryPayload(JSON.parse(text)) !== null) accepted += 1;
        yield text;
      }
    }
    const { disagreements } = firstDisagreements(texts());
    expect(disagreements).toEqual([]);
    // Both verdicts are exercised in earnest, not one of them by luck.
    expect(accepted).toBeGreaterThan(GENERATED_CASES * 0.1);
    expect(accepted).toBeLessThan(GENERATED_CASES * 0.9);
  });

  it('keeps zod’s handling of a `__proto__` metric key: skipped, not counted, not handed on', () => {
    for (const text of [
      '{"values":{"__proto__":1}}',
      '{"values":{"__proto__":"x","level_cm":1}}',
      '[{"values":{"level_cm":1}},{"values":{"__proto__":null,"pump_state":true}}]',
      '{"__proto__":1,"values":{"level_cm":1}}',
    ])
      expect(compare(text), text).toBeNull();
    const checked = checkTelemetryPayload(JSON.parse('{"values":{"__proto__":"x","level_cm":1}}'));
    expect(checked && !Array.isArray(checked) ? Object.keys(checked.values) : null).toEqual(['level_cm']);
  });
});
