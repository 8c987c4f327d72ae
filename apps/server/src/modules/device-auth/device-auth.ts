import type { Registry } from 'prom-client';
import type { Config } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import type { CredentialChecks } from '../auth/credential-checks.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import { DeviceSignIn } from './device-sign-in.ts';
import { DeviceSignInThrottle } from './sign-in-throttle.ts';

/** Device sign-in as configured (DEVICE_SIGNIN_*), sharing the server's credential-check gate. */
export function createDeviceSignIn(
  config: Config,
  directory: DeviceDirectory,
  checks: CredentialChecks,
  registry: Registry,
  log: Logger,
): DeviceSignIn {
  const throttle = new DeviceSignInThrottle({
    pairFailures: config.DEVICE_SIGNIN_PAIR_FAILURES,
    addressFailures: config.DEVICE_SIGNIN_ADDRESS_FAILURES,
    deviceFailures: config.DEVICE_SIGNIN_DEVICE_FAILURES,
    windowMs: config.DEVICE_SIGNIN_WINDOW_S * 1000,
    holdMs: config.DEVICE_SIGNIN_HOLD_S * 1000,
    holdMaxMs: config.DEVICE_SIGNIN_HOLD_MAX_S * 1000,
  });
  return new DeviceSignIn(directory, throttle, checks, registry, log);
}
