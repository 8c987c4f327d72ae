import type { LiveReading } from '@tidewatch/shared';
import type { EventBus, StoredReading } from '../../events/event-bus.ts';
import type { BroadcastQueue } from './broadcast-queue.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeServer, RealtimeSocket } from './realtime-types.ts';
import { seriesAccessKey } from './series-access.ts';

export interface TelemetryFanoutOptions {
  /** How often clients receive readings: the latest per series in each interval. */
  readonly coalesceMs: number;
  /** Several instances: readings stored here go to the others, and theirs come here. */
  readonly shareAcrossInstances: boolean;
}

function keepLatest(readings: Map<number, LiveReading>, reading: LiveReading): void {
  const held = readings.get(reading[0]);
  if (!held || held[1] <= reading[1]) readings.set(reading[0], reading);
}

/** This tick's readings for the sockets of one access key: encoded once for all of them. */
interface AccessBatch {
  readonly readings: LiveReading[];
  readonly series: Set<number>;
  readonly recipients: Set<RealtimeSocket>;
}

/**
 * Live telemetry for the series each socket subscribed to. Readings are coalesced: every interval each client
 * that follows a series that changed gets one message with the latest readings. Sockets that see the same series
 * (same tenant, role and zones: `seriesAccessKey`) share one message, encoded once: it holds every series that
 * changed and one of them follows, so a client may receive series it may see but did not ask for (it ignores
 * them), never one it may not see. A client falling behind (several packets waiting) gets nothing this time; its
 * readings wait (only the latest per series it follows) and come in a message of its own, so a slow client costs
 * a bounded amount of memory and never delays the others. Instances exchange their latest readings once per
 * interval, so a client sees readings whichever instance stored them.
 */
export class TelemetryFanout {
  private readonly subscribers = new Map<number, Set<RealtimeSocket>>();
  private readonly subscriptions = new Map<RealtimeSocket, Set<number>>();
  /** Each subscribed socket's `seriesAccessKey`, as of its last subscription (a re-scope subscribes again). */
  private readonly accessKeys = new Map<RealtimeSocket, string>();
  /** Latest readings since the last tick, of series someone here subscribed to. */
  private fresh = new Map<number, LiveReading>();
  /** Latest readings this instance stored since the last tick, for the other instances. */
  private outbound = new Map<number, LiveReading>();
  /** What each socket has yet to receive. */
  private readonly pending = new Map<RealtimeSocket, Map<number, LiveReading>>();
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly io: RealtimeServer,
    private readonly bus: EventBus,
    private readonly metrics: RealtimeMetrics,
    private readonly queue: BroadcastQueue,
    private readonly options: TelemetryFanoutOptions,
  ) {}

  start(): void {
    this.stopListening = this.bus.on('telemetry.stored', ({ readings }) => {
      this.stored(readings);
    });
    if (this.options.shareAcrossInstances) {
      this.io.on('telemetry', (readings) => {
        this.received(readings);
      });
    }
    this.timer = setInterval(() => {
      this.tick();
    }, this.options.coalesceMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopListening?.();
    this.io.removeAllListeners('telemetry');
  }

  subscribed(socket: RealtimeSocket): number[] {
    return [...(this.subscriptions.get(socket) ?? [])];
  }

  subscribe(socket: RealtimeSocket, seriesIds: Iterable<number>): void {
    let own = this.subscriptions.get(socket);
    if (!own) {
      own = new Set();
      this.subscriptions.set(socket, own);
    }
    this.accessKeys.set(socket, seriesAccessKey(socket.data.session));
    for (const id of seriesIds) {
      own.add(id);
      let sockets = this.subscribers.get(id);
      if (!sockets) {
        sockets = new Set();
        this.subscribers.set(id, sockets);
      }
      sockets.add(socket);
    }
  }

  unsubscribe(socket: RealtimeSocket, seriesIds: Iterable<number>): void {
    const own = this.subscriptions.get(socket);
    const waiting = this.pending.get(socket);
    for (const id of seriesIds) {
      own?.delete(id);
      waiting?.delete(id);
      const sockets = this.subscribers.get(id);
      sockets?.delete(socket);
      if (sockets?.size === 0) this.subscribers.delete(id);
    }
  }

  /** Forgets a socket that disconnected. */
  drop(socket: RealtimeSocket): void {
    this.unsubscribe(socket, this.subscribed(socket));
    this.subscriptions.delete(socket);
    this.accessKeys.delete(socket);
    this.pending.delete(socket);
  }

  private stored(readings: readonly StoredReading[]): void {
    for (const { seriesId, time, value } of readings) {
      const reading: LiveReading = [seriesId, time, value];
      if (this.options.shareAcrossInstances) keepLatest(this.outbound, reading);
      if (this.subscribers.has(seriesId)) keepLatest(this.fresh, reading);
    }
  }

  private received(readings: unknown): void {
    if (!Array.isArray(readings)) return;
    for (const reading of readings as LiveReading[]) {
      if (this.subscribers.has(reading[0])) keepLatest(this.fresh, reading);
    }
  }

  private tick(): void {
    if (this.outbound.size > 0) {
      this.io.serverSideEmit('telemetry', [...this.outbound.values()]);
      this.outbound = new Map();
    }
    // Last tick's messages are still being written: this tick's readings wait and join the next, so a busy server
    // sends fewer, fuller messages instead of a growing queue of stale ones.
    if (this.queue.busy('telemetry')) {
      this.metrics.telemetryTicksSkipped.inc();
      return;
    }
    const batches = new Map<string, AccessBatch>();
    for (const [seriesId, reading] of this.fresh) {
      for (const socket of this.subscribers.get(seriesId) ?? []) {
        const key = this.accessKeys.get(socket);
        if (key === undefined) continue;
        let batch = batches.get(key);
        if (!batch) {
          batch = { readings: [], series: new Set(), recipients: new Set() };
          batches.set(key, batch);
        }
        if (!batch.series.has(seriesId)) {
          batch.series.add(seriesId);
          batch.readings.push(reading);
        }
        batch.recipients.add(socket);
      }
    }
    this.fresh = new Map();
    for (const batch of batches.values()) this.sendBatch(batch);
    // Clients that were behind and got nothing new this time: what waited for them, if they now read.
    for (const [socket, readings] of this.pending) {
      if (socket.data.backlog.congested) continue;
      this.pending.delete(socket);
      this.queue.send(
        [socket],
        this.queue.encode('telemetry', [{ readings: [...readings.values()] }]),
        'telemetry',
      );
    }
  }

  private sendBatch(batch: AccessBatch): void {
    const shared: RealtimeSocket[] = [];
    for (const socket of batch.recipients) {
      const waiting = this.pending.get(socket);
      if (socket.data.backlog.congested) {
        this.metrics.telemetryDeferred.inc();
        this.hold(socket, batch.readings, waiting);
      } else if (waiting) {
        // Behind before: its own message, with what waited and this tick's readings of its series.
        this.hold(socket, batch.readings, waiting);
        this.pending.delete(socket);
        this.queue.send(
          [socket],
          this.queue.encode('telemetry', [{ readings: [...waiting.values()] }]),
          'telemetry',
        );
      } else {
        shared.push(socket);
      }
    }
    if (shared.length > 0) {
      this.queue.send(shared, this.queue.encode('telemetry', [{ readings: batch.readings }]), 'telemetry');
    }
  }

  /** Keeps the latest of `readings` that `socket` follows, until it reads again. */
  private hold(
    socket: RealtimeSocket,
    readings: readonly LiveReading[],
    waiting?: Map<number, LiveReading>,
  ): void {
    const own = this.subscriptions.get(socket);
    let held = waiting;
    if (!held) {
      held = new Map();
      this.pending.set(socket, held);
    }
    for (const reading of readings) if (own?.has(reading[0])) keepLatest(held, reading);
  }
}
