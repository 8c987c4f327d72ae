import { describeDatabaseError as describe, isRetryableDatabaseError, withTenantClient } from '@tidewatch/db';
import type pg from 'pg';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventBus, StoredReading } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { publishAlertChanges } from './alert-changes.ts';
import { withAlertTransaction } from './alert-transaction.ts';
import {
  applyDueDelays,
  checkSilence,
  escalateOverdue,
  expireShelving,
  syncSuppression,
} from './alert-jobs.ts';
import type { AlertChange } from './alert-changes.ts';
import { defaultChatterPolicy, flagChattering, readChatterPolicy } from './chatter-detection.ts';
import { checkFlood } from './flood-monitor.ts';
import { NotificationDispatcher, type NotificationOptions } from './notification-dispatcher.ts';
import { evaluateReadings } from './reading-evaluator.ts';
import { checkNightFlow } from './night-flow-job.ts';
import { RuleCache, type TenantRules } from './rule-cache.ts';

export interface AlertEngineOptions {
  /** Readings waiting for evaluation at most. */
  readonly queueCapacity: number;
  /** Readings of one tenant evaluated in one transaction at most. */
  readonly maxBatch: number;
  readonly jobIntervalMs: number;
  readonly ruleCacheMs: number;
  readonly floodThreshold: number;
  readonly floodWindowS: number;
  /** Night-flow step rules of a tenant are judged at most this often. */
  readonly nightFlowIntervalMs: number;
  /** How far devices' last seen / last reading times may lag (see deviceStateLagMs); silence waits that much more. */
  readonly stateLagMs: number;
  readonly notifications: NotificationOptions;
}

/**
 * Evaluates alert rules as readings are stored and runs the alarm system's periodic work.
 *
 * Readings arrive on the bus after their batch committed; the engine only queues them there (bounded), so ingest
 * acknowledgements never wait for evaluation. A single drain loop then evaluates them tenant by tenant, many
 * readings per transaction, and publishes the alert changes once committed. When the queue is full, readings are
 * counted and skipped: the next reading of the series is evaluated against the same persisted state.
 */
export class AlertEngine {
  readonly rules: RuleCache;
  private readonly notifications: NotificationDispatcher;
  private readonly pending = new Map<string, StoredReading[]>();
  private pendingCount = 0;
  private draining: Promise<void> | null = null;
  private ticking: Promise<void> | null = null;
  private readonly silenceChecks = new Map<string, Promise<void>>();
  private readonly floodChecks = new Map<string, Promise<void>>();
  /** When each tenant's night-flow rules were last judged (epoch ms). */
  private readonly nightFlowCheckedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;
  /** Set when close's grace has run out: evaluation stops retrying. */
  private abandoned = false;
  private readonly readingsTotal: Counter<'outcome'>;
  private readonly batchSeconds: Histogram;
  private readonly raisedTotal: Counter;
  private readonly jobFailures: Counter<'job'>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: EventBus,
    registry: Registry,
    private readonly log: Logger,
    private readonly options: AlertEngineOptions,
  ) {
    this.rules = new RuleCache(pool, options.ruleCacheMs);
    this.notifications = new NotificationDispatcher(pool, registry, log, options.notifications);
    this.readingsTotal = new Counter({
      name: 'alert_engine_readings_total',
      help: 'Stored readings seen by the alert engine, by outcome (evaluated, no_rule, queue_full, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    this.batchSeconds = new Histogram({
      name: 'alert_engine_batch_seconds',
      help: 'Time to evaluate one tenant batch of readings, transaction included',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.raisedTotal = new Counter({
      name: 'alerts_raised_total',
      help: 'Alerts raised by the engine',
      registers: [registry],
    });
    this.jobFailures = new Counter({
      name: 'alert_engine_failures_total',
      help: 'Alert engine work that failed and was logged (evaluation, jobs, notifications)',
      labelNames: ['job'] as const,
      registers: [registry],
    });
    new Gauge({
      name: 'alert_engine_queue_readings',
      help: 'Readings waiting for alert evaluation',
      registers: [registry],
      collect: () => {
        const gauge = registry.getSingleMetric('alert_engine_queue_readings') as Gauge | undefined;
        gauge?.set(this.pendingCount);
      },
    });
  }

  start(): void {
    this.unsubscribe.push(
      this.bus.on('telemetry.stored', (event) => {
        this.enqueue(event.tenantId, event.readings);
      }),
      this.bus.on('device.connectivity', (event) => {
        this.checkSilenceSoon(event.tenantId);
      }),
      this.bus.on('alert_rule.changed', (event) => {
        this.rules.invalidate(event.tenantId);
        this.nightFlowCheckedAt.delete(event.tenantId);
      }),
      this.bus.on('tags.changed', (event) => {
        this.rules.invalidate(event.tenantId);
      }),
    );
    this.timer = setInterval(() => void this.runJobs(), this.options.jobIntervalMs);
    this.timer.unref();
  }

  /** Stops taking readings, finishes what is queued and what runs (up to `timeoutMs`). */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    clearInterval(this.timer);
    const settled = Promise.allSettled([
      this.drained(),
      this.ticking,
      ...this.silenceChecks.values(),
      ...this.floodChecks.values(),
    ]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.abandoned = true;
    this.notifications.close();
  }

  /** Resolves once every reading queued so far has been evaluated. */
  async drained(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Runs the periodic work now (also on the timer); resolves when done. */
  runJobs(): Promise<void> {
    this.ticking ??= this.jobs().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private enqueue(tenantId: string, readings: readonly StoredReading[]): void {
    if (readings.length === 0) return;
    if (this.pendingCount + readings.length > this.options.queueCapacity) {
      this.readingsTotal.inc({ outcome: 'queue_full' }, readings.length);
      this.log.warn({ tenantId, readings: readings.length }, 'alert evaluation queue full; readings skipped');
      return;
    }
    const queue = this.pending.get(tenantId);
    if (queue) queue.push(...readings);
    else this.pending.set(tenantId, [...readings]);
    this.pendingCount += readings.length;
    this.scheduleDrain();
  }

  /** One drain loop at a time; it starts on the next turn so readings of one ingest batch go together. */
  private scheduleDrain(): void {
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = null;
        if (this.pendingCount > 0) this.scheduleDrain();
      });
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const [tenantId, queue] = this.pending.entries().next().value as [string, StoredReading[]];
      const batch = queue.splice(0, this.options.maxBatch);
      if (queue.length === 0) this.pending.delete(tenantId);
      this.pendingCount -= batch.length;
      await this.evaluate(tenantId, batch);
    }
  }

  private async evaluate(tenantId: string, readings: StoredReading[]): Promise<void> {
    const stop = this.batchSeconds.startTimer();
    try {
      const context = { tenantId, userId: null, role: null };
      const { watched, result } = await this.untilDatabaseAnswers(async () => {
        const rules = await this.rules.get(
          tenantId,
          readings.map((r) => r.seriesId),
        );
        const watched = readings.filter((r) => rules.valueRules.has(r.seriesId));
        if (watched.length === 0) return { watched, result: null };
        const result = await withAlertTransaction(this.pool, context, async (client) => {
          const evaluated = await evaluateReadings(client, rules, watched);
          const chattering = await flagChattering(
            client,
            [...new Set(evaluated.changes.filter(isActivation).map((change) => change.alert.id))],
            await readChatterPolicyIfNeeded(client, evaluated.changes),
          );
          return { ...evaluated, changes: [...evaluated.changes, ...chattering] };
        });
        return { watched, result };
      });
      this.readingsTotal.inc({ outcome: 'no_rule' }, readings.length - watched.length);
      if (!result) return;
      this.readingsTotal.inc({ outcome: 'evaluated' }, watched.length);
      this.raisedTotal.inc(result.raised);
      publishAlertChanges(this.bus, result.changes);
      if (result.raised > 0) this.checkFloodSoon(tenantId);
    } catch (error) {
      this.readingsTotal.inc({ outcome: 'failed' }, readings.length);
      this.jobFailures.inc({ job: 'evaluate' });
      this.log.error({ err: error, tenantId, readings: readings.length }, 'alert evaluation failed');
    } finally {
      stop();
    }
  }

  /**
   * Runs `work` again, with back-off up to 5 s, while the database is away or busy (a held lock, a timeout, no
   * free connection): stored readings are evaluated late rather than never. Readings behind wait in the queue.
   */
  private async untilDatabaseAnswers<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (!isRetryableDatabaseError(error) || this.abandoned) throw error;
        this.jobFailures.inc({ job: 'evaluate_retry' });
        if (attempt === 1)
          this.log.warn({ reason: describe(error) }, 'alert evaluation waits for the database');
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(5000, 200 * 2 ** Math.min(attempt - 1, 5))),
        );
      }
    }
  }

  private async jobs(): Promise<void> {
    let tenants: string[];
    try {
      const { rows } = await this.pool.query<{ id: string }>('SELECT alert_engine_tenants() AS id');
      tenants = rows.map((row) => row.id);
    } catch (error) {
      this.jobFailures.inc({ job: 'tenants' });
      this.log.error({ err: error }, 'alert jobs could not list tenants');
      return;
    }
    for (const tenantId of tenants) {
      if (this.closed) return;
      await this.tenantJobs(tenantId);
      await this.guard('flood', tenantId, () => this.flood(tenantId));
      await this.guard('notify', tenantId, async () => {
        // Drain what is due now; a failing receiver's rows wait for their next attempt time.
        while ((await this.notifications.deliverDue(tenantId)) > 0 && !this.closed);
      });
    }
  }

  private async tenantJobs(tenantId: string): Promise<void> {
    await this.guard('state', tenantId, async () => {
      const rules = await this.rules.get(tenantId);
      const { changes } = await withAlertTransaction(
        this.pool,
        { tenantId, userId: null, role: null },
        async (client) => ({
          changes: [
            ...(await applyDueDelays(client, rules)),
            ...(await expireShelving(client)),
            ...(await syncSuppression(client)),
            ...(await escalateOverdue(client)),
            ...(await checkSilence(client, rules, this.options.stateLagMs / 1000)),
            ...(await this.nightFlowDue(tenantId, rules, client)),
          ],
        }),
      );
      publishAlertChanges(this.bus, changes);
    });
  }

  /** The tenant's night-flow rules, when their interval has passed. */
  private async nightFlowDue(tenantId: string, rules: TenantRules, client: pg.PoolClient) {
    const now = Date.now();
    if (rules.nightFlow.length === 0) return [];
    if (now - (this.nightFlowCheckedAt.get(tenantId) ?? 0) < this.options.nightFlowIntervalMs) return [];
    const changes = await checkNightFlow(client, rules, now);
    this.nightFlowCheckedAt.set(tenantId, now);
    return changes;
  }

  /** A device went on- or offline: its offline rules are checked now rather than at the next run. */
  private checkSilenceSoon(tenantId: string): void {
    if (this.closed || this.silenceChecks.has(tenantId)) return;
    const check = this.guard('silence', tenantId, async () => {
      const rules = await this.rules.get(tenantId);
      const { changes } = await withAlertTransaction(
        this.pool,
        { tenantId, userId: null, role: null },
        async (client) => ({ changes: await checkSilence(client, rules, this.options.stateLagMs / 1000) }),
      );
      publishAlertChanges(this.bus, changes);
    }).finally(() => this.silenceChecks.delete(tenantId));
    this.silenceChecks.set(tenantId, check);
  }

  private checkFloodSoon(tenantId: string): void {
    if (this.closed || this.floodChecks.has(tenantId)) return;
    const check = this.guard('flood', tenantId, () => this.flood(tenantId)).finally(() =>
      this.floodChecks.delete(tenantId),
    );
    this.floodChecks.set(tenantId, check);
  }

  private async flood(tenantId: string): Promise<void> {
    const state = await withTenantClient(this.pool, { tenantId, userId: null, role: null }, (client) =>
      checkFlood(client, this.options.floodThreshold, this.options.floodWindowS),
    );
    if (!state.changed) return;
    this.log.warn({ tenantId, active: state.active, count: state.count }, 'alarm flood state changed');
    this.bus.emit('alert.flood', { tenantId, active: state.active, count: state.count, at: Date.now() });
  }

  private async guard(job: string, tenantId: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.jobFailures.inc({ job });
      if (isRetryableDatabaseError(error))
        this.log.warn(
          { reason: describe(error), tenantId, job },
          'alert engine job found the database busy or away; it runs again at the next interval',
        );
      else
        this.log.error(
          { err: error, tenantId, job },
          'alert engine job failed; it runs again at the next interval',
        );
    }
  }
}

/** A change that made an alert annunciate (raised, or active again), which chattering detection looks at. */
function isActivation(change: AlertChange): boolean {
  return change.alert.state === 'active_unacknowledged' && change.alert.chatteringSince === null;
}

/** The policy is read only when some alert became active: most batches change nothing. */
function readChatterPolicyIfNeeded(client: pg.PoolClient, changes: readonly AlertChange[]) {
  return changes.some(isActivation) ? readChatterPolicy(client) : Promise.resolve(defaultChatterPolicy);
}
