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

/** What a message is: changes (alerts and the like) or telemetry, which its sender may skip while some waits. */
export type Lane = 'changes' | 'telemetry';

/** Engine.IO's side of a client (not in its types): its transport's readiness, and the hand-over to it. */
interface EngineHandOver {
  readonly transport: { writable: boolean };
  flush(): void;
}

/** What waits for one socket, in the order it was queued. */
interface Outbox {
  readonly messages: EncodedMessage[];
  telemetry: number;
}

/**
 * Broadcasts written a bounded number of sockets per event-loop turn: a message to thousands of sockets no longer
 * holds the loop while requests, database answers and the next changes wait.
 *
 * Each socket has an outbox; a broadcast adds its message (encoded once) to the outbox of every socket it is for,
 * and sockets are written in the order their outboxes filled, each with everything that waits for it, handed to
 * its transport at once and so leaving in one system call (see `corkFlushes`). A socket receives its messages in
 * the order they were queued. The busier the server, the more each write carries, so a backlog drains instead of
 * growing: with nothing waiting, a message is written at once (the first turn's share in the same turn).
 * @example queue.toRooms(roomBroadcast(audienceRooms(tenantId, zoneId), 'alert', { sequence, alert }));
 */
export class BroadcastQueue {
  /** Sockets with something to write; a Map keeps insertion order, so the first is the longest waiting. */
  private readonly outboxes = new Map<RealtimeSocket, Outbox>();
  private telemetryWaiting = 0;
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
  send(sockets: Iterable<RealtimeSocket>, message: EncodedMessage, lane: Lane): void {
    const telemetry = lane === 'telemetry' ? 1 : 0;
    for (const socket of sockets) {
      const outbox = this.outboxes.get(socket);
      if (outbox) {
        outbox.messages.push(message);
        outbox.telemetry += telemetry;
      } else {
        this.outboxes.set(socket, { messages: [message], telemetry });
      }
      this.telemetryWaiting += telemetry;
    }
    if (!this.scheduled && this.outboxes.size > 0) this.turn();
  }

  /** Sockets waiting for a message in a later turn, for the metrics. */
  get waiting(): number {
    return this.outboxes.size;
  }

  /** Whether messages of `lane` are still to be written. */
  busy(lane: Lane): boolean {
    return lane === 'telemetry' ? this.telemetryWaiting > 0 : this.outboxes.size > 0;
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
    let budget = this.socketsPerTurn;
    for (const [socket, outbox] of this.outboxes) {
      if (budget === 0) break;
      budget -= 1;
      // Deleted before writing: a message queued by a listener during the write starts a new outbox.
      this.outboxes.delete(socket);
      this.telemetryWaiting -= outbox.telemetry;
      if (socket.connected) write(socket, outbox.messages);
    }
    if (this.outboxes.size > 0) {
      this.scheduled = true;
      setImmediate(() => {
        this.turn();
      });
    }
  }
}

/**
 * Writes `messages` to `socket` and hands them to its transport together. Engine.IO hands each packet over the
 * moment it is created if the transport is idle, and the rest only once that write completes: a second system
 * call. Holding the transport while the packets are created makes it one hand-over of them all.
 */
function write(socket: RealtimeSocket, messages: readonly EncodedMessage[]): void {
  const writer = socket.client as unknown as PacketWriter;
  if (messages.length === 1) {
    const [message] = messages as [EncodedMessage];
    writer._packet(message.packets, message.options);
    return;
  }
  const engine = socket.conn as unknown as EngineHandOver;
  const { transport } = engine;
  const idle = transport.writable;
  transport.writable = false;
  try {
    for (const message of messages) writer._packet(message.packets, message.options);
  } finally {
    transport.writable = idle;
  }
  if (idle) engine.flush();
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
