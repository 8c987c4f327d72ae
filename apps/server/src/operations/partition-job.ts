import { maintainTelemetryPartitions, type Database } from '@tidewatch/db';
import type { Logger } from '../logger.ts';

/**
 * Keeps telemetry partitions a week ahead and drops expired ones: at start, then hourly. Safe on several
 * instances at once (the database functions are idempotent). Returns a function that stops it.
 */
export function startPartitionJob(db: Database, log: Logger, intervalMs = 3_600_000): () => void {
  const run = async (): Promise<void> => {
    try {
      const result = await maintainTelemetryPartitions(db.pool);
      if (result.created > 0 || result.dropped.length > 0)
        log.info(result, 'telemetry partitions maintained');
    } catch (error) {
      log.error({ err: error }, 'telemetry partition maintenance failed; retrying at the next run');
    }
  };
  void run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
