import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import type { Alert } from '@tidewatch/shared';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { BroadcastQueue } from '../src/modules/realtime/broadcast-queue.ts';
import { corkFlushes } from '../src/modules/realtime/corked-flushes.ts';
import type { RealtimeServer, RealtimeSocket } from '../src/modules/realtime/realtime-types.ts';
import { eventually } from './realtime-client.ts';

// The queue and the corked hand-over on a bare Socket.IO server: no database, real sockets.
interface Bench {
  readonly http: HttpServer;
  readonly io: RealtimeServer;
  readonly queue: BroadcastQueue;
  readonly clients: ClientSocket[];
  readonly sockets: RealtimeSocket[];
  /** The server side's TCP sockets, in connection order. */
  readonly tcp: NetSocket[];
}

const benches: Bench[] = [];

async function bench(clientCount: number, socketsPerTurn: number, cork = true): Promise<Bench> {
  const http = createServer();
  const tcp: NetSocket[] = [];
  http.on('upgrade', (_request, socket: NetSocket) => tcp.push(socket));
  const io: RealtimeServer = new Server(http, { serveClient: false, transports: ['websocket'] });
  if (cork) corkFlushes(io);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const clients: ClientSocket[] = [];
  for (let i = 0; i < clientCount; i += 1) {
    const client = connect(`http://127.0.0.1:${String(port)}`, { transports: ['websocket'] });
    await new Promise<void>((resolve) =>
      client.once('connect', () => {
        resolve();
      }),
    );
    clients.push(client);
  }
  const made = {
    http,
    io,
    queue: new BroadcastQueue(io, socketsPerTurn),
    clients,
    sockets: [...io.of('/').sockets.values()],
    tcp,
  };
  benches.push(made);
  return made;
}

afterEach(async () => {
  for (const { clients, io, http } of benches.splice(0)) {
    for (const client of clients) client.close();
    await io.close();
    http.closeAllConnections();
  }
});

const alert = (sequence: number): [{ sequence: number; alert: Alert }] => [
  { sequence, alert: { id: String(sequence) } as unknown as Alert },
];

function sequencesOf(client: ClientSocket): number[] {
  const seen: number[] = [];
  client.on('alert', (event: { sequence: number }) => seen.push(event.sequence));
  return seen;
}

describe('the broadcast queue', () => {
  it('delivers every message to every socket in order while sockets wait their turn', async () => {
    const { queue, clients, sockets } = await bench(12, 5);
    const received = clients.map(sequencesOf);
    // The first is written at once to 5 of 12 sockets; the others' outboxes fill while they wait their turn.
    for (let i = 0; i < 30; i += 1) queue.send(sockets, queue.encode('alert', alert(i)), 'changes');
    await eventually(() => (received.every((seen) => seen.length === 30) ? true : undefined));
    const expected = Array.from({ length: 30 }, (_, i) => i);
    for (const seen of received) expect(seen).toEqual(expected);
    expect(queue.busy('changes')).toBe(false);
  });

  it('keeps each set of sockets its own messages, in order', async () => {
    const { queue, clients, sockets } = await bench(6, 2);
    const received = clients.map(sequencesOf);
    const odd = sockets.filter((_, i) => i % 2 === 1);
    for (let i = 0; i < 20; i += 1) {
      queue.send(i % 3 === 0 ? odd : sockets, queue.encode('alert', alert(i)), 'changes');
    }
    const all = Array.from({ length: 20 }, (_, i) => i);
    const forEven = all.filter((i) => i % 3 !== 0);
    await eventually(() =>
      received.every((seen, i) => seen.length === (i % 2 === 1 ? 20 : forEven.length)) ? true : undefined,
    );
    received.forEach((seen, i) => {
      expect(seen).toEqual(i % 2 === 1 ? all : forEven);
    });
  });
});

describe('corked hand-over', () => {
  /** Counts the writes reaching each of the server's TCP sockets from now on. */
  function countWrites(sockets: readonly NetSocket[]): () => number {
    let writes = 0;
    for (const socket of sockets) {
      const handle = (socket as unknown as { _handle: Record<string, (...args: unknown[]) => unknown> })
        ._handle;
      for (const name of ['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String']) {
        const original = handle[name];
        if (typeof original !== 'function') continue;
        handle[name] = (...args: unknown[]) => {
          writes += 1;
          return original.apply(handle, args);
        };
      }
    }
    return () => writes;
  }

  async function burst(cork: boolean): Promise<number> {
    const { queue, clients, sockets, tcp } = await bench(1, 100, cork);
    const [client] = clients;
    if (!client) throw new Error('a client');
    const received = sequencesOf(client);
    const writes = countWrites(tcp);
    // One synchronous burst: the first packet leaves at once, the other 49 wait for it and leave together.
    for (let i = 0; i < 50; i += 1) queue.send(sockets, queue.encode('alert', alert(i)), 'changes');
    await eventually(() => (received.length === 50 ? true : undefined));
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => i));
    return writes();
  }

  it('writes a waiting socket its alerts and readings together, in the order they were queued', async () => {
    const { queue, clients, sockets, tcp } = await bench(8, 2);
    const orders = clients.map((client) => {
      const order: string[] = [];
      client.on('alert', (event: { sequence: number }) => order.push(`alert ${String(event.sequence)}`));
      client.on('telemetry', () => order.push('telemetry'));
      return order;
    });
    const writes = countWrites(tcp);
    // A backlog: two sockets a turn, and each message for the sockets in another order.
    for (let i = 0; i < 40; i += 1) {
      const set = i % 2 === 0 ? sockets : [...sockets].reverse();
      queue.send(set, queue.encode('alert', alert(i)), 'changes');
    }
    queue.send(sockets, queue.encode('telemetry', [{ readings: [[1, Date.now(), 1]] }]), 'telemetry');
    expect(queue.busy('telemetry')).toBe(true);
    await eventually(() => (orders.every((order) => order.length === 41) ? true : undefined));
    const expected = [...Array.from({ length: 40 }, (_, i) => `alert ${String(i)}`), 'telemetry'];
    for (const order of orders) expect(order).toEqual(expected);
    expect(queue.busy('telemetry')).toBe(false);
    // 328 deliveries: the first alert at once to two sockets, then one write per socket for what waited.
    expect(writes()).toBeLessThanOrEqual(2 * sockets.length);
  });

  it('sends a client the packets that waited for it in one write, not one per packet', async () => {
    const corked = await burst(true);
    const uncorked = await burst(false);
    expect(corked).toBeLessThanOrEqual(3);
    expect(uncorked).toBeGreaterThanOrEqual(40);
  });
});
