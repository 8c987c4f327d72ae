import type { ServerToClientEvents } from '@tidewatch/shared';
import type { RealtimeServer, RealtimeSocket, RoomBroadcast } from './realtime-types.ts';

type EventName = keyof ServerToClientEvents;

/** Socket.IO's write options for a packet encoded beforehand; the adapter adds the WebSocket frame it built. */
interface PacketOptions {
  readonly preEncoded: true;
  readonly volatile: boolean;
}

/** One message, encoded once, ready to write to any number of sockets. */
export interface EncodedMessage {
  readonly packets: readonly unknown[];
  readonly options: PacketOptions;
}

/**
 * The two Socket.IO internals a broadcast of our own needs, the very ones `io.to(room).emit` uses: the adapter's
 * encoder, which also builds the WebSocket frame once, and the client's write of packets encoded beforehand.
 */
interface EncodingAdapter {
  _encode(packet: { type: number; data: unknown[]; nsp: string }, options: PacketOptions): unknown[];
}
interface PacketWriter {
  _packet(packets: readonly unknown[], options: PacketOptions): void;
}

/** socket.io-parser's EVENT packet type. */
const EVENT_PACKET = 2;

/**
 * Alerts and other changes go first; telemetry, coalesced, takes what is left of a turn. Each lane
 * keeps its order, so a socket receives each kind in the order it was sent.
 */
export type Lane = 'changes' | 'telemetry';

/** Messages for one set of sockets; more join it while none of them has been written yet. */
interface Job {
  readonly sockets: readonly RealtimeSocket[];
  readonly messages: EncodedMessage[];
  next: number;
}

/** The share of each turn telemetry keeps while changes wait too, so a stream of alerts cannot starve it. */
const TELEMETRY_SHARE = 0.25;

function sameSockets(a: readonly RealtimeSocket[], b: readonly RealtimeSocket[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Broadcasts written a bounded number of sockets per event-loop turn: a message to thousands of sockets no longer
 * holds the loop while requests, database answers and the next changes wait. Messages go out in the order they
 * were queued, so each socket receives them in that order too. The first turn's share is written at once.
 *
 * Under load the queue batches by itself: a message for the same sockets as a job not yet started joins that job,
 * and a socket's messages are written together, leaving the socket in one system call (see `corkFlushes`). The
 * further behind the queue is, the less each delivery costs, so a backlog drains instead of growing.
 * @example queue.toRooms(roomBroadcast(audienceRooms(tenantId, zoneId), 'alert', { sequence, alert }));
 */
export class BroadcastQueue {
  private readonly lanes: Record<Lane, Job[]> = { changes: [], telemetry: [] };
  private scheduled = false;
  private readonly encoder: EncodingAdapter;

  constructor(
    private readonly io: RealtimeServer,
    private readonly socketsPerTurn: number,
  ) {
    const adapter = io.of('/').adapter as unknown as Partial<EncodingAdapter>;
    if (typeof adapter._encode !== 'function')
      throw new Error('the Socket.IO adapter cannot pre-encode packets');
    this.encoder = adapter as EncodingAdapter;
  }

  /**
   * Encodes `event` once, for as many sockets as need it. Never volatile: Socket.IO drops a volatile packet
   * whenever the socket has a write in flight, which under load is most of the time; optional messages are held
   * back by their sender instead (see `ClientBacklog.congested`).
   */
  encode<E extends EventName>(event: E, args: Parameters<ServerToClientEvents[E]>): EncodedMessage {
    return this.encodeEvent(event, args);
  }

  /** Sends a broadcast to the sockets of this instance in any of its rooms, each once. */
  toRooms(broadcast: RoomBroadcast): void {
    const sockets = this.localMembers(broadcast.rooms);
    if (sockets.length > 0) this.send(sockets, this.encodeEvent(broadcast.event, broadcast.args), 'changes');
  }

  /** Queues one encoded message for `sockets`. */
  send(sockets: readonly RealtimeSocket[], message: EncodedMessage, lane: Lane): void {
    if (sockets.length === 0) return;
    const jobs = this.lanes[lane];
    const last = jobs.at(-1);
    if (last && last.next === 0 && sameSockets(last.sockets, sockets)) last.messages.push(message);
    else jobs.push({ sockets, messages: [message], next: 0 });
    if (!this.scheduled) this.turn();
  }

  /** Sockets waiting for a message in a later turn, for the metrics. */
  get waiting(): number {
    let total = 0;
    for (const job of [...this.lanes.changes, ...this.lanes.telemetry])
      total += job.sockets.length - job.next;
    return total;
  }

  /** Whether `lane` still has messages to write. */
  busy(lane: Lane): boolean {
    return this.lanes[lane].length > 0;
  }

  private encodeEvent(event: EventName, args: readonly unknown[]): EncodedMessage {
    const options: PacketOptions = { preEncoded: true, volatile: false };
    const packets = this.encoder._encode({ type: EVENT_PACKET, data: [event, ...args], nsp: '/' }, options);
    return { packets, options };
  }

  private localMembers(rooms: readonly string[]): RealtimeSocket[] {
    const namespace = this.io.of('/');
    const members = new Set<string>();
    for (const room of rooms) {
      for (const id of namespace.adapter.rooms.get(room) ?? []) members.add(id);
    }
    const sockets: RealtimeSocket[] = [];
    for (const id of members) {
      const socket = namespace.sockets.get(id);
      if (socket) sockets.push(socket);
    }
    return sockets;
  }

  private turn(): void {
    this.scheduled = false;
    const reserved = this.lanes.telemetry.length > 0 ? Math.ceil(this.socketsPerTurn * TELEMETRY_SHARE) : 0;
    const left = this.write(this.lanes.changes, this.socketsPerTurn - reserved);
    const unused = this.write(this.lanes.telemetry, left + reserved);
    // Changes take back what telemetry did not need.
    if (unused > 0) this.write(this.lanes.changes, unused);
    if (this.lanes.changes.length > 0 || this.lanes.telemetry.length > 0) {
      this.scheduled = true;
      setImmediate(() => {
        this.turn();
      });
    }
  }

  /** Writes up to `budget` sockets' messages from the head of `jobs`; answers what is left of the budget. */
  private write(jobs: Job[], budget: number): number {
    let left = budget;
    while (left > 0 && jobs.length > 0) {
      const job = jobs[0] as Job;
      const end = Math.min(job.next + left, job.sockets.length);
      for (let i = job.next; i < end; i += 1) {
        const socket = job.sockets[i] as RealtimeSocket;
        if (!socket.connected) continue;
        const writer = socket.client as unknown as PacketWriter;
        for (const message of job.messages) writer._packet(message.packets, message.options);
      }
      left -= end - job.next;
      job.next = end;
      if (job.next === job.sockets.length) jobs.shift();
    }
    return left;
  }
}

/** A broadcast of `event` to `rooms`, as queued here and relayed to the other instances. */
export function roomBroadcast<E extends EventName>(
  rooms: readonly string[],
  event: E,
  ...args: Parameters<ServerToClientEvents[E]>
): RoomBroadcast {
  // The union over event names cannot be built from a generic one without this assertion.
  return { rooms, event, args } as unknown as RoomBroadcast;
}
