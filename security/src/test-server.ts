import { loadConfig } from '@tidewatch/server/config';
import { createLogger } from '@tidewatch/server/logger';
import { startServer, type RunningServer } from '@tidewatch/server/server';
import { inject } from 'vitest';

export type { RunningServer };

/**
 * Starts the real server in this process on port 0 (HTTP and embedded MQTT) against the run's seeded
 * database. Rate limits are lifted unless a test sets them, so only the tests about them meet them.
 */
export function startSecurityServer(env: Record<string, string> = {}): Promise<RunningServer> {
  // SECURITY_LOG_LEVEL=error shows what the server logged while replaying a finding.
  const level = process.env.SECURITY_LOG_LEVEL ?? 'silent';
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    LOG_LEVEL: level,
    DATABASE_URL: inject('appUrl'),
    // Rows a test did not cause would show in its before-and-after fingerprints.
    DAILY_REPORT: 'off',
    LOGIN_RATE_LIMIT_PER_IP: '1000000',
    // The throttle's counts live in the run's database, shared by every file: lifted unless a test sets them.
    LOGIN_THROTTLE_PAIR_FAILURES: '1000000',
    LOGIN_THROTTLE_ADDRESS_FAILURES: '1000000',
    LOGIN_THROTTLE_ACCOUNT_FAILURES: '1000000',
    // Tests make many devices and wrong secrets from one address, and sign many in at once: device sign-in
    // limits and the hashing line are lifted unless a test sets them.
    DEVICE_SIGNIN_PAIR_FAILURES: '1000000',
    DEVICE_SIGNIN_ADDRESS_FAILURES: '1000000',
    DEVICE_SIGNIN_DEVICE_FAILURES: '1000000',
    CREDENTIAL_CHECKS_WAITING: '1000000',
    ...env,
  });
  return startServer(config, createLogger(config.LOG_LEVEL, false));
}
