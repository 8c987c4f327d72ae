import { describe, expect, it } from 'vitest';
import { initialConnection, nextConnection, OFFLINE_AFTER_MS } from './connection-state.ts';

describe('connection state', () => {
  it('goes reconnecting on a failure, offline when failures last, and online again on the first success', () => {
    const failing = nextConnection(initialConnection, { type: 'failure' }, 1000);
    expect(failing).toEqual({ status: 'reconnecting', failingSince: 1000 });
    const still = nextConnection(failing, { type: 'failure' }, 1000 + OFFLINE_AFTER_MS - 1);
    expect(still.status).toBe('reconnecting');
    const offline = nextConnection(still, { type: 'failure' }, 1000 + OFFLINE_AFTER_MS);
    expect(offline).toEqual({ status: 'offline', failingSince: 1000 });
    expect(nextConnection(offline, { type: 'success' }, 99_000)).toEqual(initialConnection);
  });

  it('is offline at once when the server cannot be reached or the operating system reports the network gone', () => {
    const dropped = nextConnection(initialConnection, { type: 'failure' }, 5);
    expect(nextConnection(dropped, { type: 'unreachable' }, 9)).toEqual({
      status: 'offline',
      failingSince: 5,
    });
    expect(nextConnection(initialConnection, { type: 'network-lost' }, 5)).toEqual({
      status: 'offline',
      failingSince: 5,
    });
  });

  it('stays offline through further failures until a success', () => {
    const offline = nextConnection(initialConnection, { type: 'unreachable' }, 5);
    expect(nextConnection(offline, { type: 'failure' }, 6).status).toBe('offline');
  });
});
