import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Ingest counters: readings by outcome, refused messages by reason, the queue, and database failures. */
export function createIngestMetrics(registry: Registry, queueDepth: () => number) {
  return {
    readings: new Counter({
      name: 'ingest_readings_total',
      help: 'Readings received, by transport and outcome (accepted, or the reason they were rejected)',
      labelNames: ['transport', 'outcome'] as const,
      registers: [registry],
    }),
    stored: new Counter({
      name: 'ingest_readings_stored_total',
      help: 'Readings newly committed (re-sent duplicates excluded)',
      registers: [registry],
    }),
    refused: new Counter({
      name: 'ingest_messages_refused_total',
      help: 'Whole messages refused, by transport and reason (auth, client_certificate, tls_handshake, malformed, too_large, forbidden_topic; queue_full, device_share, tenant_share: sent again later; value_refused, series_gone, store_failed: the database refused that message alone)',
      labelNames: ['transport', 'reason'] as const,
      registers: [registry],
    }),
    writeFailures: new Counter({
      name: 'ingest_write_failures_total',
      help: 'Failed attempts to commit a batch (retried when the database was away, split when it refused the batch)',
      registers: [registry],
    }),
    queue: new Gauge({
      name: 'ingest_queue_readings',
      help: 'Readings waiting to be committed',
      registers: [registry],
      collect() {
        this.set(queueDepth());
      },
    }),
    batchSeconds: new Histogram({
      name: 'ingest_batch_seconds',
      help: 'Time to commit one batch',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}
export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
