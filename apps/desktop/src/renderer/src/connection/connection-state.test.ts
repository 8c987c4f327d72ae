import { describe, expect, it } from 'vitest';
import { initialConnection, nextConnection, OFFLINE_AFTER_MS, probeDelayMs } from './connection-state.ts';

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

  it('is offline at once when the operating system reports the network gone', () => {
    expect(nextConnection(initialConnection, { type: 'network-lost' }, 5)).toEqual({
      status: 'offline',
      failingSince: 5,
    });
  });

  it('probes with growing pauses up to 15 seconds', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(probeDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
  });
});
