import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Logger } from '../../logger.ts';
import type { IngestDevice } from '../ingest/ingest-device.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import { StoreRefusedError } from '../ingest/store-refusal.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { readKeyContext } from '../secrets/stored-secrets.ts';
import { BindingClaims, type ClaimedBinding } from './binding-claims.ts';
import { feedToReadings, type ChannelMessage, type FeedReadings } from './feed-readings.ts';
import { afterFailure, isTrialRead, type RetryPolicy } from './retry-policy.ts';
import { ChannelReadError, ThingSpeakClient } from './thingspeak-client.ts';
import type { ChannelFeed } from './thingspeak-feed.ts';
import { createThingSpeakMetrics, type ThingSpeakMetrics } from './thingspeak-metrics.ts';

export interface ThingSpeakPollerOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** Entries asked for per read at most. */
  readonly results: number;
  /** Channels polled at the same time by this instance. */
  readonly concurrency: number;
  /** How often to look for due channels. */
  readonly tickMs: number;
  readonly retry: RetryPolicy;
  /** Readings older than this are refused by ingest, so a channel is never asked for older ones. */
  readonly maxAgeMs: number;
}

/** Ingest takes at most this many messages per call. */
const MESSAGES_PER_INGEST = 1000;

/**
 * Polls the bound ThingSpeak channels of every tenant. Each tick claims due channels in the database (so
 * several instances share the work and never read one channel at once), reads each channel's entries after
 * the last stored one, stores them through the shared ingest path, and only then moves the channel's cursor.
 * Failures back off exponentially, and a channel that keeps failing has its circuit opened for a cool-down;
 * all of that state lives in the binding row.
 */
export class ThingSpeakPoller {
  readonly metrics: ThingSpeakMetrics;
  private readonly claims: BindingClaims;
  private readonly client: ThingSpeakClient;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private running = false;
  private lastClaimError = 0;

  constructor(
    pool: pg.Pool,
    private readonly ingest: IngestService,
    registry: Registry,
    private readonly log: Logger,
    private readonly secrets: SecretBox,
    private readonly options: ThingSpeakPollerOptions,
  ) {
    this.claims = new BindingClaims(pool);
    this.client = new ThingSpeakClient({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs });
    this.metrics = createThingSpeakMetrics(registry, () => this.claims.openCircuits());
  }

  /** A claim outlives the longest poll: the read's timeout plus time to store what it brought. */
  private get leaseMs(): number {
    return this.options.timeoutMs + 60_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
    this.log.info({ url: this.options.baseUrl }, 'ThingSpeak poller started');
  }

  /**
   * Stops claiming and waits for the polls in flight, up to `graceMs`: one still waiting then (its readings
   * held up by the database) did not move its cursor, so its entries are read again later.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => (timeout = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timeout);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        this.schedule(this.options.tickMs);
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const room = this.options.concurrency - this.inFlight.size;
    if (room <= 0) return;
    let claimed: ClaimedBinding[];
    try {
      claimed = await this.claims.claimDue(room, this.leaseMs);
    } catch (error) {
      // Once a minute is enough to say the database is away; every tick tries again.
      if (Date.now() - this.lastClaimError > 60_000) {
        this.lastClaimError = Date.now();
        this.log.error({ err: error }, 'could not claim ThingSpeak channels; retrying');
      }
      return;
    }
    for (const claim of claimed) {
      const poll = this.poll(claim).finally(() => this.inFlight.delete(poll));
      this.inFlight.add(poll);
    }
  }

  /** One read of one channel, start to end. Never rejects: every outcome is recorded, counted and logged. */
  private async poll(claim: ClaimedBinding): Promise<void> {
    const log = this.log.child({ channelId: claim.channelId, bindingId: claim.bindingId });
    const stopTimer = this.metrics.pollSeconds.startTimer();
    try {
      let readKey: string | null = null;
      try {
        readKey =
          claim.readKey &&
          (await this.secrets.open(claim.readKey, readKeyContext(claim.tenantId, claim.deviceId))).toString(
            'utf8',
          );
      } catch (error) {
        await this.keyUnreadable(claim, error, log);
        return;
      }
      let feed: ChannelFeed;
      try {
        feed = await this.client.readFeed({
          channelId: claim.channelId,
          readKey,
          since: Math.max(claim.lastEntryAt ?? 0, Date.now() - this.options.maxAgeMs),
          results: this.options.results,
        });
      } catch (error) {
        await this.readFailed(claim, error, log);
        return;
      }
      const readings = feedToReadings(feed.entries, claim.fields, claim.lastEntryId);
      this.countParsing(feed, readings, claim, log);
      let refused: number;
      try {
        refused = await this.store(claim, readings.messages, log);
      } catch (error) {
        await this.storeFailed(claim, error, log);
        return;
      }
      if (!(await this.claims.succeeded(claim, readings.newest))) {
        log.warn(
          'ThingSpeak poll finished after its claim expired; its readings are stored, the cursor left',
        );
      }
      this.metrics.polls.inc({ outcome: 'ok' });
      this.metrics.entries.inc({ outcome: 'stored' }, readings.newEntries - refused);
      if (refused > 0) this.metrics.entries.inc({ outcome: 'refused' }, refused);
      if (isTrialRead(claim.consecutiveFailures, this.options.retry))
        log.info('ThingSpeak channel answered again; circuit closed');
    } catch (error) {
      // Recording the outcome failed (the database is away): the claim runs out and the channel is read again.
      log.error({ err: error }, 'could not record a ThingSpeak poll');
    } finally {
      stopTimer();
    }
  }

  private countParsing(feed: ChannelFeed, readings: FeedReadings, claim: ClaimedBinding, log: Logger): void {
    if (feed.malformedEntries > 0) {
      this.metrics.entries.inc({ outcome: 'malformed' }, feed.malformedEntries);
      log.warn({ malformed: feed.malformedEntries }, 'ThingSpeak entries without a valid id or time skipped');
    }
    for (const [reason, count] of Object.entries(readings.rejectedFields)) {
      if (count > 0) this.metrics.fieldsRejected.inc({ reason }, count);
    }
    if (readings.rejectedFields.not_a_number > 0)
      log.warn(
        { notANumber: readings.rejectedFields.not_a_number },
        'ThingSpeak field values that are not numbers skipped',
      );
    // The answer holds the newest entries only: when it is full and starts past the cursor, some were missed.
    const oldest = feed.entries[0]?.entryId;
    if (
      claim.lastEntryId !== null &&
      oldest !== undefined &&
      oldest > claim.lastEntryId + 1 &&
      feed.entries.length + feed.malformedEntries >= this.options.results
    ) {
      this.metrics.entries.inc({ outcome: 'missed' }, oldest - claim.lastEntryId - 1);
      log.warn(
        { after: claim.lastEntryId, resumedAt: oldest },
        'ThingSpeak channel had more new entries than one read returns; the oldest of them were not read',
      );
    }
  }

  /**
   * Resolves once every message is committed, or refused by the database on its own; throws if any was not.
   * Answers how many were refused.
   */
  private async store(
    claim: ClaimedBinding,
    messages: readonly ChannelMessage[],
    log: Logger,
  ): Promise<number> {
    if (messages.length === 0) return 0;
    const device = await this.device(claim);
    const rejected = new Map<string, number>();
    let refused = 0;
    for (let start = 0; start < messages.length; start += MESSAGES_PER_INGEST) {
      refused += await this.storePart(
        device,
        messages.slice(start, start + MESSAGES_PER_INGEST),
        rejected,
        log,
      );
    }
    if (rejected.size > 0)
      log.warn({ rejected: Object.fromEntries(rejected) }, 'ThingSpeak readings refused by ingest');
    return refused;
  }

  /**
   * Ingests `messages`; when the database refuses them, in halves again, so that only an entry it refuses on its
   * own is skipped. Reading it again could not help, and it must not hold the channel's cursor back for good.
   */
  private async storePart(
    device: IngestDevice,
    messages: ChannelMessage[],
    rejected: Map<string, number>,
    log: Logger,
  ): Promise<number> {
    try {
      const result = await this.ingest.ingest(device, messages, 'thingspeak');
      for (const rejection of result.rejected)
        rejected.set(rejection.reason, (rejected.get(rejection.reason) ?? 0) + 1);
      return 0;
    } catch (error) {
      // A series gone since the device was loaded: the next poll reads it afresh and stores what it still can.
      if (!(error instanceof StoreRefusedError) || error.reason === 'series_gone') throw error;
      if (messages.length === 1) {
        log.warn(
          { reason: error.reason, ts: messages[0]?.ts },
          'ThingSpeak entry refused by the database; skipped',
        );
        return 1;
      }
      const half = Math.ceil(messages.length / 2);
      return (
        (await this.storePart(device, messages.slice(0, half), rejected, log)) +
        (await this.storePart(device, messages.slice(half), rejected, log))
      );
    }
  }

  /** The device as ingest knows it, reloaded when a mapping names a series the cached copy lacks. */
  private async device(claim: ClaimedBinding): Promise<IngestDevice> {
    const cached = await this.ingest.directory.get(claim.deviceId);
    if (cached && claim.fields.every((field) => cached.seriesByKey.has(field.metricKey))) return cached;
    this.ingest.directory.invalidate(claim.deviceId);
    const device = await this.ingest.directory.get(claim.deviceId);
    if (!device) throw new Error('the bound device no longer exists');
    return device;
  }

  private async readFailed(claim: ClaimedBinding, error: unknown, log: Logger): Promise<void> {
    const failure =
      error instanceof ChannelReadError ? error : new ChannelReadError('network', String(error));
    const decision = afterFailure(claim.consecutiveFailures, this.options.retry, failure.retryAfterMs);
    this.metrics.polls.inc({ outcome: failure.kind });
    await this.claims.failed(claim, failure.message, decision);
    const details = { outcome: failure.kind, error: failure.message, failures: decision.failures };
    if (decision.circuitOpenMs !== null)
      log.error(
        { ...details, openForMs: decision.circuitOpenMs },
        'ThingSpeak channel keeps failing; circuit open',
      );
    else log.warn({ ...details, retryInMs: decision.retryInMs }, 'ThingSpeak poll failed; retrying later');
  }

  /** The stored read key does not open (changed, moved from another binding, or a data key missing): backs off. */
  private async keyUnreadable(claim: ClaimedBinding, error: unknown, log: Logger): Promise<void> {
    const decision = afterFailure(claim.consecutiveFailures, this.options.retry, null);
    this.metrics.polls.inc({ outcome: 'key_unreadable' });
    log.error({ err: error, failures: decision.failures }, 'the stored ThingSpeak read key does not open');
    await this.claims.failed(
      claim,
      'the stored read key cannot be read; save the binding with its key again',
      decision,
    );
  }

  /** Not the channel's fault (the database, a full queue): retried soon, and the circuit is left as it was. */
  private async storeFailed(claim: ClaimedBinding, error: unknown, log: Logger): Promise<void> {
    const message = `readings not stored: ${error instanceof Error ? error.message : String(error)}`;
    this.metrics.polls.inc({ outcome: 'store_failed' });
    log.warn({ err: error }, 'ThingSpeak readings not stored; the entries will be read again');
    await this.claims.failed(claim, message, {
      failures: claim.consecutiveFailures,
      retryInMs: this.options.retry.baseDelayMs,
      circuitOpenMs: null,
    });
  }
}
