import { createHash } from 'node:crypto';
import { ipKeyGenerator } from 'express-rate-limit';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../logger.ts';
import { ThrottledWarning } from '../../throttled-warning.ts';
import { CredentialChecksBusyError, type CredentialChecks } from '../auth/credential-checks.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import type { IngestDevice } from '../ingest/ingest-device.ts';
import type { DeviceSignInThrottle } from './sign-in-throttle.ts';

export type SignInTransport = 'http' | 'mqtt';

/**
 * What a sign-in came to. Everything but `accepted` and `busy` is answered exactly like a wrong secret (HTTP
 * 401, CONNACK 4); `busy` (the hashing line is full) is 503 with Retry-After, CONNACK 3.
 */
export type DeviceSignInResult =
  | {
      readonly outcome: 'accepted';
      readonly device: IngestDevice;
      /** The device's secret version the device signed in with (when it was last rotated). */
      readonly credentialRotatedAt: number | null;
    }
  | { readonly outcome: 'wrong_secret' | 'unknown_device' | 'held' | 'busy' };

/** The address a sign-in is counted by: IPv4 (IPv4-mapped IPv6 unwrapped), or an IPv6 /56. */
export function signInAddress(remote: string | null | undefined): string {
  const address = (remote ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return ipKeyGenerator(address);
}

/**
 * Device sign-in for every transport (HTTP ingest, the embedded broker): throttle first (no query, no hash),
 * then the device, then its secret — from the cache of secrets already verified, else through the shared
 * credential-check gate. A burst from one device with one secret shares one check.
 */
export class DeviceSignIn {
  /** Secrets already checked against a hash, per device: digest → the version of the secret they matched. */
  private readonly verified = new Map<string, Map<string, number | null>>();
  /** argon2 checks in flight, by device and secret digest. */
  private readonly checking = new Map<string, Promise<boolean>>();
  private readonly attempts: Counter<'transport' | 'outcome'>;
  private readonly warning: ThrottledWarning;

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly throttle: DeviceSignInThrottle,
    private readonly checks: CredentialChecks,
    registry: Registry,
    log: Logger,
  ) {
    this.warning = new ThrottledWarning(log, 'device sign-in refused');
    this.attempts = new Counter({
      name: 'device_sign_ins_total',
      help: 'Device sign-ins (HTTP ingest, MQTT CONNECT) by transport and outcome',
      labelNames: ['transport', 'outcome'] as const,
      registers: [registry],
    });
  }

  async signIn(
    transport: SignInTransport,
    address: string,
    deviceId: string,
    secret: string,
  ): Promise<DeviceSignInResult> {
    const result = await this.evaluate(address, deviceId, secret);
    this.attempts.inc({ transport, outcome: result.outcome });
    if (result.outcome !== 'accepted') this.warning.warn(result.outcome, { transport, address, deviceId });
    return result;
  }

  /** Forgets what is cached about the device: its next sign-in reads it and checks its secret again. */
  forget(deviceId: string): void {
    this.verified.delete(deviceId);
    this.directory.invalidate(deviceId);
  }

  private async evaluate(address: string, deviceId: string, secret: string): Promise<DeviceSignInResult> {
    const held = this.throttle.holds(address, deviceId);
    if (held) return { outcome: 'held' };
    this.throttle.attempted(address, deviceId);
    const device = await this.directory.get(deviceId).catch((error: unknown) => {
      this.throttle.withdrawn(address, deviceId);
      throw error;
    });
    if (!device || device.disabled || device.credentialHash === null) return { outcome: 'unknown_device' };
    const accepted = {
      outcome: 'accepted',
      device,
      credentialRotatedAt: device.credentialRotatedAt,
    } as const;
    const digest = createHash('sha256').update(secret).digest('base64url');
    const known = this.verified.get(deviceId);
    if (known?.has(digest) && known.get(digest) === device.credentialRotatedAt) {
      this.throttle.succeeded(address, deviceId);
      return accepted;
    }
    const key = `${deviceId}:${digest}`;
    let check = this.checking.get(key);
    if (!check) {
      check = this.checks
        .verify('device', device.credentialHash, secret)
        .finally(() => this.checking.delete(key));
      this.checking.set(key, check);
    }
    let ok: boolean;
    try {
      ok = await check;
    } catch (error) {
      this.throttle.withdrawn(address, deviceId);
      if (error instanceof CredentialChecksBusyError) return { outcome: 'busy' };
      throw error;
    }
    if (!ok) return { outcome: 'wrong_secret' };
    this.throttle.succeeded(address, deviceId);
    if (this.verified.size > 50_000) this.verified.clear();
    const secrets = this.verified.get(deviceId) ?? new Map<string, number | null>();
    // A device has one secret at a time: older digests need not be kept.
    if (secrets.size > 4) secrets.clear();
    secrets.set(digest, device.credentialRotatedAt);
    this.verified.set(deviceId, secrets);
    return accepted;
  }
}
