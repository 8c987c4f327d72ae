import { describe, expect, it } from 'vitest';
import { afterFailure, isTrialRead, type RetryPolicy } from './retry-policy.ts';

const policy: RetryPolicy = {
  baseDelayMs: 15_000,
  maxDelayMs: 900_000,
  circuitThreshold: 3,
  circuitCooldownMs: 600_000,
};

describe('afterFailure', () => {
  it('backs off exponentially between half and all of the delay, never below the base or above the cap', () => {
    const low = (failures: number) => afterFailure(failures, policy, null, () => 0).retryInMs;
    const high = (failures: number) => afterFailure(failures, policy, null, () => 1).retryInMs;

    expect([0, 1, 2, 3, 4].map(high)).toEqual([15_000, 30_000, 60_000, 120_000, 240_000]);
    expect([0, 1, 2, 3, 4].map(low)).toEqual([15_000, 15_000, 30_000, 60_000, 120_000]);
    expect(high(40)).toBe(900_000);
    expect(low(40)).toBe(450_000);
  });

  it('spreads retries of channels that failed together', () => {
    const delays = new Set(Array.from({ length: 20 }, () => afterFailure(3, policy).retryInMs));

    expect(delays.size).toBeGreaterThan(10);
  });

  it('waits at least as long as the server asked with Retry-After', () => {
    expect(afterFailure(0, policy, 120_000, () => 1).retryInMs).toBe(120_000);
  });

  it('opens the circuit at the threshold, and again when a trial read fails', () => {
    expect(afterFailure(1, policy).circuitOpenMs).toBeNull();
    expect(afterFailure(2, policy)).toMatchObject({ failures: 3, circuitOpenMs: 600_000 });
    expect(isTrialRead(3, policy)).toBe(true);
    expect(afterFailure(3, policy)).toMatchObject({ failures: 4, circuitOpenMs: 600_000 });
    expect(isTrialRead(2, policy)).toBe(false);
  });
});
