import {
  describeDatabaseError,
  isDatabaseBusyError,
  isRetryableDatabaseError,
  type Queryable,
} from '@tidewatch/db';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../logger.ts';

/** Buckets recomputed per transaction; a backlog is drained in runs of this size back to back. */
const BUCKETS_PER_RUN = 5000;

export interface RollupJob {
  /** Stops the timer and waits for a run in flight, so it never meets an ended pool. */
  stop(): Promise<void>;
}

/**
 * Keeps the 1-minute and hourly rollups up to date: every `intervalMs`, closes the minutes that have ended
 * (`telemetry_close_minutes`), then rolls them up from the raw rows once, with the hours that ended, and
 * recomputes the buckets that late writes marked dirty (`telemetry_rollup_dirty`). One instance at a time does the work (an advisory lock in the
 * database); the others find it taken and wait for the next tick. Trend queries read dirty buckets from raw rows,
 * so a late or failed run delays nothing a user sees, it only leaves more for the next.
 */
export function startRollupJob(
  db: Queryable,
  log: Logger,
  registry: Registry,
  intervalMs: number,
): RollupJob {
  const buckets = new Counter({
    name: 'telemetry_rollup_buckets_total',
    help: 'One-minute rollup buckets recomputed from raw readings by the rollup job',
    registers: [registry],
  });
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const closeMinutes = async (): Promise<void> => {
    try {
      await db.query('SELECT telemetry_close_minutes()');
    } catch (error) {
      // Writers held the watermark past the lock timeout: the minutes close at a later tick, readers read them raw.
      if (!isDatabaseBusyError(error)) throw error;
    }
  };
  const runOnce = async (): Promise<void> => {
    try {
      // Its own transaction: the next one's snapshot then holds every reading of the minutes it closed.
      await closeMinutes();
      for (;;) {
        const { rows } = await db.query<{ done: number }>('SELECT telemetry_rollup_dirty($1) AS done', [
          BUCKETS_PER_RUN,
        ]);
        const done = rows[0]?.done ?? 0;
        if (done > 0) buckets.inc(done);
        if (stopped || done < BUCKETS_PER_RUN) return;
      }
    } catch (error) {
      // A lock timeout or a restart of PostgreSQL passes on its own: one line, no stack, every tick it lasts.
      if (isRetryableDatabaseError(error))
        log.warn(
          { reason: describeDatabaseError(error) },
          'rollup job waits; the dirty buckets stay for the next run',
        );
      else log.error({ err: error }, 'rollup job failed; the dirty buckets stay for the next run');
    }
  };
  const timer = setInterval(() => {
    running = running.then(runOnce);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
