import type { Registry } from 'prom-client';
import type { Config } from '../../config.ts';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { CredentialChecks } from '../auth/credential-checks.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import { DeviceRevocation } from './device-revocation.ts';
import { DeviceSessions } from './device-sessions.ts';
import { DeviceSignIn } from './device-sign-in.ts';
import { DeviceSignInThrottle } from './sign-in-throttle.ts';

/** What the transports use: sign-in, and the registry of live broker connections a device change ends. */
export interface DeviceAuth {
  readonly signIn: DeviceSignIn;
  readonly sessions: DeviceSessions;
  /** Started with the server; applies `device.changed` here and rechecks live sessions. */
  readonly revocation: DeviceRevocation;
}

export interface DeviceAuthDeps {
  readonly directory: DeviceDirectory;
  readonly checks: CredentialChecks;
  readonly bus: EventBus;
  readonly registry: Registry;
  readonly log: Logger;
}

/** Device sign-in as configured (DEVICE_SIGNIN_*), sharing the server's credential-check gate. */
export function createDeviceAuth(config: Config, deps: DeviceAuthDeps): DeviceAuth {
  const throttle = new DeviceSignInThrottle({
    pairFailures: config.DEVICE_SIGNIN_PAIR_FAILURES,
    addressFailures: config.DEVICE_SIGNIN_ADDRESS_FAILURES,
    deviceFailures: config.DEVICE_SIGNIN_DEVICE_FAILURES,
    windowMs: config.DEVICE_SIGNIN_WINDOW_S * 1000,
    holdMs: config.DEVICE_SIGNIN_HOLD_S * 1000,
    holdMaxMs: config.DEVICE_SIGNIN_HOLD_MAX_S * 1000,
  });
  const signIn = new DeviceSignIn(deps.directory, throttle, deps.checks, deps.registry, deps.log);
  const sessions = new DeviceSessions();
  const revocation = new DeviceRevocation(
    deps.bus,
    signIn,
    deps.directory,
    sessions,
    deps.registry,
    deps.log,
    { recheckMs: config.DEVICE_SESSION_RECHECK_S * 1000 },
  );
  return { signIn, sessions, revocation };
}
