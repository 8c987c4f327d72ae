import { describe, expect, it } from 'vitest';
import { DeviceSignInThrottle } from './sign-in-throttle.ts';

const policy = {
  pairFailures: 3,
  addressFailures: 5,
  deviceFailures: 4,
  windowMs: 600_000,
  holdMs: 30_000,
  holdMaxMs: 120_000,
};

function throttleAt(): { throttle: DeviceSignInThrottle; advance: (ms: number) => void } {
  let now = 1_000_000;
  return {
    throttle: new DeviceSignInThrottle(policy, () => now),
    advance: (ms) => {
      now += ms;
    },
  };
}

/** Counts an attempt as a wrong secret would be, if it is let through. */
function wrong(throttle: DeviceSignInThrottle, address: string, device: string): boolean {
  if (throttle.holds(address, device)) return false;
  throttle.attempted(address, device);
  return true;
}

describe('device sign-in throttle', () => {
  it('lets a parallel burst through only up to the pair limit, then holds it, doubling after each hold', () => {
    const { throttle, advance } = throttleAt();
    // Counted before the verdict: a burst of ten in flight at once passes three.
    const passed = Array.from({ length: 10 }, () => wrong(throttle, '10.0.0.1', 'd1')).filter(Boolean);
    expect(passed).toHaveLength(3);
    expect(throttle.holds('10.0.0.1', 'd1')).toBe('pair');
    advance(30_001);
    expect(wrong(throttle, '10.0.0.1', 'd1')).toBe(true);
    advance(30_001);
    expect(throttle.holds('10.0.0.1', 'd1')).toBe('pair');
    advance(30_000);
    expect(throttle.holds('10.0.0.1', 'd1')).toBeNull();
  });

  it('holds a device attacked from many addresses, but not at an address that signed it in', () => {
    const { throttle } = throttleAt();
    throttle.attempted('10.0.0.9', 'd1');
    throttle.succeeded('10.0.0.9', 'd1');
    for (let i = 0; i < 4; i += 1) wrong(throttle, `10.0.1.${String(i)}`, 'd1');
    expect(throttle.holds('10.0.2.1', 'd1')).toBe('device');
    expect(throttle.holds('10.0.0.9', 'd1')).toBeNull();
  });

  it('holds an address trying many devices, and takes back attempts that got no verdict', () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < 4; i += 1) wrong(throttle, '10.0.0.1', `d${String(i)}`);
    throttle.attempted('10.0.0.1', 'd9');
    throttle.withdrawn('10.0.0.1', 'd9');
    expect(throttle.holds('10.0.0.1', 'd10')).toBeNull();
    wrong(throttle, '10.0.0.1', 'd10');
    expect(throttle.holds('10.0.0.1', 'd11')).toBe('address');
  });
});
