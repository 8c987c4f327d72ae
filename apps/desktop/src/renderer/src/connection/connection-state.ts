/**
 * Whether the console is connected to its server, as its one Socket.IO connection tells: `online` once the
 * socket is ready (and caught up), `reconnecting` when it dropped and is trying again, `offline` when the server
 * cannot be reached at all (a connection attempt failed, the failures went on past OFFLINE_AFTER_MS, or the OS
 * says the network is gone). The next ready socket returns to online by itself.
 */
export type ConnectionStatus = 'online' | 'reconnecting' | 'offline';

export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** When the current run of failures began, for "since 12:03". */
  readonly failingSince: number | null;
}

export type ConnectionEvent =
  | { readonly type: 'success' }
  | { readonly type: 'failure' }
  | { readonly type: 'unreachable' }
  | { readonly type: 'network-lost' };

export const OFFLINE_AFTER_MS = 10_000;

export const initialConnection: ConnectionState = { status: 'online', failingSince: null };

export function nextConnection(state: ConnectionState, event: ConnectionEvent, now: number): ConnectionState {
  switch (event.type) {
    case 'success':
      return initialConnection;
    case 'unreachable':
    case 'network-lost':
      return { status: 'offline', failingSince: state.failingSince ?? now };
    case 'failure': {
      const failingSince = state.failingSince ?? now;
      const status =
        now - failingSince >= OFFLINE_AFTER_MS || state.status === 'offline' ? 'offline' : 'reconnecting';
      return { status, failingSince };
    }
  }
}
