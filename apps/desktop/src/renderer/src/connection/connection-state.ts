/**
 * Whether the console can reach its server. Any answer from the server means online; a failed request starts
 * `reconnecting`, and failures that go on past OFFLINE_AFTER_MS (or the OS saying the network is gone) mean
 * `offline`. A later success returns to online by itself.
 */
export type ConnectionStatus = 'online' | 'reconnecting' | 'offline';

export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** When the current run of failures began, for "since 12:03". */
  readonly failingSince: number | null;
}

export type ConnectionEvent =
  { readonly type: 'success' } | { readonly type: 'failure' } | { readonly type: 'network-lost' };

export const OFFLINE_AFTER_MS = 10_000;

export const initialConnection: ConnectionState = { status: 'online', failingSince: null };

export function nextConnection(state: ConnectionState, event: ConnectionEvent, now: number): ConnectionState {
  switch (event.type) {
    case 'success':
      return initialConnection;
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

/** Probe back-off while not online: 1 s, 2 s, 4 s ... at most 15 s. */
export function probeDelayMs(attempt: number): number {
  return Math.min(15_000, 1000 * 2 ** Math.max(0, attempt));
}
