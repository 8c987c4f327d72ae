export interface DeviceThrottlePolicy {
  /** Failures within the window from which attempts are held back. */
  readonly pairFailures: number;
  readonly addressFailures: number;
  readonly deviceFailures: number;
  readonly windowMs: number;
  /** The first hold; it doubles with each failure after it, up to `holdMaxMs`. */
  readonly holdMs: number;
  readonly holdMaxMs: number;
}

/** Why an attempt is held back, for the metrics and the log. */
export type HoldReason = 'pair' | 'address' | 'device';

interface Count {
  failures: number;
  windowStart: number;
  /** Epoch ms until which attempts are held back; 0 for none. */
  heldUntil: number;
}

/** Counts and known addresses kept at most, each; the oldest go first (an attacker cycling keys gains nothing). */
const MAX_ENTRIES = 100_000;
/** An address that signed a device in this recently is spared that device's device-wide hold. */
const KNOWN_ADDRESS_MS = 7 * 86_400_000;

/**
 * Failed device sign-ins counted in memory, per address and device pair, per address and per device, checked
 * before anything costs a query or a hash. Counts are per instance: several instances allow several times the
 * failures, which still bounds the hashing each one does. Whatever it decides, the caller answers as for a wrong
 * secret.
 */
export class DeviceSignInThrottle {
  private readonly counts = new Map<string, Count>();
  /** `device\0address` → when that address last signed the device in. */
  private readonly known = new Map<string, number>();

  constructor(
    private readonly policy: DeviceThrottlePolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key held back, or null when the attempt may be evaluated. */
  holds(address: string, deviceId: string): HoldReason | null {
    const now = this.now();
    if (this.heldAt(pairKey(address, deviceId), now)) return 'pair';
    if (this.heldAt(addressKey(address), now)) return 'address';
    // A flood from elsewhere must not keep the real device out: its own address is spared.
    const knownAt = this.known.get(`${deviceId}\u0000${address}`);
    const known = knownAt !== undefined && now - knownAt < KNOWN_ADDRESS_MS;
    if (!known && this.heldAt(deviceKey(deviceId), now)) return 'device';
    return null;
  }

  /**
   * Counts an attempt about to be evaluated as a failure against all three keys, before its verdict, so that a
   * parallel burst cannot pass more attempts than the limits allow. A wrong secret, an unknown or a disabled
   * device leave it counted; `succeeded` and `withdrawn` take it back.
   */
  attempted(address: string, deviceId: string): void {
    const now = this.now();
    const { pairFailures, addressFailures, deviceFailures } = this.policy;
    this.count(pairKey(address, deviceId), pairFailures, now);
    this.count(addressKey(address), addressFailures, now);
    this.count(deviceKey(deviceId), deviceFailures, now);
  }

  /** The right secret: the pair's failures are forgotten and the address is known for the device. */
  succeeded(address: string, deviceId: string): void {
    this.counts.delete(pairKey(address, deviceId));
    this.uncount(addressKey(address), this.policy.addressFailures);
    this.uncount(deviceKey(deviceId), this.policy.deviceFailures);
    const key = `${deviceId}\u0000${address}`;
    this.known.delete(key);
    this.known.set(key, this.now());
    trim(this.known);
  }

  /** No verdict (the hashing line was full): the attempt is not counted. */
  withdrawn(address: string, deviceId: string): void {
    this.uncount(pairKey(address, deviceId), this.policy.pairFailures);
    this.uncount(addressKey(address), this.policy.addressFailures);
    this.uncount(deviceKey(deviceId), this.policy.deviceFailures);
  }

  private heldAt(key: string, now: number): boolean {
    const count = this.counts.get(key);
    return count !== undefined && count.heldUntil > now;
  }

  private count(key: string, limit: number, now: number): void {
    let count = this.counts.get(key);
    if (!count || (now - count.windowStart > this.policy.windowMs && count.heldUntil <= now)) {
      count = { failures: 0, windowStart: now, heldUntil: 0 };
    }
    count.failures += 1;
    if (count.failures >= limit) {
      const doublings = Math.min(count.failures - limit, 30);
      count.heldUntil = now + Math.min(this.policy.holdMs * 2 ** doublings, this.policy.holdMaxMs);
    }
    // Re-inserted so the Map's order is least recently failed first, which `trim` drops.
    this.counts.delete(key);
    this.counts.set(key, count);
    trim(this.counts);
  }

  /** Takes back one counted attempt; below the limit again, its hold (which that attempt set) goes too. */
  private uncount(key: string, limit: number): void {
    const count = this.counts.get(key);
    if (!count) return;
    count.failures = Math.max(0, count.failures - 1);
    if (count.failures < limit) count.heldUntil = 0;
  }
}

const pairKey = (address: string, deviceId: string): string => `p\u0000${deviceId}\u0000${address}`;
const addressKey = (address: string): string => `a\u0000${address}`;
const deviceKey = (deviceId: string): string => `d\u0000${deviceId}`;

function trim(map: Map<string, unknown>): void {
  if (map.size <= MAX_ENTRIES) return;
  for (const key of map.keys()) {
    map.delete(key);
    if (map.size <= MAX_ENTRIES * 0.9) return;
  }
}
