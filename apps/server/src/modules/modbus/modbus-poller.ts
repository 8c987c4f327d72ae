import { randomUUID } from 'node:crypto';
import { modbusWriteParamsSchema } from '@tidewatch/shared';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { settleCommand, type CommandOutcome } from '../commands/command-lifecycle.ts';
import type { IngestDevice } from '../ingest/ingest-device.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import { afterFailure, type RetryPolicy } from '../thingspeak/retry-policy.ts';
import { EndpointConnection, ModbusRequestError } from './endpoint-connection.ts';
import { ModbusClaims, type ClaimedBinding, type HeldEndpoint, type TakenCommand } from './modbus-claims.ts';
import { createModbusMetrics, type ModbusMetrics } from './modbus-metrics.ts';
import { readRegister, writeRegister } from './register-io.ts';

export interface ModbusPollerOptions {
  /** How often to renew leases and look for due devices and commands. */
  readonly tickMs: number;
  /** How long an endpoint stays this instance's without a renewal. */
  readonly leaseMs: number;
  /** Endpoints (connections) this instance holds at most. */
  readonly maxEndpoints: number;
  readonly connectTimeoutMs: number;
  /** Back-off and circuit per endpoint. */
  readonly retry: RetryPolicy;
  /** Whether an endpoint address may be reached (the operator's allow-list). */
  readonly allowed: (host: string) => boolean;
}

interface Session {
  readonly endpoint: HeldEndpoint;
  readonly connection: EndpointConnection;
  /** Local time until which the lease surely holds (renewal time plus lease, less a margin). */
  leaseUntil: number;
  failures: number;
  /** No request before this (back-off, or an open circuit's cool-down). */
  blockedUntil: number;
  reportedHealthy: boolean;
}

/**
 * Polls the Modbus devices of every tenant. Each endpoint (a gateway's host:port) is held by one instance at a
 * time under a lease in the database, with one connection that the devices behind it share, their requests
 * serialized. Each due device is read, its values stored through the shared ingest path, and only then is its
 * next poll scheduled. Commands for the devices behind a held endpoint are written and read back here.
 */
export class ModbusPoller {
  readonly metrics: ModbusMetrics;
  readonly claims: ModbusClaims;
  private readonly sessions = new Map<string, Session>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private running = false;
  private lastTickError = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ingest: IngestService,
    private readonly bus: EventBus,
    registry: Registry,
    private readonly log: Logger,
    private readonly options: ModbusPollerOptions,
  ) {
    this.claims = new ModbusClaims(pool, randomUUID());
    this.metrics = createModbusMetrics(
      registry,
      () => this.claims.openCircuits(),
      () => this.sessions.size,
    );
  }

  /** A poll's claim outlives its longest poll: every register timing out, plus time to store. */
  private get pollLeaseMs(): number {
    return 64 * 30_000 + 60_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
    this.log.info('Modbus poller started');
  }

  /** Stops, waits for the polls in flight (up to `graceMs`), closes the connections and lets the endpoints go. */
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
    for (const session of this.sessions.values()) await session.connection.close();
    this.sessions.clear();
    await this.claims.release().catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not let the Modbus endpoints go; their leases run out');
    });
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick()
        .catch((error: unknown) => {
          // Once a minute is enough to say the database is away; every tick tries again.
          if (Date.now() - this.lastTickError > 60_000) {
            this.lastTickError = Date.now();
            this.log.error({ err: error }, 'Modbus poller could not claim its work; retrying');
          }
        })
        .finally(() => {
          this.ticking = null;
          this.schedule(this.options.tickMs);
        });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const renewedAt = Date.now();
    const held = await this.claims.claimEndpoints(this.options.maxEndpoints, this.options.leaseMs);
    const margin = Math.min(this.options.leaseMs / 3, 5000);
    const ids = new Set(held.map((e) => e.endpointId));
    for (const [id, session] of this.sessions) {
      if (ids.has(id)) continue;
      // Lost (another instance took it after our lease ran out) or nothing left to read: let the connection go.
      this.sessions.delete(id);
      void session.connection.exclusive(() => session.connection.close());
    }
    for (const endpoint of held) {
      let session = this.sessions.get(endpoint.endpointId);
      if (!session) {
        session = {
          endpoint,
          connection: new EndpointConnection(endpoint.host, endpoint.port, this.options.connectTimeoutMs),
          leaseUntil: 0,
          failures: endpoint.consecutiveFailures,
          blockedUntil: 0,
          reportedHealthy: false,
        };
        this.sessions.set(endpoint.endpointId, session);
      }
      session.leaseUntil = renewedAt + this.options.leaseMs - margin;
    }
    if (this.sessions.size === 0) return;
    const commands = await this.claims.takeCommands(50);
    for (const command of commands) this.track(this.deliver(command));
    const due = await this.claims.claimDue(200, this.pollLeaseMs);
    for (const claim of due) this.track(this.poll(claim));
  }

  private track(work: Promise<void>): void {
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** One read of one device, start to end, in its endpoint's queue. Never rejects. */
  private async poll(claim: ClaimedBinding): Promise<void> {
    const session = this.sessions.get(claim.endpointId);
    const log = this.log.child({ deviceId: claim.deviceId, bindingId: claim.bindingId });
    if (!session) return;
    await session.connection.exclusive(async () => {
      const stopTimer = this.metrics.pollSeconds.startTimer();
      try {
        await this.pollNow(session, claim, log);
      } catch (error) {
        // Recording the outcome failed (the database is away): the claim runs out and the device is read again.
        log.error({ err: error }, 'could not record a Modbus poll');
      } finally {
        stopTimer();
      }
    });
  }

  private async pollNow(session: Session, claim: ClaimedBinding, log: Logger): Promise<void> {
    // The lease ran out while this poll waited its turn: another instance may hold the endpoint now.
    if (Date.now() >= session.leaseUntil) return;
    if (!this.options.allowed(session.endpoint.host)) {
      this.metrics.polls.inc({ outcome: 'not_allowed' });
      await this.claims.pollFailed(
        claim,
        'the address is not in MODBUS_ALLOW_NETWORKS',
        this.options.retry.maxDelayMs,
      );
      return;
    }
    if (Date.now() < session.blockedUntil) {
      this.metrics.polls.inc({ outcome: 'backing_off' });
      await this.claims.pollFailed(
        claim,
        'the endpoint is failing; waiting to try again',
        session.blockedUntil - Date.now(),
      );
      return;
    }
    const readAt = new Date();
    const values: Record<string, number> = {};
    const exceptions: string[] = [];
    for (const mapping of claim.registers) {
      try {
        const reading = await readRegister(session.connection, claim.unitId, claim.timeoutMs, mapping);
        this.metrics.requests.inc({ outcome: 'ok' });
        if (Number.isFinite(reading.value)) values[mapping.metricKey] = reading.value;
        else exceptions.push(`${mapping.metricKey}: not a number`);
      } catch (error) {
        const failure =
          error instanceof ModbusRequestError ? error : new ModbusRequestError('connection', String(error));
        this.metrics.requests.inc({ outcome: failure.kind });
        if (failure.kind === 'exception') {
          this.metrics.exceptions.inc({ code: String(failure.exceptionCode) });
          exceptions.push(`${mapping.metricKey}: ${failure.message}`);
          continue;
        }
        await this.endpointFailed(session, claim, failure, log);
        return;
      }
    }
    await this.endpointHealthy(session);
    try {
      if (Object.keys(values).length > 0) await this.store(claim, readAt.getTime(), values);
    } catch (error) {
      this.metrics.polls.inc({ outcome: 'store_failed' });
      log.warn({ err: error }, 'Modbus readings not stored; the device is read again shortly');
      await this.claims.pollFailed(
        claim,
        `readings not stored: ${error instanceof Error ? error.message : String(error)}`,
        this.options.retry.baseDelayMs,
      );
      return;
    }
    const error = exceptions.length > 0 ? exceptions.join('; ') : null;
    this.metrics.polls.inc({ outcome: error ? 'partial' : 'ok' });
    if (error) log.warn({ error }, 'Modbus device answered some requests with an exception');
    if (!(await this.claims.pollSucceeded(claim, readAt, error)))
      log.warn('Modbus poll finished after its claim expired; its readings are stored');
  }

  private async endpointHealthy(session: Session): Promise<void> {
    if (session.reportedHealthy && session.failures === 0) return;
    if (session.failures >= this.options.retry.circuitThreshold)
      this.log.info(
        { endpointId: session.endpoint.endpointId },
        'Modbus endpoint answered again; circuit closed',
      );
    session.failures = 0;
    session.blockedUntil = 0;
    session.reportedHealthy = true;
    await this.claims.endpointOk(session.endpoint.endpointId);
  }

  private async endpointFailed(
    session: Session,
    claim: ClaimedBinding,
    failure: ModbusRequestError,
    log: Logger,
  ): Promise<void> {
    const decision = afterFailure(session.failures, this.options.retry);
    session.failures = decision.failures;
    session.reportedHealthy = false;
    const waitMs = Math.max(decision.retryInMs, decision.circuitOpenMs ?? 0);
    session.blockedUntil = Date.now() + waitMs;
    this.metrics.polls.inc({ outcome: 'endpoint_failed' });
    const message = `${session.endpoint.host}:${String(session.endpoint.port)} ${failure.message}`;
    await this.claims.endpointFailed(session.endpoint.endpointId, message, decision);
    await this.claims.pollFailed(claim, message, waitMs);
    if (decision.circuitOpenMs !== null)
      log.error(
        { failures: decision.failures, openForMs: decision.circuitOpenMs },
        'Modbus endpoint keeps failing; circuit open',
      );
    else log.warn({ error: failure.message, retryInMs: waitMs }, 'Modbus endpoint failed; retrying later');
  }

  /** Stores one poll's values; the time is the poll's, so a reading sent again is the same reading. */
  private async store(claim: ClaimedBinding, ts: number, values: Record<string, number>): Promise<void> {
    const device = await this.device(claim);
    await this.ingest.ingest(device, { ts, values }, 'modbus');
  }

  /** The device as ingest knows it, reloaded when a mapping names a series the cached copy lacks. */
  private async device(claim: ClaimedBinding): Promise<IngestDevice> {
    const cached = await this.ingest.directory.get(claim.deviceId);
    if (cached && claim.registers.every((r) => cached.seriesByKey.has(r.metricKey))) return cached;
    this.ingest.directory.invalidate(claim.deviceId);
    const device = await this.ingest.directory.get(claim.deviceId);
    if (!device) throw new Error('the bound device no longer exists');
    return device;
  }

  /** Writes a command's value and reads it back, in the endpoint's queue. Never rejects. */
  private async deliver(command: TakenCommand): Promise<void> {
    const session = this.sessions.get(command.endpointId);
    const log = this.log.child({ deviceId: command.deviceId, commandId: command.id });
    const outcome = session
      ? await session.connection.exclusive(() => this.carryOut(session, command))
      : { state: 'failed' as const, failureReason: 'the endpoint is not held by this server any more' };
    this.metrics.commands.inc({ outcome: outcome.state });
    try {
      await settleCommand(this.pool, this.bus, command, outcome, 'system');
    } catch (error) {
      log.error({ err: error }, 'could not record a Modbus command outcome; it expires');
    }
  }

  private async carryOut(session: Session, command: TakenCommand): Promise<CommandOutcome> {
    const params = modbusWriteParamsSchema.safeParse(command.params);
    if (command.command !== 'write' || !params.success)
      return {
        state: 'failed',
        failureReason: 'a Modbus device takes only "write" with a metricKey and a value',
      };
    const mapping = command.registers.find((r) => r.metricKey === params.data.metricKey && r.writable);
    if (!mapping)
      return { state: 'failed', failureReason: `${params.data.metricKey} is not a writable register` };
    if (!this.options.allowed(session.endpoint.host))
      return { state: 'failed', failureReason: 'the address is not in MODBUS_ALLOW_NETWORKS' };
    try {
      const { written, readBack } = await writeRegister(
        session.connection,
        command.unitId,
        command.timeoutMs,
        mapping,
        params.data.value,
      );
      this.metrics.requests.inc({ outcome: 'ok' }, 2);
      const expected = encodeMatch(written, readBack.raw);
      if (!expected)
        return {
          state: 'failed',
          result: { readBack: readBack.value },
          failureReason: `read back ${String(readBack.value)} after writing ${String(params.data.value)}`,
        };
      return { state: 'acknowledged', result: { metricKey: mapping.metricKey, value: readBack.value } };
    } catch (error) {
      if (error instanceof RangeError) return { state: 'failed', failureReason: error.message };
      const failure =
        error instanceof ModbusRequestError ? error : new ModbusRequestError('connection', String(error));
      this.metrics.requests.inc({ outcome: failure.kind });
      if (failure.kind === 'exception') this.metrics.exceptions.inc({ code: String(failure.exceptionCode) });
      return { state: 'failed', failureReason: `the device did not take it: ${failure.message}` };
    }
  }
}

/** Whether the words read back are the ones written (a coil reads back as 0 or 1). */
function encodeMatch(written: readonly number[], readBack: readonly number[]): boolean {
  return written.length === readBack.length && written.every((word, i) => word === readBack[i]);
}
