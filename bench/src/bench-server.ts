import { loadConfig } from '@tidewatch/server/config';
import { createLogger } from '@tidewatch/server/logger';
import { startServer, type RunningServer } from '@tidewatch/server/server';
import { testSecretKeyFile } from '@tidewatch/server/testing/secret-key-file';

/**
 * The real server in the benchmark's own process (so it can time events on the server's bus), on free ports with
 * its embedded broker unless `env` names another, logging warnings only.
 */
export async function startBenchServer(
  appUrl: string,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const config = loadConfig({
    TIDEWATCH_SECRET_KEY_FILE: await testSecretKeyFile(),
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    // Every simulated device connects from this machine's one address.
    MQTT_MAX_CONNECTIONS_PER_ADDRESS: '100000',
    // Sign-ins in flight count against their address until they succeed: thousands connect at once from it.
    DEVICE_SIGNIN_ADDRESS_FAILURES: '100000',
    DATABASE_URL: appUrl,
    // Measurements see only the work they make: no report rendered at start.
    DAILY_REPORT: 'off',
    ...env,
  });
  return startServer(config, createLogger('warn', false));
}
