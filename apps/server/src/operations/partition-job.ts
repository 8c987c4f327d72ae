import { runRetention, type Queryable, type RetentionPolicy } from '@tidewatch/db';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.ts';

/**
 * Runs retention at start, then hourly: telemetry partitions a week ahead, expired ones dropped, shorter tenant
 * retentions and old sessions, deliveries and commands deleted. Every cutoff comes from the database's clock,
 * never this process's. Safe on several instances at once. Returns a function that stops it and resolves once a
 * run in progress has finished, so the pool it uses can be ended after it.
 */
export function startPartitionJob(
  db: Queryable,
  log: Logger,
  policy: RetentionPolicy,
  registry: Registry,
  intervalMs = 3_600_000,
): () => Promise<void> {
  const deleted = new Counter({
    name: 'retention_rows_deleted_total',
    help: 'Rows deleted by retention, by table (dropped partitions not counted)',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'retention_partitions_dropped_total',
    help: 'Telemetry partitions dropped by retention',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'retention_refusals_total',
    help: 'Deletions retention held back because they reached too far past their cutoff (clock or setting leap)',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const run = async (): Promise<void> => {
    try {
      const result = await runRetention(db, policy);
      dropped.inc(result.dropped.length);
      const counts: Readonly<Record<string, number>> = result.deleted;
      for (const [table, count] of Object.entries(counts)) deleted.inc({ table }, count);
      for (const refusal of result.refused) refused.inc({ table: refusal.scope });
      if (result.refused.length > 0) {
        log.error(
          { refused: result.refused, reference: result.reference },
          'retention refused to delete: check the database clock and the retention settings, then run ' +
            '`npm run db:partitions -- --max-step-days=<days>` to let it through',
        );
      }
      if (result.created > 0 || result.dropped.length > 0 || Object.values(counts).some((n) => n > 0))
        log.info(result, 'retention applied');
    } catch (error) {
      log.error({ err: error }, 'retention failed; retrying at the next run');
    }
  };
  let running: Promise<void> | null = null;
  let stopped = false;
  const start = (): void => {
    // A run that outlasts the interval is not overlapped by the next.
    if (stopped || running) return;
    running = run().finally(() => {
      running = null;
    });
  };
  start();
  const timer = setInterval(start, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
