import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Modbus connector counters. Readings themselves are counted by ingest (`transport="modbus"`). */
export function createModbusMetrics(
  registry: Registry,
  openCircuits: () => Promise<number>,
  held: () => number,
) {
  return {
    requests: new Counter({
      name: 'tidewatch_modbus_requests_total',
      help: 'Modbus requests by outcome (ok; timeout or connection: the endpoint failed; exception: the device answered with one)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    exceptions: new Counter({
      name: 'tidewatch_modbus_exceptions_total',
      help: 'Modbus exception responses by exception code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    polls: new Counter({
      name: 'tidewatch_modbus_polls_total',
      help: 'Device polls by outcome (ok, partial: some registers answered with an exception, endpoint_failed, backing_off, not_allowed, store_failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    commands: new Counter({
      name: 'tidewatch_modbus_commands_total',
      help: 'Commands carried out by outcome (acknowledged: written and read back; failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    pollSeconds: new Histogram({
      name: 'tidewatch_modbus_poll_seconds',
      help: 'Time to read one device and store its readings',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    endpointsHeld: new Gauge({
      name: 'tidewatch_modbus_endpoints_held',
      help: 'Endpoints (gateway connections) this instance holds',
      registers: [registry],
      collect() {
        this.set(held());
      },
    }),
    openCircuits: new Gauge({
      name: 'tidewatch_modbus_circuits_open',
      help: 'Endpoints not talked to because their circuit is open (all instances)',
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
export type ModbusMetrics = ReturnType<typeof createModbusMetrics>;
