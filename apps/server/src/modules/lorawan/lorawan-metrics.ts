import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * What a message came to: `stored` (an uplink's readings committed), `recorded` (a join, status or downlink
 * result), `duplicate` (sent again; already taken), `unknown_device` (no device mapped to its DevEUI),
 * `disabled_device`, `undecodable` (no decoded payload, or none of the mapped values in it), `malformed` (not
 * the format's JSON), `ignored` (an event of no use), `refused` (the database refused its readings alone),
 * `failed` (could not be handled; dropped after logging).
 */
export type LorawanMessageOutcome =
  | 'stored'
  | 'recorded'
  | 'duplicate'
  | 'unknown_device'
  | 'disabled_device'
  | 'undecodable'
  | 'malformed'
  | 'ignored'
  | 'refused'
  | 'failed';

/** LoRaWAN connector counters. Readings themselves are counted by ingest (`transport="lorawan"`). */
export function createLorawanMetrics(registry: Registry, held: () => number, connected: () => number) {
  return {
    messages: new Counter({
      name: 'tidewatch_lorawan_messages_total',
      help: 'Network-server messages by format, event (uplink, join, status, downlink, log, unknown) and outcome',
      labelNames: ['format', 'event', 'outcome'] as const,
      registers: [registry],
    }),
    valuesRejected: new Counter({
      name: 'tidewatch_lorawan_values_rejected_total',
      help: 'Mapped payload values skipped, by reason (missing, not_a_number)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    downlinks: new Counter({
      name: 'tidewatch_lorawan_downlinks_total',
      help: 'Command downlinks by outcome (published, undeliverable, acknowledged, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    connectionFailures: new Counter({
      name: 'tidewatch_lorawan_connection_failures_total',
      help: 'Connections to network-server brokers that failed or dropped',
      registers: [registry],
    }),
    held: new Gauge({
      name: 'tidewatch_lorawan_applications_held',
      help: 'Applications this instance holds (and alone subscribes to)',
      registers: [registry],
      collect() {
        this.set(held());
      },
    }),
    connected: new Gauge({
      name: 'tidewatch_lorawan_applications_connected',
      help: 'Applications this instance holds whose broker connection is up',
      registers: [registry],
      collect() {
        this.set(connected());
      },
    }),
  };
}
export type LorawanMetrics = ReturnType<typeof createLorawanMetrics>;
