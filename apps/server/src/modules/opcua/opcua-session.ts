import type { OpcuaBindingState } from '@tidewatch/shared';
import {
  AttributeIds,
  ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  type ClientMonitoredItem,
  type ClientSession,
  type DataValue,
} from 'node-opcua-client';
import type { Logger } from '../../logger.ts';
import type { IngestDevice } from '../ingest/ingest-device.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import { StoreRefusedError } from '../ingest/store-refusal.ts';
import type { BindingLeases, ClaimedBinding, ItemMapping, PendingCommand } from './binding-leases.ts';
import { callMethod, writeValue } from './node-commands.ts';
import { ConnectFailure, describeFailure, openClient, type EndpointClient } from './opcua-connect.ts';
import type { OpcuaCommandLifecycle } from './opcua-commands.ts';
import type { OpcuaMetrics } from './opcua-metrics.ts';
import { mappedValue, readingTime, type SampledValue } from './sampled-values.ts';
import type { ClientIdentity } from './client-identity.ts';
import { parseNodeId } from './node-ids.ts';
import type pg from 'pg';
import type { SecretBox } from '../secrets/secret-box.ts';
import { opcuaPasswordContext } from '../secrets/stored-secrets.ts';

export interface SessionOptions {
  readonly timeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly circuitThreshold: number;
}

export interface SessionDeps {
  readonly pool: pg.Pool;
  readonly ingest: IngestService;
  readonly leases: BindingLeases;
  readonly metrics: OpcuaMetrics;
  readonly commands: OpcuaCommandLifecycle;
  readonly secrets: SecretBox;
  readonly identity: (tenantId: string) => Promise<ClientIdentity>;
  readonly log: Logger;
  readonly options: SessionOptions;
}

interface Taken {
  readonly ts: number;
  readonly metricKey: string;
  readonly value: number;
}

/** Values waiting to be stored at most; past it the oldest are dropped (and counted), never the process. */
const MAX_WAITING = 20_000;
const VALUES_PER_INGEST = 1000;
const FLUSH_DELAY_MS = 100;

/** Turns node-opcua's DataValue into what the connector judges. */
export function sampleOf(dataValue: DataValue): SampledValue {
  const variant = dataValue.value as { value?: unknown; dataType?: number } | null;
  return {
    value: variant?.value,
    dataType: dataTypeName(variant?.dataType),
    good: dataValue.statusCode.isGood(),
    statusName: dataValue.statusCode.name,
    sourceTimestamp: dataValue.sourceTimestamp ?? null,
    serverTimestamp: dataValue.serverTimestamp ?? null,
  };
}

const DATA_TYPE_NAMES: Record<number, string> = {
  1: 'Boolean',
  2: 'SByte',
  3: 'Byte',
  4: 'Int16',
  5: 'UInt16',
  6: 'Int32',
  7: 'UInt32',
  8: 'Int64',
  9: 'UInt64',
  10: 'Float',
  11: 'Double',
  12: 'String',
  13: 'DateTime',
};
export const dataTypeName = (dataType: number | undefined): string =>
  dataType === undefined ? 'Null' : (DATA_TYPE_NAMES[dataType] ?? `DataType ${String(dataType)}`);

/**
 * One binding held by this instance: a client session to its endpoint with one subscription, a monitored item
 * per mapped node, and the values they deliver stored through the shared ingest path under the source's own
 * timestamps. A lost connection is repaired by node-opcua (a new channel; the session reactivated, or its
 * subscriptions transferred to a new one, or made anew); a first connection that fails is retried here with
 * back-off. Values delivered again after a repair carry their old source time: the database keeps each once,
 * and one equal to its item's last is not even sent.
 */
export class OpcuaSession {
  private endpoint: EndpointClient | null = null;
  private readonly items: ClientMonitoredItem[] = [];
  private closed = false;
  private state: OpcuaBindingState = 'connecting';
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;
  private readonly lastTaken = new Map<string, number>();
  private waiting: Taken[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private newestStored: number | undefined;
  private itemProblems: string[] = [];
  private readonly log: Logger;
  private commandsRunning: Promise<void> = Promise.resolve();

  constructor(
    readonly binding: ClaimedBinding,
    private readonly deps: SessionDeps,
  ) {
    this.log = deps.log.child({ bindingId: binding.bindingId, deviceId: binding.deviceId });
  }

  get currentState(): OpcuaBindingState {
    return this.state;
  }

  start(): void {
    this.connecting = this.connect();
  }

  /** Stores what it holds (up to `graceMs`), then ends the subscription and the session. */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting;
    await this.drain(graceMs);
    await this.commandsRunning;
    const endpoint = this.endpoint;
    this.endpoint = null;
    await endpoint?.close();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    await this.report(this.failures === 0 ? 'connecting' : this.state);
    let endpoint: EndpointClient;
    try {
      const sealed = this.binding.password;
      const password =
        sealed === null
          ? null
          : (
              await this.deps.secrets.open(
                sealed,
                opcuaPasswordContext(this.binding.tenantId, this.binding.deviceId),
              )
            ).toString('utf8');
      endpoint = await openClient(this.binding, password, {
        pool: this.deps.pool,
        identity: this.deps.identity,
        timeoutMs: this.deps.options.timeoutMs,
        reconnectDelay: {
          initialMs: this.deps.options.backoffBaseMs,
          maxMs: this.deps.options.backoffMaxMs,
        },
      });
    } catch (error) {
      await this.connectFailed(
        error instanceof ConnectFailure ? error : new ConnectFailure('failed', describeFailure(error)),
      );
      return;
    }
    // Closed while connecting (the binding was taken away): the new session is not wanted.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by close() during the await
    if (this.closed) {
      await endpoint.close();
      return;
    }
    this.endpoint = endpoint;
    this.watch(endpoint);
    try {
      await this.subscribe(endpoint.session);
    } catch (error) {
      this.endpoint = null;
      await endpoint.close();
      await this.connectFailed(
        new ConnectFailure('failed', `the subscription could not be made: ${describeFailure(error)}`),
      );
      return;
    }
    this.deps.metrics.connections.inc({ outcome: 'ok' });
    this.failures = 0;
    const problems = this.itemProblems;
    await this.report('connected', {
      ...(problems.length > 0 ? { error: problems.join('; ') } : {}),
      ...(endpoint.serverThumbprint ? { thumbprint: endpoint.serverThumbprint } : {}),
    });
    this.log.info({ endpoint: this.binding.endpointUrl, items: this.items.length }, 'OPC UA session open');
  }

  private async connectFailed(failure: ConnectFailure): Promise<void> {
    this.failures += 1;
    this.deps.metrics.connections.inc({ outcome: failure.kind === 'untrusted' ? 'untrusted' : 'failed' });
    const delay = Math.min(
      this.deps.options.backoffMaxMs,
      this.deps.options.backoffBaseMs * 2 ** Math.min(this.failures - 1, 20),
    );
    await this.report(failure.kind === 'untrusted' ? 'untrusted' : 'failed', {
      error: failure.message,
      ...(failure.thumbprint ? { thumbprint: failure.thumbprint } : {}),
    });
    this.log.warn(
      {
        endpoint: this.binding.endpointUrl,
        failures: this.failures,
        retryInMs: delay,
        reason: failure.message,
      },
      'OPC UA connection failed; retrying later',
    );
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connecting = this.connect();
    }, delay);
  }

  /** node-opcua repairs the connection by itself; the binding's state follows what it does. */
  private watch(endpoint: EndpointClient): void {
    const { client, session } = endpoint;
    client.on('connection_lost', () => {
      if (this.closed) return;
      this.log.warn({ endpoint: this.binding.endpointUrl }, 'OPC UA connection lost; reconnecting');
      void this.report('reconnecting', { error: 'connection lost' });
    });
    client.on('reconnection_attempt_has_failed', (_error: Error, message: string) => {
      if (this.closed) return;
      this.failures += 1;
      const verdict = endpoint.trust.lastVerdict;
      const untrusted = verdict !== null && !verdict.trusted;
      void this.report(untrusted ? 'untrusted' : 'reconnecting', {
        error: untrusted
          ? `the server's certificate is ${verdict.reason}`
          : (message.split('\n')[0] ?? message),
        ...(verdict?.thumbprint ? { thumbprint: verdict.thumbprint } : {}),
      });
    });
    session.on('session_restored', () => {
      if (this.closed) return;
      this.failures = 0;
      this.deps.metrics.connections.inc({ outcome: 'reconnected' });
      this.log.info({ endpoint: this.binding.endpointUrl }, 'OPC UA session restored');
      void this.report('connected');
    });
    client.on('after_reconnection', () => {
      if (this.closed) return;
      // The channel is back; the session is restored (or remade) next, which reports connected.
      void this.report('reconnecting');
    });
    session.on('session_closed', () => {
      if (this.closed) return;
      void this.report('reconnecting', { error: 'the server closed the session' });
    });
  }

  private async subscribe(session: ClientSession): Promise<void> {
    const subscription = ClientSubscription.create(session, {
      requestedPublishingInterval: this.binding.publishingIntervalMs,
      // The server keeps the subscription (and queues its values) this many intervals without a publish.
      requestedLifetimeCount: Math.max(60, Math.ceil(120_000 / this.binding.publishingIntervalMs)),
      requestedMaxKeepAliveCount: Math.max(3, Math.ceil(10_000 / this.binding.publishingIntervalMs)),
      maxNotificationsPerPublish: 1000,
      publishingEnabled: true,
      priority: 10,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('the server did not start the subscription in time'));
      }, this.deps.options.timeoutMs);
      subscription.once('started', () => {
        clearTimeout(timer);
        resolve();
      });
      subscription.once('internal_error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    this.itemProblems = [];
    for (const item of this.binding.items) await this.monitor(subscription, item);
  }

  private async monitor(subscription: ClientSubscription, item: ItemMapping): Promise<void> {
    const filter =
      item.deadbandType === 'none'
        ? null
        : new DataChangeFilter({
            trigger: DataChangeTrigger.StatusValue,
            deadbandType: item.deadbandType === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
            deadbandValue: item.deadbandValue,
          });
    let monitored: ClientMonitoredItem;
    try {
      monitored = await subscription.monitor(
        { nodeId: parseNodeId(item.nodeId), attributeId: AttributeIds.Value },
        { samplingInterval: item.samplingIntervalMs, filter, queueSize: 100, discardOldest: true },
        TimestampsToReturn.Both,
      );
    } catch (error) {
      this.itemFailed(item, error instanceof Error ? error.message : String(error));
      return;
    }
    if (!monitored.statusCode.isGood()) {
      this.itemFailed(item, monitored.statusCode.name);
      return;
    }
    monitored.on('changed', (dataValue: DataValue) => {
      this.take(item, dataValue);
    });
    monitored.on('err', (message: string) => {
      this.itemFailed(item, message);
    });
    this.items.push(monitored);
  }

  /** A node the server refuses to monitor is counted and shown; the binding's other items go on. */
  private itemFailed(item: ItemMapping, message: string): void {
    const status = /Bad[A-Za-z]+/.exec(message)?.[0] ?? 'Bad';
    this.deps.metrics.itemErrors.inc({ status });
    this.itemProblems.push(`${item.nodeId} (${item.metricKey}): ${status}`);
    this.log.warn(
      { nodeId: item.nodeId, metric: item.metricKey, status },
      'OPC UA server refused a monitored item',
    );
  }

  private take(item: ItemMapping, dataValue: DataValue): void {
    const sample = sampleOf(dataValue);
    const value = mappedValue(sample, item);
    if (typeof value !== 'number') {
      this.deps.metrics.values.inc({ outcome: value });
      return;
    }
    const ts = readingTime(sample, Date.now());
    // Delivered again after a repair (the initial value of a remade item): the same source time, taken already.
    if (this.lastTaken.get(item.itemId) === ts) {
      this.deps.metrics.values.inc({ outcome: 'repeated' });
      return;
    }
    this.lastTaken.set(item.itemId, ts);
    this.waiting.push({ ts, metricKey: item.metricKey, value });
    if (this.waiting.length > MAX_WAITING) {
      const dropped = this.waiting.splice(0, this.waiting.length - MAX_WAITING);
      this.deps.metrics.values.inc({ outcome: 'store_failed' }, dropped.length);
      this.log.error(
        { dropped: dropped.length },
        'OPC UA values could not be stored in time; the oldest dropped',
      );
    }
    this.scheduleFlush(FLUSH_DELAY_MS);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushTimer || this.flushing) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        if (this.waiting.length > 0 && !this.closed) this.scheduleFlush(FLUSH_DELAY_MS);
      });
    }, delayMs);
  }

  /** Waits for what is held to be stored, up to `graceMs`. */
  private async drain(graceMs: number): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      await this.flushing;
      if (this.waiting.length === 0) return;
      const before = this.waiting.length;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
      });
      await this.flushing;
      if (this.waiting.length >= before) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (this.waiting.length > 0) {
      this.deps.metrics.values.inc({ outcome: 'store_failed' }, this.waiting.length);
      this.log.error({ values: this.waiting.length }, 'OPC UA values not stored before the session closed');
    }
  }

  /** Stores the values waiting, oldest first; what the database or a full queue held back waits for the next try. */
  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.slice(0, VALUES_PER_INGEST);
      let device: IngestDevice;
      try {
        device = await this.device();
      } catch (error) {
        this.log.warn({ err: error }, 'OPC UA values not stored: the device could not be loaded');
        await this.pause();
        return;
      }
      try {
        const stored = await this.store(device, batch);
        this.waiting.splice(0, batch.length);
        if (stored.newest !== undefined) {
          this.newestStored = Math.max(this.newestStored ?? 0, stored.newest);
          void this.report(this.state);
        }
      } catch (error) {
        this.log.warn({ err: error, values: batch.length }, 'OPC UA values not stored yet; retrying');
        await this.pause();
        return;
      }
    }
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.deps.options.backoffBaseMs));
  }

  /**
   * Ingests `batch` as messages (one per source time); a message the database refuses on its own is skipped and
   * counted, since storing it again cannot help. Throws when nothing could be decided (a full queue, the
   * database away): the batch is tried again.
   */
  private async store(
    device: IngestDevice,
    batch: readonly Taken[],
  ): Promise<{ newest: number | undefined }> {
    const byTime = new Map<number, Record<string, number>>();
    for (const value of batch) {
      const values = byTime.get(value.ts) ?? {};
      values[value.metricKey] = value.value;
      byTime.set(value.ts, values);
    }
    const messages = [...byTime.entries()].map(([ts, values]) => ({ ts, values }));
    let refused = 0;
    try {
      const result = await this.deps.ingest.ingest(device, messages, 'opcua');
      refused = result.rejected.length;
    } catch (error) {
      if (!(error instanceof StoreRefusedError) || error.reason === 'series_gone') throw error;
      for (const message of messages) {
        try {
          const result = await this.deps.ingest.ingest(device, [message], 'opcua');
          refused += result.rejected.length;
        } catch (single) {
          if (!(single instanceof StoreRefusedError) || single.reason === 'series_gone') throw single;
          refused += Object.keys(message.values).length;
        }
      }
    }
    this.deps.metrics.values.inc({ outcome: 'stored' }, batch.length - refused);
    if (refused > 0) this.deps.metrics.values.inc({ outcome: 'refused' }, refused);
    return { newest: batch.reduce((newest, value) => Math.max(newest, value.ts), 0) || undefined };
  }

  /** The device as ingest knows it, reloaded when an item names a series the cached copy lacks. */
  private async device(): Promise<IngestDevice> {
    const { directory } = this.deps.ingest;
    const cached = await directory.get(this.binding.deviceId);
    if (cached && this.binding.items.every((item) => cached.seriesByKey.has(item.metricKey))) return cached;
    directory.invalidate(this.binding.deviceId);
    const device = await directory.get(this.binding.deviceId);
    if (!device) throw new Error('the bound device no longer exists');
    return device;
  }

  /**
   * Carries a command as a write or a method call, once: taken (pending → delivered) only while the session is
   * up, so a command waits (pending) through a reconnection; acknowledged on a Good status, failed otherwise.
   */
  execute(command: PendingCommand): void {
    this.commandsRunning = this.commandsRunning.then(() => this.executeOne(command));
  }

  private async executeOne(command: PendingCommand): Promise<void> {
    const session = this.endpoint?.session;
    if (this.closed || !session || this.state !== 'connected') return;
    const mapping = this.binding.commands.find((c) => c.command === command.command);
    try {
      if (!(await this.deps.commands.take(command))) return;
    } catch (error) {
      this.log.warn({ err: error, commandId: command.id }, 'could not take an OPC UA command; retrying');
      return;
    }
    const kind = mapping?.kind ?? 'write';
    let outcome: { ok: boolean; result: Record<string, unknown>; message?: string };
    try {
      if (!mapping) {
        outcome = { ok: false, result: {}, message: `the binding no longer carries "${command.command}"` };
      } else if (mapping.kind === 'write') {
        outcome = await writeValue(session, mapping.nodeId, command.params, this.deps.options.timeoutMs);
      } else {
        outcome = await callMethod(
          session,
          mapping.objectNodeId ?? '',
          mapping.nodeId,
          command.params,
          this.deps.options.timeoutMs,
        );
      }
    } catch (error) {
      outcome = { ok: false, result: {}, message: error instanceof Error ? error.message : String(error) };
    }
    this.deps.metrics.commands.inc({ kind, outcome: outcome.ok ? 'acknowledged' : 'failed' });
    try {
      await this.deps.commands.settle(command, outcome);
    } catch (error) {
      this.log.error({ err: error, commandId: command.id }, 'could not record an OPC UA command’s outcome');
    }
  }

  private async report(
    state: OpcuaBindingState,
    extra: { readonly error?: string; readonly thumbprint?: string } = {},
  ): Promise<void> {
    this.state = state;
    if (this.closed && state !== 'idle') return;
    try {
      await this.deps.leases.report(this.binding.claimToken, {
        state,
        failures: this.failures,
        ...(extra.error === undefined ? {} : { error: extra.error }),
        ...(extra.thumbprint === undefined ? {} : { thumbprint: extra.thumbprint }),
        ...(this.newestStored === undefined ? {} : { lastReadAt: this.newestStored }),
      });
    } catch (error) {
      this.log.warn({ err: error }, 'could not record the OPC UA session state');
    }
  }
}
