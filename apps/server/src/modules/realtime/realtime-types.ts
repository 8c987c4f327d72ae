import type { ClientToServerEvents, LiveReading, ServerToClientEvents } from '@tidewatch/shared';
import type { Server, Socket } from 'socket.io';
import type { DomainEvents } from '../../events/event-bus.ts';
import type { ClientBacklog } from './client-backlog.ts';
import type { SocketSession } from './socket-session.ts';

/** A message to the sockets in any of `rooms`, on every instance. */
export type RoomBroadcast = {
  [E in keyof ServerToClientEvents]: {
    readonly rooms: readonly string[];
    readonly event: E;
    readonly args: Parameters<ServerToClientEvents[E]>;
  };
}[keyof ServerToClientEvents];

/** What instances tell each other (carried by the Redis adapter). */
export interface InterServerEvents {
  /** A broadcast made on that instance: its sockets here receive it from this instance's queue. */
  broadcast: (broadcast: RoomBroadcast) => void;
  /** The latest reading per series an instance stored in one coalescing interval. */
  telemetry: (readings: LiveReading[]) => void;
  /** Someone's authority changed on that instance: check the sockets here too. */
  'access:changed': () => void;
  /** A device was changed on that instance: its connections here end too. */
  'device:changed': (event: Omit<DomainEvents['device.changed'], 'relayed'>) => void;
}

export interface SocketData {
  session: SocketSession;
  /** The alert sequence the client said it is up to date with when it connected. */
  resumeAfter: number | undefined;
  backlog: ClientBacklog;
}

export type RealtimeServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type RealtimeSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
