import { checkTelemetryPayload, telemetryPayloadSchema } from '@tidewatch/shared';
import { writeResults } from './results-file.ts';
import { machineInfo, round } from './stats.ts';

// CPU per device message of the two telemetry payload checks: the shared zod schema (the contract) and its
// hand-written twin on the ingest hot path. Same decoded payloads for both, each shape timed on its own, the
// better of several passes; JSON.parse of the same bodies beside them for scale. No server, no database.

const PASSES = Number(process.env.BENCH_PASSES ?? 5);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);

function readings(metrics: number, ts: number): { ts: number; values: Record<string, number> } {
  const values: Record<string, number> = {};
  for (let m = 0; m < metrics; m += 1) values[`metric_${String(m)}`] = 100 + ((ts + m) % 50) / 4;
  return { ts, values };
}

/** The shapes devices send: one message of 4 or 10 readings, 10 samples of 10, and refusals. */
const shapes: Readonly<Record<string, (i: number) => unknown>> = {
  'one message, 4 values': (i) => readings(4, 1_764_000_000_000 + i),
  'one message, 10 values, ISO time': (i) => ({
    ...readings(10, 0),
    ts: new Date(1_764_000_000_000 + i).toISOString(),
  }),
  'array of 10 messages, 10 values each': (i) =>
    Array.from({ length: 10 }, (_v, s) => readings(10, 1_764_000_000_000 + i * 10 + s)),
  'refused: a bad metric key': (i) => ({ ts: i, values: { level_cm: 1, 'Bad-Key': 2 } }),
  'refused: a string value in the 10th message': (i) => [
    ...Array.from({ length: 9 }, (_v, s) => readings(10, i * 10 + s)),
    { ts: i * 10 + 9, values: { level_cm: '1' } },
  ],
};

function time(payloads: readonly unknown[], check: (payload: unknown) => boolean): number {
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < PASSES; pass += 1) {
    let accepted = 0;
    const started = performance.now();
    for (const payload of payloads) if (check(payload)) accepted += 1;
    const elapsed = performance.now() - started;
    if (accepted < 0) throw new Error('unreachable: keeps the loop from being optimised away');
    best = Math.min(best, elapsed);
  }
  return round((best * 1000) / payloads.length, 3);
}

const results: Record<
  string,
  { zodUs: number; handWrittenUs: number; jsonParseUs: number; speedup: number }
> = {};
for (const [shape, make] of Object.entries(shapes)) {
  const payloads = Array.from({ length: MESSAGES }, (_v, i) => make(i));
  const bodies = payloads.map((payload) => JSON.stringify(payload));
  const zodUs = time(payloads, (payload) => telemetryPayloadSchema.safeParse(payload).success);
  const handWrittenUs = time(payloads, (payload) => checkTelemetryPayload(payload) !== null);
  const jsonParseUs = time(bodies, (body) => JSON.parse(body as string) !== null);
  results[shape] = { zodUs, handWrittenUs, jsonParseUs, speedup: round(zodUs / handWrittenUs, 1) };
  console.log(shape, results[shape]);
}

await writeResults('payload-check', {
  benchmark: 'payload-check',
  at: new Date().toISOString(),
  machine: machineInfo(),
  note:
    'µs of CPU per device message to check a decoded telemetry payload: the shared zod schema vs the ' +
    'hand-written check ingest uses (checkTelemetryPayload), best of several passes over the same payloads; ' +
    'JSON.parse of the same bodies for scale.',
  settings: { passes: PASSES, messagesPerShape: MESSAGES },
  results,
});
