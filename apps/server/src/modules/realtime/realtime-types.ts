import type { ClientToServerEvents, LiveReading, ServerToClientEvents } from '@tidewatch/shared';
import type { Server, Socket } from 'socket.io';
import type { DomainEvents } from '../../events/event-bus.ts';
import type { ClientBacklog } from './client-backlog.ts';
import type { SocketSession } from './socket-session.ts';

/** What instances tell each other besides broadcasts to rooms (carried by the Redis adapter). */
export interface InterServerEvents {
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
