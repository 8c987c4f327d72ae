import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Poll outcomes: `ok`, a read failure (ReadFailureKind), or `store_failed` when the readings were not committed. */
export type PollOutcome = 'ok' | 'timeout' | 'network' | 'http_status' | 'bad_body' | 'store_failed';

/** ThingSpeak poller counters. Readings themselves are counted by ingest (`transport="thingspeak"`). */
export function createThingSpeakMetrics(registry: Registry, openCircuits: () => Promise<number>) {
  return {
    polls: new Counter({
      name: 'thingspeak_polls_total',
      help: 'Channel polls by outcome (ok, timeout, network, http_status, bad_body, store_failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    entries: new Counter({
      name: 'thingspeak_entries_total',
      help: 'Channel entries by outcome: stored (new entries committed), malformed (skipped) or refused (by the database, alone; skipped)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    fieldsRejected: new Counter({
      name: 'thingspeak_fields_rejected_total',
      help: 'Mapped field values skipped, by reason (missing: null or empty; not_a_number: junk)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    pollSeconds: new Histogram({
      name: 'thingspeak_poll_seconds',
      help: 'Time from claiming a channel to recording the result',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    openCircuits: new Gauge({
      name: 'thingspeak_circuits_open',
      help: 'Enabled channels not polled because their circuit is open (all instances)',
      registers: [registry],
      async collect() {
        try {
          this.set(await openCircuits());
        } catch {
          // A scrape must not fail because the database is away: the last value stays.
        }
      },
    }),
  };
}
export type ThingSpeakMetrics = ReturnType<typeof createThingSpeakMetrics>;
