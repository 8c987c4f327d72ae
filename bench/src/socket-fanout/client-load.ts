import type { AlertEvent, TelemetryEvent } from '@tidewatch/shared';
import { io, type Socket } from 'socket.io-client';
import { Histogram, preciseNow } from './histogram.ts';
import type { ClientSpec, Command, Reply } from './protocol.ts';

// One of the benchmark's client processes: holds its share of the sockets, records when each message arrives and
// reports latency histograms to the parent. Commands come over the IPC channel.

interface Client {
  readonly socket: Socket;
  readonly tenant: string;
  /** Arrival times of alert events, per alert id, in order. */
  readonly alerts: Map<string, number[]>;
  /** The series it follows, and the distinct readings of them it received (`series:time`). */
  readonly seriesIds: ReadonlySet<number>;
  readonly readings: Set<string>;
}

const CONNECT_CONCURRENCY = 100;
const clients: Client[] = [];
let mode: 'tidewatch' | 'bare' = 'tidewatch';
let measuring = false;
let telemetry = new Histogram();
let broadcasts = new Histogram();
let messages = 0;
let firstAt = Number.NaN;
let lastAt = Number.NaN;

function reply(message: Reply): void {
  process.send?.(message);
}

function arrived(): number {
  const at = preciseNow();
  messages += 1;
  if (Number.isNaN(firstAt)) firstAt = at;
  lastAt = at;
  return at;
}

function open(url: string, spec: ClientSpec): Promise<Client> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: spec.auth });
  const client: Client = {
    socket,
    tenant: spec.tenant,
    alerts: new Map(),
    seriesIds: new Set(spec.seriesIds),
    readings: new Set(),
  };
  socket.on('alert', (event: AlertEvent) => {
    if (!measuring) return;
    const at = arrived();
    const times = client.alerts.get(event.alert.id);
    if (times) times.push(at);
    else client.alerts.set(event.alert.id, [at]);
  });
  socket.on('telemetry', (event: TelemetryEvent) => {
    if (!measuring) return;
    const at = arrived();
    for (const reading of event.readings) {
      telemetry.add(at - reading[1]);
      // A message may carry series the client did not ask for (it may see them): only its own are counted.
      if (client.seriesIds.has(reading[0]))
        client.readings.add(`${String(reading[0])}:${String(reading[1])}`);
    }
  });
  socket.on('tick', (event: { at: number }) => {
    if (!measuring) return;
    broadcasts.add(arrived() - event.at);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('no connection within 30 s'));
    }, 30_000);
    socket.once(mode === 'tidewatch' ? 'session:ready' : 'connect', () => {
      clearTimeout(timer);
      if (spec.seriesIds.length === 0) {
        resolve(client);
        return;
      }
      socket
        .timeout(30_000)
        .emitWithAck('telemetry:subscribe', { seriesIds: spec.seriesIds })
        .then(() => {
          resolve(client);
        }, reject);
    });
    socket.once('connect_error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function connectAll(url: string, specs: readonly ClientSpec[]): Promise<void> {
  let failed = 0;
  let firstError: string | undefined;
  for (let start = 0; start < specs.length; start += CONNECT_CONCURRENCY) {
    const outcomes = await Promise.allSettled(
      specs.slice(start, start + CONNECT_CONCURRENCY).map((s) => open(url, s)),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') clients.push(outcome.value);
      else {
        failed += 1;
        firstError ??= String(outcome.reason);
      }
    }
  }
  reply({ type: 'connected', connected: clients.length, failed, ...(firstError ? { firstError } : {}) });
}

/** Sequential request round trips on one socket: an empty echo on the bare server, a cheap request on ours. */
async function roundTrips(count: number): Promise<void> {
  const histogram = new Histogram();
  const socket = clients[0]?.socket;
  for (let i = 0; socket && i < count; i += 1) {
    const start = preciseNow();
    if (mode === 'bare') await socket.timeout(10_000).emitWithAck('echo', i);
    else await socket.timeout(10_000).emitWithAck('telemetry:unsubscribe', { seriesIds: [2_000_000_000] });
    histogram.add(preciseNow() - start);
  }
  reply({ type: 'round-trips', histogram: histogram.toJSON() });
}

function report(sent: Record<string, Record<string, number[]>>, readings: Record<string, number>): void {
  const alerts = new Histogram();
  let expected = 0;
  let matched = 0;
  let expectedReadings = 0;
  let receivedReadings = 0;
  for (const client of clients) {
    for (const seriesId of client.seriesIds) expectedReadings += readings[String(seriesId)] ?? 0;
    receivedReadings += client.readings.size;
    for (const [alertId, requested] of Object.entries(sent[client.tenant] ?? {})) {
      expected += requested.length;
      const times = client.alerts.get(alertId) ?? [];
      // Each change makes exactly one event: the k-th arrival answers the k-th request.
      for (let k = 0; k < Math.min(times.length, requested.length); k += 1) {
        alerts.add((times[k] ?? 0) - (requested[k] ?? 0));
        matched += 1;
      }
    }
  }
  measuring = false;
  reply({
    type: 'report',
    alerts: alerts.toJSON(),
    telemetry: telemetry.toJSON(),
    broadcasts: broadcasts.toJSON(),
    messages,
    expectedAlerts: expected,
    matchedAlerts: matched,
    expectedReadings,
    receivedReadings,
    firstAt,
    lastAt,
  });
}

process.on('message', (command: Command) => {
  switch (command.type) {
    case 'connect':
      mode = command.mode;
      void connectAll(command.url, command.clients);
      break;
    case 'round-trips':
      void roundTrips(command.count);
      break;
    case 'measure':
      telemetry = new Histogram();
      broadcasts = new Histogram();
      messages = 0;
      firstAt = Number.NaN;
      lastAt = Number.NaN;
      for (const client of clients) {
        client.alerts.clear();
        client.readings.clear();
      }
      measuring = true;
      reply({ type: 'measuring' });
      break;
    case 'progress':
      reply({ type: 'progress', messages });
      break;
    case 'report':
      report(command.sent, command.readings ?? {});
      break;
    case 'disconnect':
      for (const client of clients) client.socket.close();
      clients.length = 0;
      reply({ type: 'disconnected' });
      break;
  }
});
