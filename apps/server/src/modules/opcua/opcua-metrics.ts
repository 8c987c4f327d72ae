import { Counter, Gauge, type Registry } from 'prom-client';

/** What became of a value the subscription delivered. */
export type ValueOutcome =
  'stored' | 'repeated' | 'bad_status' | 'not_a_number' | 'refused' | 'store_failed' | 'no_series';

/** OPC UA connector counters. Readings themselves are also counted by ingest (`transport="opcua"`). */
export function createOpcuaMetrics(registry: Registry, sessions: () => Record<string, number>) {
  return {
    values: new Counter({
      name: 'tidewatch_opcua_values_total',
      help: 'Values delivered by subscriptions, by outcome (stored; repeated: same source time as the last one of its item; bad_status; not_a_number; refused by ingest; store_failed; no_series)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    connections: new Counter({
      name: 'tidewatch_opcua_connections_total',
      help: 'Connection attempts by outcome (ok, untrusted, failed) and reconnections (reconnected)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    itemErrors: new Counter({
      name: 'tidewatch_opcua_item_errors_total',
      help: 'Monitored items the server refused (a node id it does not know, an attribute it cannot sample), by status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    commands: new Counter({
      name: 'tidewatch_opcua_commands_total',
      help: 'Commands carried as writes or method calls, by outcome (acknowledged, failed)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    sessions: new Gauge({
      name: 'tidewatch_opcua_sessions',
      help: 'Bindings this instance holds, by the state of their session',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [state, count] of Object.entries(sessions())) this.set({ state }, count);
      },
    }),
  };
}
export type OpcuaMetrics = ReturnType<typeof createOpcuaMetrics>;
